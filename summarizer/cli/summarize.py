"""``summarizer summarize``: one article to JSON, Markdown or an HTML review page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from summarizer.batch.inputs import printable
from summarizer.cli.app import app, reported, setup_logging, stdout, write_stdout
from summarizer.cli.options import (
    AllowPrivateUrlsOpt,
    Format,
    Verbose,
    run_flags,
    settings_from_flags,
)


@app.command()
@run_flags
def summarize(
    path: Annotated[
        str, typer.Argument(help="Article file (text or HTML), an http(s) URL, or - for stdin.")
    ],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    allow_private_urls: AllowPrivateUrlsOpt = False,
    verbose: Verbose = False,
    *,
    run: dict[str, Any],
) -> None:
    """Summarize one article and print JSON (default), a Markdown report or an HTML review page."""
    setup_logging(verbose)
    with reported():
        from summarizer.api import Summarizer
        from summarizer.fetch import FetchPolicy, fetch_article, is_url
        from summarizer.inputs import read_article
        from summarizer.result import to_json, to_markdown

        settings = settings_from_flags(run)
        if output is None:
            stdout()  # closed: fail now, not after the model call
        if is_url(path):
            article = fetch_article(path, FetchPolicy(allow_private=allow_private_urls))
        else:
            article = read_article(path)
        for warning in article.warnings:
            typer.echo(f"summarizer: warning: {printable(warning)}", err=True)
        with Summarizer(settings) as summarizer:
            result = summarizer.summarize(article.text, title=article.title)
        for warning in result.meta.warnings:
            typer.echo(f"summarizer: {printable(warning)}", err=True)
        if fmt is Format.json:
            text = to_json(result)
        else:
            from summarizer.sentences import detect_title

            title = article.title or detect_title(article.text)[0]
            if fmt is Format.html:
                from summarizer.review import render_review

                text = render_review(result, article.text, title=title)
            else:
                text = to_markdown(result, title)
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            write_stdout(text)
