"""One :class:`Summarizer` per distinct option set (bounded), each through the model pool.

:class:`PooledSummarizer` is the library's :class:`Summarizer` whose LLM calls take a
place in the server's :class:`ModelPool` first. :class:`Summarizers` keeps the most
recently used ones, so requests with the same options reuse one HTTP client; an evicted
one is closed once no request is using it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from summarizer.api import Summarizer
from summarizer.errors import ProviderError

if TYPE_CHECKING:
    from summarizer.config import Settings
    from summarizer.result import SummaryResult
    from summarizer.serve.limits import ModelPool
    from summarizer.serve.metrics import Metrics

OptionKey = tuple[tuple[str, Any], ...]


class PooledSummarizer(Summarizer):
    """A :class:`Summarizer` whose model calls share the server's pool and feed its metrics."""

    def __init__(
        self, settings: Settings, pool: ModelPool, metrics: Metrics, *, bounded: bool = True
    ) -> None:
        super().__init__(settings)
        self.pool = pool
        self.metrics = metrics
        self.bounded = bounded  # False for job items: they wait, never refused
        self.users = 0
        self.evicted = False

    async def asummarize(self, text: str, *, title: str | None = None) -> SummaryResult:
        try:
            if self.settings.resolved_engine != "llm":
                result = await super().asummarize(text, title=title)
            else:
                async with self.pool.slot(bounded=self.bounded):
                    result = await super().asummarize(text, title=title)
        except ProviderError as exc:
            if "HTTP 429" in exc.message:
                self.metrics.provider_429.inc()
            raise
        self.metrics.observe(result)
        return result


class Summarizers:
    """A bounded LRU of :class:`PooledSummarizer`, keyed by the request's option set."""

    def __init__(self, base: Settings, pool: ModelPool, metrics: Metrics, size: int = 16) -> None:
        self.base = base
        self.pool = pool
        self.metrics = metrics
        self.size = size
        self._items: OrderedDict[OptionKey, PooledSummarizer] = OrderedDict()

    def settings(self, overrides: dict[str, Any]) -> Settings:
        """The operator's settings with a request's options (raises ``ConfigError``)."""
        return self.base.with_overrides(**overrides) if overrides else self.base

    def fresh(self, overrides: dict[str, Any]) -> PooledSummarizer:
        """A new summarizer of its own, for one job (``async with`` it: it closes its client)."""
        return PooledSummarizer(self.settings(overrides), self.pool, self.metrics, bounded=False)

    @asynccontextmanager
    async def lease(self, overrides: dict[str, Any]) -> AsyncIterator[PooledSummarizer]:
        key: OptionKey = tuple(sorted(overrides.items()))
        summarizer = self._items.pop(key, None)
        if summarizer is None:
            summarizer = PooledSummarizer(self.settings(overrides), self.pool, self.metrics)
        self._items[key] = summarizer
        while len(self._items) > self.size:
            _, old = self._items.popitem(last=False)
            old.evicted = True
            if old.users == 0:
                await old.aclose()
        summarizer.users += 1
        try:
            yield summarizer
        finally:
            summarizer.users -= 1
            if summarizer.evicted and summarizer.users == 0:
                await summarizer.aclose()

    async def aclose(self) -> None:
        while self._items:
            _, summarizer = self._items.popitem()
            await summarizer.aclose()
