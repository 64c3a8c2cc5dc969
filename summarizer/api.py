"""The library's façade: :class:`Summarizer` ties settings, cache and an engine together.

There is one body, :meth:`Summarizer.asummarize` (settings -> cache -> engine -> result);
every front-end calls it: the sync :meth:`Summarizer.summarize` runs it on a private
event loop, ``batch`` and the HTTP service await it. The façade never asks which engine it
holds: whatever implements :class:`~summarizer.engines.base.Engine` will do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from summarizer import __version__
from summarizer.cache import ResultCache, cache_dir, cache_key, key_material
from summarizer.config import Settings, resolve_settings
from summarizer.engines import create_engine, engine_notices
from summarizer.engines.base import Usage
from summarizer.errors import ConfigError, InputError, SummarizerError
from summarizer.inputs import check_text
from summarizer.pricing import cost_usd
from summarizer.result import RunMeta, SummaryResult, TokenUsage
from summarizer.schema import ArticleSummary, schema_hash
from summarizer.secrets import redact

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterable, Iterator

    from summarizer.batch import BatchInput, BatchOutcome
    from summarizer.engines.base import Engine, EngineOutput

log = logging.getLogger(__name__)
T = TypeVar("T")


class Summarizer:
    """Summarize articles with one resolved configuration.

    Keyword arguments override environment variables, which override defaults; see
    :class:`summarizer.config.Settings` for the names (``model``, ``base_url``,
    ``api_key``, ``engine``, ``mode``, ``temperature``, ``max_retries``, ``cache``...).
    ``engine_impl`` replaces the engine the settings would pick (any
    :class:`~summarizer.engines.base.Engine`, e.g. :class:`summarizer.testing.FunctionEngine`).
    No client is built and nothing is imported from ``openai`` until the first call.

    Use it as a context manager (``with`` / ``async with``) or call :meth:`close` /
    :meth:`aclose`, so HTTP connections and the cache handle are released.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine_impl: Engine | None = None,
        **overrides: Any,
    ) -> None:
        if settings is not None and not isinstance(settings, Settings):
            raise ConfigError(
                f"settings must be a summarizer.Settings, got {type(settings).__name__}: pass "
                "options as keyword arguments instead"
            )
        if settings is None:
            self.settings = resolve_settings(**overrides)
        else:
            self.settings = settings.with_overrides(**overrides) if overrides else settings
        self._engine = engine_impl
        self._cache: ResultCache | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the sync API's private loop

    # -- parts -----------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """The engine this summarizer runs (built on first use)."""
        if self._engine is None:
            self._engine = create_engine(self.settings)
        return self._engine

    @property
    def cache(self) -> ResultCache | None:
        """The result cache, when caching is on and the engine's answers may be cached."""
        if not self.settings.cache or not self.engine.cacheable:
            return None
        if self._cache is None:
            self._cache = ResultCache(cache_dir(self.settings), self.settings.cache_size_limit)
        return self._cache

    def cache_key(self, text: str, *, title: str | None = None) -> str | None:
        """The cache key of this article under this configuration (``None``: not cached)."""
        if self.cache is None:
            return None
        article, title = self._prepare(text, title)
        return cache_key(self._material(article, title))

    def prepare(self, text: str, title: str | None = None) -> tuple[str, str | None]:
        """The article and title as the engine sees them (checked, normalized)."""
        return self._prepare(text, title)

    def scrub(self, text: str) -> str:
        """``text`` with this summarizer's API key blanked out (for error messages)."""
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else None
        return redact(text, [key])

    # -- the one body ----------------------------------------------------------------------
    async def asummarize(self, text: str, *, title: str | None = None) -> SummaryResult:
        """Summarize one article; raises a :class:`summarizer.errors.SummarizerError`."""
        started = time.perf_counter()
        article, title = self._prepare(text, title)
        cache = self.cache
        key = cache_key(self._material(article, title)) if cache is not None else None
        if cache is not None and key is not None and not self.settings.refresh:
            hit = self._cached(cache, key, article, started)
            if hit is not None:
                return hit
        try:
            out = await self.engine.run(article, title)
        except SummarizerError as exc:
            self._price_failure(exc)
            raise
        result = SummaryResult(summary=out.summary, meta=self._meta(out, started))
        if cache is not None and key is not None:
            if out.warnings:  # degraded (e.g. a fallback overview): try again next time
                log.info("result not cached: %s", "; ".join(out.warnings))
            else:
                self._store(cache, key, result)
        return result

    def _price_failure(self, exc: SummarizerError) -> None:
        """A failed call's spend, as its error's ``details["cost_usd"]`` (``None``: no known
        price), from the ``usage`` and ``requests`` its engine put there."""
        usage = exc.details.get("usage")
        if isinstance(usage, Usage) and "cost_usd" not in exc.details:
            requests = int(exc.details.get("requests") or 0)
            exc.details["cost_usd"] = cost_usd(self.settings, usage, requests)

    def _prepare(self, text: str, title: str | None) -> tuple[str, str | None]:
        if not isinstance(text, str):
            raise InputError(f"article must be a str, got {type(text).__name__}")
        if title is not None and not isinstance(title, str):
            raise InputError(f"title must be a str or None, got {type(title).__name__}")
        article = check_text(text, "article").text
        limit = self.settings.max_input_chars
        if len(article) > limit:
            raise InputError(
                f"article is {len(article):,} characters, over the {limit:,} character limit"
            )
        _encodable(article, "article")
        if title is not None:
            _encodable(title, "title")
            title = " ".join(title.split()) or None
        return article, title

    def _material(self, article: str, title: str | None) -> dict[str, Any]:
        engine = self.engine
        return key_material(engine.name, engine.cache_material(), schema_hash(), article, title)

    def _cached(
        self, cache: ResultCache, key: str, article: str, started: float
    ) -> SummaryResult | None:
        data = cache.get(key)
        if data is None:
            return None
        try:
            summary = ArticleSummary.model_validate(data["summary"], context={"article": article})
            meta = RunMeta.model_validate(data["meta"])
        except Exception as exc:  # a bad entry is a miss, not a failure
            log.warning("ignoring a cache entry that no longer validates (%s)", exc)
            return None
        # meta describes this call: no request sent, no token spent.
        meta = meta.model_copy(
            update={
                "cache_hit": True,
                "requests": 0,
                "usage": TokenUsage(),
                "cost_usd": 0.0,
                "latency_ms": (time.perf_counter() - started) * 1000,
            }
        )
        log.info("cache hit %s… (%s)", key[:12], cache.directory)
        return SummaryResult(summary=summary, meta=meta)

    def _store(self, cache: ResultCache, key: str, result: SummaryResult) -> None:
        cache.put(
            key,
            {
                "summary": result.summary.model_dump(mode="json"),
                "meta": result.meta.model_dump(mode="json"),
            },
        )

    def _meta(self, out: EngineOutput, started: float) -> RunMeta:
        stats = out.stats
        return RunMeta(
            engine=self.engine.name,
            **self.engine.describe(),
            schema_hash=schema_hash(),
            version=__version__,
            attempts=stats.attempts,
            requests=stats.requests,
            usage=TokenUsage(
                prompt_tokens=stats.usage.prompt_tokens,
                completion_tokens=stats.usage.completion_tokens,
                total_tokens=stats.usage.total_tokens,
            ),
            chunks=out.chunks,
            cost_usd=cost_usd(self.settings, stats.usage, stats.requests),
            warnings=[*engine_notices(self.settings), *out.notes, *out.warnings],
            dropped=out.dropped,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    # -- thin sync wrappers ----------------------------------------------------------------
    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on this summarizer's private event loop (one per instance, reused,
        so its HTTP connections are too)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            work.close()
            raise ConfigError(
                "the synchronous API was called inside a running event loop: use "
                "`await summarizer.asummarize(...)` or `async for ... in "
                "summarizer.asummarize_many(...)` there"
            )
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(work)

    def summarize(self, text: str, *, title: str | None = None) -> SummaryResult:
        """Summarize one article (sync): :meth:`asummarize` on a private event loop."""
        return self._run(self.asummarize(text, title=title))

    def asummarize_many(
        self, items: Iterable[BatchInput], *, concurrency: int | None = None, ordered: bool = False
    ) -> AsyncGenerator[BatchOutcome, None]:
        """Summarize many articles concurrently: ``async for outcome in s.asummarize_many(items)``.

        ``items`` are strings, ``(id, text)`` pairs or :class:`summarizer.batch.BatchItem`,
        read lazily. Outcomes come in completion order (``ordered=True``: input order, at
        some cost in throughput); each carries its ``id`` and ``index``. A failing article
        yields an outcome with ``error`` set and never stops the others.
        """
        from summarizer.batch.scheduler import run_batch

        return run_batch(self, items, self._concurrency(concurrency), ordered)

    def summarize_many(
        self, items: Iterable[BatchInput], *, concurrency: int | None = None, ordered: bool = False
    ) -> Iterator[BatchOutcome]:
        """Sync :meth:`asummarize_many`: drives the private event loop between yields."""
        stream = self.asummarize_many(items, concurrency=concurrency, ordered=ordered)
        try:
            while True:
                try:
                    yield self._run(stream.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.run_until_complete(stream.aclose())

    def _concurrency(self, concurrency: int | None) -> int:
        if concurrency is None:
            return self.settings.concurrency
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency must be an int of 1 or more, got {concurrency!r}")
        return concurrency

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        """Release the HTTP connections and the cache handle (``aclose`` when async)."""
        if self._loop is not None and not self._loop.is_closed():
            if self._engine is not None:
                self._loop.run_until_complete(self._engine.aclose())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()
        self._loop = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    async def aclose(self) -> None:
        """Release what this summarizer holds for the running event loop, and the cache."""
        if self._engine is not None:
            await self._engine.aclose()
        self.close()

    def __enter__(self) -> Summarizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Summarizer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _encodable(text: str, what: str) -> None:
    """An :class:`InputError` for text no file or request could carry (a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{what} contains a lone surrogate (U+{ord(text[exc.start]):04X}) at offset "
            f"{exc.start}: it is not valid Unicode text"
        ) from None


def summarize(text: str, *, title: str | None = None, **settings: Any) -> SummaryResult:
    """One-shot helper: ``summarize(text, model=..., base_url=...)``."""
    with Summarizer(**settings) as summarizer:
        return summarizer.summarize(text, title=title)
