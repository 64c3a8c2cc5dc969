"""``summarizer eval``: score an engine on the gold set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from summarizer.choices import EngineName
from summarizer.cli.app import app, reported, setup_logging
from summarizer.cli.options import (
    BaseUrlOpt,
    EvidenceOpt,
    MaxTokensOpt,
    ModelOpt,
    ModeOpt,
    RetriesOpt,
    StrictOpt,
    TempOpt,
    TimeoutOpt,
    Verbose,
)

if TYPE_CHECKING:
    from summarizer.evals.report import Check
    from summarizer.evals.runner import EvalRun


@app.command("eval")
def eval_command(
    engine: Annotated[
        EngineName | None,
        typer.Option("--engine", help="extractive (default), or llm (implied by --replay)."),
    ] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = None,
    temperature: TempOpt = None,
    max_retries: RetriesOpt = None,
    max_tokens: MaxTokensOpt = None,
    evidence: EvidenceOpt = None,
    strict: StrictOpt = False,
    timeout: TimeoutOpt = None,
    record: Annotated[
        Path | None, typer.Option("--record", help="Save the raw HTTP traffic here (no auth).")
    ] = None,
    replay: Annotated[
        Path | None, typer.Option("--replay", help="Serve recorded traffic: no network.")
    ] = None,
    articles: Annotated[Path | None, typer.Option("--articles", help="(evals/articles)")] = None,
    gold: Annotated[Path | None, typer.Option("--gold", help="Gold labels (evals/gold).")] = None,
    thresholds: Annotated[
        Path | None, typer.Option("--thresholds", help="Thresholds TOML (evals/thresholds.toml).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Report directory.")] = Path("reports/eval"),
    name: Annotated[
        str | None, typer.Option("--name", help="Run name: thresholds section, report name.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Only articles whose id starts with this.")
    ] = None,
    meta: Annotated[
        list[str] | None, typer.Option("--meta", help="KEY=VALUE for a recording's meta.json.")
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Score an engine on the gold set; exit 12 if below evals/thresholds.toml."""
    setup_logging(verbose)
    with reported():
        from summarizer.evals.runner import EvalOptions

        info = dict(item.split("=", 1) for item in (meta or []) if "=" in item)
        chosen = engine or ("llm" if record or replay else "extractive")
        options = EvalOptions(
            engine=chosen, model=model, base_url=base_url, mode=mode,
            temperature=temperature, max_tokens=max_tokens, max_retries=max_retries,
            evidence=evidence, strict=strict or None, timeout=timeout, record=record,
            replay=replay, articles=articles, gold=gold,
            only=only, name=name, info=info,
        )  # fmt: skip
        evaluate(options, out=out, thresholds=thresholds)


def evaluate(
    options: Any,
    *,
    out: Path | None = None,
    thresholds: Path | None = None,
    stream: Any = None,
    progress: bool = True,
) -> tuple[EvalRun, list[Check], tuple[Path, Path]]:
    """Run, print, write reports, then raise :class:`EvalFailed` if a threshold is missed.

    ``options`` is a :class:`summarizer.evals.runner.EvalOptions`. With no section for the
    run's name in the thresholds file, nothing is checked (a note says so).
    """
    from rich.console import Console

    from summarizer.errors import EvalFailed
    from summarizer.evals.report import (
        check_thresholds,
        default_thresholds_path,
        load_thresholds,
        print_tables,
        write_reports,
    )
    from summarizer.evals.runner import run_eval
    from summarizer.evals.scoring import ArticleScore

    console = Console(file=stream or sys.stderr, width=160)

    def tick(score: ArticleScore) -> None:
        if progress:
            state = "valid" if score.valid else "INVALID"
            console.print(
                f"  {score.id}: {state}, {score.attempts} attempt(s), "
                f"{score.total_tokens:,} tokens, {score.latency_ms / 1000:.1f} s",
                highlight=False,
            )

    run = run_eval(options, on_article=tick)
    for note in run.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    path = thresholds or default_thresholds_path()
    limits = load_thresholds(path, run.name) if path.exists() or thresholds else None
    checks = check_thresholds(run.metrics, limits) if limits is not None else []
    print_tables(run, checks, stream=console.file)
    paths = write_reports(run, checks, out or Path("reports") / "eval")
    console.print(f"wrote {paths[0]} and {paths[1]}", highlight=False)
    if limits is None:
        console.print(
            f"no [{run.name}] section in {path}: no thresholds checked",
            markup=False,
            highlight=False,
        )
    failed = [c for c in checks if not c.passed]
    if failed:
        raise EvalFailed(
            f"eval {run.name} is below its thresholds in {path}: "
            + "; ".join(c.describe() for c in failed),
            failed=[c.metric for c in failed],
        )
    return run, checks, paths
