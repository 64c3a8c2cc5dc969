"""``summarizer cache path|stats|clear``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from summarizer.cli.app import app, reported
from summarizer.cli.options import (
    CacheDirOpt,
    CacheSizeOpt,
    settings_from_flags,
)

if TYPE_CHECKING:
    from summarizer.cache import ResultCache

cache_app = typer.Typer(help="Inspect or clear the result cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


def _result_cache(cache_dir: Path | None, cache_size_limit: str | None = None) -> ResultCache:
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
