"""``summarizer report``: a browsable HTML report of a ``summarizer batch`` output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from summarizer.cli.app import app, reported, setup_logging
from summarizer.cli.options import Verbose


@app.command()
def report(
    results: Annotated[
        str, typer.Argument(help="A `summarizer batch` JSONL output, or - for stdin.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder to write (index.html + articles/), or NAME.html."
        ),
    ] = Path("report"),
    verbose: Verbose = False,
) -> None:
    """Write an index of a batch's articles, with each one's review page."""
    setup_logging(verbose)
    with reported():
        import sys

        from summarizer.errors import InputError
        from summarizer.review.report import write_report

        if results == "-":
            stats = write_report(sys.stdin, output, base=Path.cwd())
        else:
            source = Path(results)
            if not source.is_file():
                raise InputError(f"no such file: {results}")
            with source.open(encoding="utf-8", errors="replace") as lines:
                stats = write_report(lines, output, base=source.parent)
        extra = f", {stats.without_text} without their article text" if stats.without_text else ""
        typer.echo(
            f"summarizer: wrote {stats.index} ({stats.articles} article page(s), "
            f"{stats.failed} failed line(s){extra})",
            err=True,
        )
