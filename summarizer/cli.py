"""The ``summarizer`` command: parse, call the library, format. Nothing else lives here."""

from __future__ import annotations

import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from summarizer import __version__
from summarizer.errors import EXIT_CODES, SummarizerError

app = typer.Typer(
    name="summarizer",
    help="Turn a news article into a typed, verifiable structured summary.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Inspect or clear the result cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


class Format(str, Enum):
    json = "json"
    markdown = "markdown"


class EngineChoice(str, Enum):
    auto = "auto"
    llm = "llm"
    extractive = "extractive"


class ModeChoice(str, Enum):
    tools = "tools"
    json_schema = "json_schema"
    json = "json"
    md_json = "md_json"


_state: dict[str, bool] = {"verbose": False}


def _setup_logging(verbose: bool) -> None:
    _state["verbose"] = verbose
    logger = logging.getLogger("summarizer")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("summarizer: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def fail(exc: BaseException) -> NoReturn:
    """One line on stderr and a documented exit code; traceback only with --verbose."""
    if _state["verbose"]:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, SummarizerError):
        code = next((c for cls, c in EXIT_CODES.items() if isinstance(exc, cls)), 1)
        typer.echo(f"summarizer: error: {exc}", err=True)
        raise typer.Exit(code)
    typer.echo(f"summarizer: internal error: {type(exc).__name__}: {exc}", err=True)
    raise typer.Exit(1)


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


Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log retries; tracebacks on errors.")]
EngineOpt = Annotated[
    EngineChoice | None,
    typer.Option("--engine", help="auto: LLM if configured, else extractive. [env: SUMMARIZER_ENGINE]"),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name. [env: SUMMARIZER_MODEL]")]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible endpoint. [env: SUMMARIZER_BASE_URL]"),
]
ModeOpt = Annotated[
    ModeChoice | None, typer.Option("--mode", help="How the model returns structure (default tools).")
]
TempOpt = Annotated[float | None, typer.Option("--temperature", help="Sampling temperature (0).")]
RetriesOpt = Annotated[
    int | None, typer.Option("--max-retries", help="Validation re-asks after the first answer (2).")
]
TimeoutOpt = Annotated[float | None, typer.Option("--timeout", help="Seconds per HTTP request (60).")]
MaxTokensOpt = Annotated[
    int | None, typer.Option("--max-tokens", help="Max tokens the model may write (2048).")
]
TransportOpt = Annotated[
    int | None,
    typer.Option("--transport-retries", help="HTTP retries on 429/5xx/timeouts (4)."),
]
BudgetOpt = Annotated[
    int | None, typer.Option("--token-budget", help="Stop once an article spends this many tokens.")
]
CacheDirOpt = Annotated[
    Path | None, typer.Option("--cache-dir", help="Cache location. [env: SUMMARIZER_CACHE_DIR]")
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Recompute and overwrite the cache.")]


def settings_from_flags(**flags: Any) -> Any:
    """Resolve flags over environment and defaults (flags left unset are ``None``)."""
    from summarizer.config import resolve_settings

    values = {k: (v.value if isinstance(v, Enum) else v) for k, v in flags.items()}
    if values.get("cache_dir") is not None:
        values["cache_dir"] = str(values["cache_dir"])
    return resolve_settings(**values)


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
    token_budget: BudgetOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
    refresh: RefreshOpt = False,
    verbose: Verbose = False,
) -> None:
    """Summarize one article and print JSON (default) or a Markdown report."""
    _setup_logging(verbose)
    try:
        from summarizer.core import Summarizer
        from summarizer.inputs import read_article
        from summarizer.render import to_json, to_markdown

        settings = settings_from_flags(
            engine=engine, model=model, base_url=base_url, mode=mode, temperature=temperature,
            max_retries=max_retries, timeout=timeout, max_tokens=max_tokens,
            transport_retries=transport_retries, token_budget=token_budget, cache_dir=cache_dir,
            cache=False if no_cache else None, refresh=refresh or None,
        )  # fmt: skip
        article = read_article(path)
        for warning in article.warnings:
            typer.echo(f"summarizer: warning: {warning}", err=True)
        summarizer = Summarizer(settings)
        result = summarizer.summarize(article.text)
        summarizer.close()
        for warning in result.meta.warnings:
            typer.echo(f"summarizer: {warning}", err=True)
        text = to_json(result) if fmt is Format.json else to_markdown(result, article.title)
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)
    except SummarizerError as exc:
        fail(exc)
    except KeyboardInterrupt:
        typer.echo("summarizer: interrupted", err=True)
        raise typer.Exit(130) from None
    except OSError as exc:
        fail(exc)


@app.command()
def schema(
    write: Annotated[bool, typer.Option("--write", help="Rewrite the file under schemas/.")] = False,
) -> None:
    """Print the JSON Schema of ArticleSummary (the committed copy is schemas/article_summary.json)."""
    from summarizer.schema import schema_json

    text = schema_json()
    if write:
        from summarizer.prompts import data_dir

        target = data_dir("schemas") / "article_summary.json"
        target.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {target}", err=True)
    else:
        typer.echo(text, nl=False)


@cache_app.command("path")
def cache_path(cache_dir: CacheDirOpt = None) -> None:
    """Print where the cache lives."""
    from summarizer.cache import cache_dir as resolve_dir

    typer.echo(str(resolve_dir(settings_from_flags(cache_dir=cache_dir))))


@cache_app.command("stats")
def cache_stats(cache_dir: CacheDirOpt = None) -> None:
    """Entries, size, hits and misses."""
    from summarizer.cache import ResultCache, cache_dir as resolve_dir

    try:
        s = settings_from_flags(cache_dir=cache_dir)
        stats = ResultCache(resolve_dir(s), s.cache_size_limit).stats()
    except SummarizerError as exc:
        fail(exc)
    for k, v in stats.items():
        typer.echo(f"{k}: {v}")


@cache_app.command("clear")
def cache_clear(cache_dir: CacheDirOpt = None) -> None:
    """Delete every cached result."""
    from summarizer.cache import ResultCache, cache_dir as resolve_dir

    try:
        s = settings_from_flags(cache_dir=cache_dir)
        removed = ResultCache(resolve_dir(s), s.cache_size_limit).clear()
    except SummarizerError as exc:
        fail(exc)
    typer.echo(f"removed {removed} entries")


def main() -> None:
    app()
