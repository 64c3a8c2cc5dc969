"""``summarizer summarize``: one article to JSON or Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from summarizer.cli.app import app, reported, setup_logging
from summarizer.cli.options import (
    BaseUrlOpt,
    BudgetOpt,
    CacheDirOpt,
    CacheSizeOpt,
    DeadlineOpt,
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
    setup_logging(verbose)
    with reported():
        from summarizer.api import Summarizer
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
        with Summarizer(settings) as summarizer:
            result = summarizer.summarize(article.text, title=article.title)
        for warning in result.meta.warnings:
            typer.echo(f"summarizer: {warning}", err=True)
        if fmt is Format.json:
            text = to_json(result)
        else:
            from summarizer.sentences import detect_title

            text = to_markdown(result, article.title or detect_title(article.text)[0])
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)
