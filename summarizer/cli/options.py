"""Command-line options: the run flags declared once, and their resolution into Settings.

Every command that summarizes takes the same run flags (engine, model, endpoint, retries,
cache...). They are declared once, in :data:`RUN_FLAGS`, and :func:`run_flags` adds them
to a command's signature; the command receives them as one mapping, ``run``, which
:func:`settings_from_flags` resolves (flag > environment > default, in
:mod:`summarizer.config`). Choices come from the settings' own Literal types.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from summarizer.choices import EngineName, EvidenceName, ModeName

if TYPE_CHECKING:
    from summarizer.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


class Format(StrEnum):
    json = "json"
    markdown = "markdown"
    html = "html"


Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log retries; tracebacks on errors.")
]
EngineOpt = Annotated[
    EngineName | None,
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
    ModeName | None,
    typer.Option("--mode", help="How the model returns structure (default tools)."),
]
TempOpt = Annotated[float | None, typer.Option("--temperature", help="Sampling temperature (0).")]
RetriesOpt = Annotated[
    int | None, typer.Option("--max-retries", help="Validation re-asks after the first answer (2).")
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", help="Seconds for one whole HTTP request, every byte of it (60)."),
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
AllowPrivateUrlsOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private-urls",
        help="Fetch URLs that resolve to loopback/private/link-local addresses (intranet).",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Fail (exit 10) when list items still fail after the re-asks, instead of "
        "dropping them with a warning; mend no format slip. [env: SUMMARIZER_STRICT]",
    ),
]
EvidenceOpt = Annotated[
    EvidenceName | None,
    typer.Option(
        "--evidence",
        help="quotes: the model copies passages; sentences: it cites numbered sentences "
        "[S1]... and the library copies them (default quotes). [env: SUMMARIZER_EVIDENCE]",
    ),
]

#: The run flags, declared once: parameter name -> (annotated type, default).
RUN_FLAGS: dict[str, tuple[Any, Any]] = {
    "engine": (EngineOpt, None),
    "model": (ModelOpt, None),
    "base_url": (BaseUrlOpt, None),
    "mode": (ModeOpt, None),
    "temperature": (TempOpt, None),
    "max_retries": (RetriesOpt, None),
    "timeout": (TimeoutOpt, None),
    "max_tokens": (MaxTokensOpt, None),
    "transport_retries": (TransportOpt, None),
    "deadline": (DeadlineOpt, None),
    "token_budget": (BudgetOpt, None),
    "cache_dir": (CacheDirOpt, None),
    "no_cache": (NoCacheOpt, False),
    "refresh": (RefreshOpt, False),
    "cache_size_limit": (CacheSizeOpt, None),
    "strict": (StrictOpt, False),
    "evidence": (EvidenceOpt, None),
}


def run_flags(command: F) -> F:
    """Add the :data:`RUN_FLAGS` to ``command``'s options; it receives them as ``run``.

    ``command`` declares a keyword parameter ``run: dict[str, Any]`` in place of them.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "run"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, (kind, default) in RUN_FLAGS.items()
    ]
    keyword_only = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    positional = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        run = {name: kwargs.pop(name) for name in RUN_FLAGS if name in kwargs}
        return command(*args, run=run, **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*positional, *keyword_only, *added]
    )
    wrapper.__annotations__ = {k: v for k, v in command.__annotations__.items() if k != "run"}
    return wrapper  # type: ignore[return-value]


def settings_from_flags(run: dict[str, Any] | None = None, **flags: Any) -> Settings:
    """Resolve flags over environment and defaults (flags left unset are ``None``).

    ``run`` is a command's run-flag mapping (``no_cache`` / ``refresh`` as given on the
    command line); ``flags`` are other settings a command sets.
    """
    from summarizer.config import resolve_settings

    values = dict(run or {})
    no_cache = values.pop("no_cache", False)
    refresh = values.pop("refresh", False)
    if not values.get("strict"):  # a flag left off leaves SUMMARIZER_STRICT in force
        values.pop("strict", None)
    values.update(flags)
    values = {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items()}
    if no_cache:
        values["cache"] = False
    if refresh:
        values["refresh"] = True
    if values.get("cache_dir") is not None:
        values["cache_dir"] = str(values["cache_dir"])
    return resolve_settings(**values)


# -- throughput: provider rate limits, the provider Batch API, cost (issue 13) ---------------
RpmOpt = Annotated[
    float | None,
    typer.Option(
        "--rpm",
        help="Requests per minute the provider allows this key (default: learned from its "
        "x-ratelimit-* headers). [env: SUMMARIZER_RPM]",
    ),
]
TpmOpt = Annotated[
    int | None,
    typer.Option(
        "--tpm",
        help="Tokens per minute the provider allows this key (prompt + max tokens per "
        "request). [env: SUMMARIZER_TPM]",
    ),
]
PricesOpt = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        help="TOML price file over the shipped one (see README). [env: SUMMARIZER_PRICES]",
    ),
]
CostBudgetOpt = Annotated[
    float | None,
    typer.Option(
        "--cost-budget",
        help="Stop sending new articles once the batch has cost this many US dollars; "
        "in-flight ones finish; exit 9. [env: SUMMARIZER_COST_BUDGET]",
    ),
]
ProviderBatchOpt = Annotated[
    bool,
    typer.Option(
        "--provider-batch",
        help="Send the articles through the provider's Batch API (OpenAI, Azure: 50% cheaper, "
        "answers within 24 h); rerunning resumes the saved batch.",
    ),
]
NoReaskOpt = Annotated[
    bool,
    typer.Option(
        "--no-reask",
        help="--provider-batch: write an answer that fails validation as a failed line "
        "instead of re-asking synchronously.",
    ),
]
WriteRequestsOpt = Annotated[
    Path | None,
    typer.Option(
        "--write-requests",
        help="--provider-batch: write the batch input JSONL here and send nothing "
        "(e.g. for vLLM's run_batch).",
    ),
]
ReadResponsesOpt = Annotated[
    Path | None,
    typer.Option(
        "--read-responses",
        help="--provider-batch: validate a finished batch output JSONL instead of sending.",
    ),
]
PollIntervalOpt = Annotated[
    float,
    typer.Option("--poll-interval", help="--provider-batch: seconds between status checks."),
]
