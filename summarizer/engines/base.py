"""The engine seam: what the :class:`~summarizer.api.Summarizer` needs from any engine.

An engine turns one article into a validated :class:`~summarizer.schema.ArticleSummary`
with one async method, :meth:`Engine.run`. It also says what it is (``name``,
:meth:`Engine.describe` for the result's metadata), whether its answers may be cached
(``cacheable``) and what shapes them (:meth:`Engine.cache_material`, part of the cache
key). The LLM engine, the extractive engine and the test fakes in
:mod:`summarizer.testing` all implement it; the façade never asks which one it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from summarizer.schema import ArticleSummary


@dataclass
class Usage:
    """Tokens as the provider counted them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0  # of the prompt tokens, those the provider served from its cache

    def add(self, raw: Any) -> None:
        """Add a usage object or mapping (``prompt_tokens``, ...) from an answer."""
        if raw is None:
            return
        for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
            value = _field(raw, name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                setattr(self, name, getattr(self, name) + value)
        cached = _field(_field(raw, "prompt_tokens_details"), "cached_tokens")
        if isinstance(cached, int) and not isinstance(cached, bool) and cached > 0:
            self.cached_tokens += cached


def _field(raw: Any, name: str) -> Any:
    if raw is None:
        return None
    return raw.get(name) if isinstance(raw, dict) else getattr(raw, name, None)


@dataclass
class RunStats:
    """What one article cost: model answers, HTTP requests, tokens, and why it retried."""

    attempts: int = 0  # model answers received (1 + validation re-asks used)
    requests: int = 0  # HTTP requests sent, transport retries included
    transport_retries: int = 0
    reasks: int = 0  # validation re-asks sent back to the model
    usage: Usage = field(default_factory=Usage)
    retry_reasons: list[str] = field(default_factory=list)
    stop_reason: str | None = None  # why the transport retry loop last gave up
    http_attempts_this_call: int = 0  # the transport's attempt counter for the current call
    # provider rate limits (engines/llm/limits.py): waits before sending, and 429 answers
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    rate_limited: int = 0  # answers with HTTP 429
    rate_waits_this_call: int = 0  # 429 retries of the current call (not --transport-retries)
    mended: list[str] = field(default_factory=list)  # format slips the library mended
    dropped: list[str] = field(default_factory=list)  # list items dropped after the re-asks


@dataclass
class EngineOutput:
    """One engine run: the summary, what it cost, and anything degraded about it.

    ``warnings`` make the result degraded (it is not cached); ``notes`` are reported the
    same way but do not (a mended format slip is the same answer every time); ``dropped``
    counts the list items dropped after the re-asks (each is named in ``warnings``).
    """

    summary: ArticleSummary
    stats: RunStats = field(default_factory=RunStats)
    chunks: int = 1
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: int = 0


@runtime_checkable
class Engine(Protocol):
    """Anything that can summarize an article (see the module docstring)."""

    name: str
    cacheable: bool

    def describe(self) -> dict[str, Any]:
        """Fields of :class:`~summarizer.result.RunMeta` this engine fills: ``model``,
        ``endpoint``, ``mode``, ``prompt_hash`` (each may be absent)."""
        ...

    def cache_material(self) -> dict[str, Any]:
        """Everything of this engine's that changes its answer (never a secret)."""
        ...

    async def run(self, article: str, title: str | None = None) -> EngineOutput:
        """Summarize ``article`` (already checked and normalized by the façade)."""
        ...

    async def aclose(self) -> None:
        """Release connections held for the running event loop."""
        ...
