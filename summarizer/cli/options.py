"""Command-line option types shared by the ``summarizer`` commands, and flag resolution.

Each option is an ``Annotated`` alias so every command that summarizes spells its flags
and help the same way; :func:`settings_from_flags` turns them into :class:`Settings`
(flag > environment > default, resolved in :mod:`summarizer.config`).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from summarizer.config import Settings


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


Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log retries; tracebacks on errors.")
]
EngineOpt = Annotated[
    EngineChoice | None,
    typer.Option(
        "--engine", help="auto: LLM if configured, else extractive. [env: SUMMARIZER_ENGINE]"
    ),
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="Model name. [env: SUMMARIZER_MODEL]")
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible endpoint. [env: SUMMARIZER_BASE_URL]"),
]
ModeOpt = Annotated[
    ModeChoice | None,
    typer.Option("--mode", help="How the model returns structure (default tools)."),
]
TempOpt = Annotated[float | None, typer.Option("--temperature", help="Sampling temperature (0).")]
RetriesOpt = Annotated[
    int | None, typer.Option("--max-retries", help="Validation re-asks after the first answer (2).")
]
TimeoutOpt = Annotated[
    float | None, typer.Option("--timeout", help="Seconds per HTTP request (60).")
]
MaxTokensOpt = Annotated[
    int | None, typer.Option("--max-tokens", help="Max tokens the model may write (2048).")
]
TransportOpt = Annotated[
    int | None,
    typer.Option("--transport-retries", help="HTTP retries on 429/5xx/timeouts (4)."),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        help="Seconds for all HTTP attempts of one model call, backoff included (300). "
        "[env: SUMMARIZER_DEADLINE]",
    ),
]
BudgetOpt = Annotated[
    int | None, typer.Option("--token-budget", help="Stop once an article spends this many tokens.")
]
CacheDirOpt = Annotated[
    Path | None, typer.Option("--cache-dir", help="Cache location. [env: SUMMARIZER_CACHE_DIR]")
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Recompute and overwrite the cache.")]
CacheSizeOpt = Annotated[
    str | None,
    typer.Option(
        "--cache-size-limit",
        help="Evict least-recently-used results above this size, e.g. 512MB (default). "
        "[env: SUMMARIZER_CACHE_SIZE_LIMIT]",
    ),
]


def settings_from_flags(**flags: Any) -> Settings:
    """Resolve flags over environment and defaults (flags left unset are ``None``)."""
    from summarizer.config import resolve_settings

    values = {k: (v.value if isinstance(v, Enum) else v) for k, v in flags.items()}
    if values.get("cache_dir") is not None:
        values["cache_dir"] = str(values["cache_dir"])
    return resolve_settings(**values)
