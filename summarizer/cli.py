"""The ``summarizer`` command: parse, call the library, format. Nothing else lives here."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from summarizer import __version__
from summarizer.errors import EXIT_CODES, EXIT_INTERRUPTED, ConfigError, SummarizerError
from summarizer.options import (
    BaseUrlOpt,
    BudgetOpt,
    CacheDirOpt,
    CacheSizeOpt,
    DeadlineOpt,
    EngineChoice,
    EngineOpt,
    Format,
    MaxTokensOpt,
    ModelOpt,
    ModeOpt,
    NoCacheOpt,
    RefreshOpt,
    RetriesOpt,
    TempOpt,
    TimeoutOpt,
    TransportOpt,
    Verbose,
    settings_from_flags,
)

app = typer.Typer(
    name="summarizer",
    help="Turn a news article into a typed, verifiable structured summary.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Inspect or clear the result cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


_state: dict[str, bool] = {"verbose": False}


class _StderrHandler(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (a test runner may swap it per call)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _setup_logging(verbose: bool) -> None:
    _state["verbose"] = verbose
    logger = logging.getLogger("summarizer")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("summarizer: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    # instructor logs every failed call at ERROR with the server's raw text; our own
    # messages (one line, redacted) replace it, so keep it off stderr even with -v.
    quiet = logging.getLogger("instructor")
    if not any(isinstance(h, logging.NullHandler) for h in quiet.handlers):
        quiet.addHandler(logging.NullHandler())
    quiet.propagate = False


def _redact(text: str) -> str:
    """Blank out the API key: a traceback's chained causes carry the server's raw text."""
    import os

    for var in ("SUMMARIZER_API_KEY", "OPENAI_API_KEY"):
        key = os.environ.get(var, "").strip()
        if len(key) >= 8:
            text = text.replace(key, "***")
    return text


def fail(exc: BaseException) -> NoReturn:
    """One line on stderr and a documented exit code; traceback only with --verbose."""
    if _state["verbose"]:
        import traceback

        sys.stderr.write(_redact("".join(traceback.format_exception(exc))))
    if isinstance(exc, SummarizerError):
        code = next((c for cls, c in EXIT_CODES.items() if isinstance(exc, cls)), 1)
        typer.echo(f"summarizer: error: {_redact(str(exc))}", err=True)
        raise typer.Exit(code)
    if isinstance(exc, OSError):  # e.g. -o into a missing directory
        typer.echo(f"summarizer: error: {_redact(str(exc))}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"summarizer: internal error: {type(exc).__name__}: {_redact(str(exc))} "
        "(rerun with -v for the traceback)",
        err=True,
    )
    raise typer.Exit(1)


@contextmanager
def reported() -> Iterator[None]:
    """Turn any failure inside a command into one stderr line and its exit code."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        typer.echo("summarizer: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        fail(exc)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"summarizer {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn a news article into a typed, verifiable structured summary."""


@app.command()
def summarize(
    path: Annotated[str, typer.Argument(help="Article file (text or HTML), or - for stdin.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    engine: EngineOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = None,
    temperature: TempOpt = None,
    max_retries: RetriesOpt = None,
    timeout: TimeoutOpt = None,
    max_tokens: MaxTokensOpt = None,
    transport_retries: TransportOpt = None,
    deadline: DeadlineOpt = None,
    token_budget: BudgetOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
    refresh: RefreshOpt = False,
    cache_size_limit: CacheSizeOpt = None,
    verbose: Verbose = False,
) -> None:
    """Summarize one article and print JSON (default) or a Markdown report."""
    _setup_logging(verbose)
    with reported():
        from summarizer.core import Summarizer
        from summarizer.inputs import read_article
        from summarizer.result import to_json, to_markdown

        settings = settings_from_flags(
            engine=engine, model=model, base_url=base_url, mode=mode, temperature=temperature,
            max_retries=max_retries, timeout=timeout, max_tokens=max_tokens,
            transport_retries=transport_retries, deadline=deadline, token_budget=token_budget,
            cache_dir=cache_dir,
            cache=False if no_cache else None, refresh=refresh or None,
            cache_size_limit=cache_size_limit,
        )  # fmt: skip
        article = read_article(path)
        for warning in article.warnings:
            typer.echo(f"summarizer: warning: {warning}", err=True)
        summarizer = Summarizer(settings)
        result = summarizer.summarize(article.text, title=article.title)
        summarizer.close()
        for warning in result.meta.warnings:
            typer.echo(f"summarizer: {warning}", err=True)
        if fmt is Format.json:
            text = to_json(result)
        else:
            from summarizer.textutil import detect_title

            text = to_markdown(result, article.title or detect_title(article.text)[0])
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)


@app.command()
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Article files, directories, glob patterns, or JSONL lists of "
            '{"id", "text"|"path"|"url"} (- reads a JSONL list from stdin).'
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSONL here (default stdout).")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-j", help="Articles in flight (8). [env: SUMMARIZER_CONCURRENCY]"
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip ids already in the --output file.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Like --resume, but run failed ids again.")
    ] = False,
    ordered: Annotated[
        bool, typer.Option("--ordered", help="Write lines in input order, not completion order.")
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar (default: if on a tty)."),
    ] = None,
    engine: EngineOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = None,
    temperature: TempOpt = None,
    max_retries: RetriesOpt = None,
    timeout: TimeoutOpt = None,
    max_tokens: MaxTokensOpt = None,
    transport_retries: TransportOpt = None,
    deadline: DeadlineOpt = None,
    token_budget: BudgetOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
    refresh: RefreshOpt = False,
    cache_size_limit: CacheSizeOpt = None,
    verbose: Verbose = False,
) -> None:
    """Summarize many articles concurrently into JSONL, one line per article.

    Exit 0 if all succeeded, 13 if any failed (its line holds the error), 130 on Ctrl-C.
    """
    _setup_logging(verbose)
    with reported():
        from summarizer.batch_cli import run_command

        settings = settings_from_flags(
            engine=engine, model=model, base_url=base_url, mode=mode, temperature=temperature,
            max_retries=max_retries, timeout=timeout, max_tokens=max_tokens,
            transport_retries=transport_retries, deadline=deadline, token_budget=token_budget,
            cache_dir=cache_dir, cache=False if no_cache else None, refresh=refresh or None,
            cache_size_limit=cache_size_limit, concurrency=concurrency,
        )  # fmt: skip
        if (resume or retry_failed) and output is None:
            raise ConfigError("--resume needs --output FILE: it skips the ids already in that file")
        code = run_command(
            settings, inputs, output, resume=resume, retry_failed=retry_failed,
            ordered=ordered, progress=progress,
        )  # fmt: skip
    raise typer.Exit(code)


@app.command()
def schema(
    write: Annotated[
        bool, typer.Option("--write", help="Rewrite the file under schemas/.")
    ] = False,
) -> None:
    """Print the JSON Schema of ArticleSummary (committed as schemas/article_summary.json)."""
    from summarizer.schema import schema_json

    text = schema_json()
    if write:
        from summarizer.prompts import data_dir

        target = data_dir("schemas") / "article_summary.json"
        target.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {target}", err=True)
    else:
        typer.echo(text, nl=False)


def _result_cache(cache_dir: Path | None, cache_size_limit: str | None = None) -> Any:
    from summarizer.cache import ResultCache
    from summarizer.cache import cache_dir as resolve_dir

    s = settings_from_flags(cache_dir=cache_dir, cache_size_limit=cache_size_limit)
    return ResultCache(resolve_dir(s), s.cache_size_limit)


@cache_app.command("path")
def cache_path(cache_dir: CacheDirOpt = None) -> None:
    """Print where the cache lives."""
    with reported():
        typer.echo(str(_result_cache(cache_dir).directory))


@cache_app.command("stats")
def cache_stats(
    cache_dir: CacheDirOpt = None,
    cache_size_limit: CacheSizeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
) -> None:
    """Location, entries, size on disk, size limit, hits and misses."""
    from summarizer.cache import format_size

    with reported():
        stats = _result_cache(cache_dir, cache_size_limit).stats()
    if as_json:
        import json

        typer.echo(json.dumps(stats, indent=2))
        return
    lookups = stats["hits"] + stats["misses"]
    rate = f" ({stats['hits'] / lookups:.0%} hit rate)" if lookups else ""
    typer.echo(f"location: {stats['path']}")
    typer.echo(f"entries:  {stats['entries']}")
    typer.echo(
        f"size:     {format_size(stats['size_bytes'])} of {format_size(stats['size_limit'])} limit"
    )
    typer.echo(f"hits:     {stats['hits']}{rate}")
    typer.echo(f"misses:   {stats['misses']}")


@cache_app.command("clear")
def cache_clear(cache_dir: CacheDirOpt = None) -> None:
    """Delete every cached result and reset the hit/miss counters."""
    with reported():
        cache = _result_cache(cache_dir)
        removed = cache.clear()
    typer.echo(f"removed {removed} entries from {cache.directory}")


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
    _setup_logging(verbose)
    if not verbose:  # instructor logs every failed attempt; the eval table reports them
        logging.getLogger("instructor").addHandler(logging.NullHandler())
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


def main() -> None:
    app()
