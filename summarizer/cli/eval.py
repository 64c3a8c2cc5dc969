"""``summarizer eval``: score an engine on the gold set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from summarizer.cli.app import app, reported, setup_logging
from summarizer.cli.options import (
    BaseUrlOpt,
    EngineChoice,
    MaxTokensOpt,
    ModelOpt,
    ModeOpt,
    RetriesOpt,
    TempOpt,
    TimeoutOpt,
    Verbose,
)


@app.command("eval")
def eval_command(
    engine: Annotated[
        EngineChoice | None,
        typer.Option("--engine", help="extractive (default), or llm (implied by --replay)."),
    ] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = None,
    temperature: TempOpt = None,
    max_retries: RetriesOpt = None,
    max_tokens: MaxTokensOpt = None,
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
        from summarizer.evals.report import evaluate
        from summarizer.evals.runner import EvalOptions

        info = dict(item.split("=", 1) for item in (meta or []) if "=" in item)
        chosen = engine.value if engine else ("llm" if record or replay else "extractive")
        options = EvalOptions(
            engine=chosen, model=model, base_url=base_url, mode=mode.value if mode else None,
            temperature=temperature, max_tokens=max_tokens, max_retries=max_retries,
            timeout=timeout, record=record, replay=replay, articles=articles, gold=gold,
            only=only, name=name, info=info,
        )  # fmt: skip
        evaluate(options, out=out, thresholds=thresholds)
