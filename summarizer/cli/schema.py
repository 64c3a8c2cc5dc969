"""``summarizer schema``: print or rewrite the committed JSON Schema."""

from __future__ import annotations

from typing import Annotated

import typer

from summarizer.cli.app import app


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
