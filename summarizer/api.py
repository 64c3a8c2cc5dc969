"""The library entry point: :class:`Summarizer` ties settings, cache and engines together."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from summarizer import __version__
from summarizer.cache import ResultCache, cache_dir, cache_key, key_material
from summarizer.config import Settings, resolve_settings
from summarizer.errors import InputError
from summarizer.inputs import check_text
from summarizer.result import RunMeta, SummaryResult, TokenUsage
from summarizer.schema import ArticleSummary, schema_hash

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from summarizer.batch import BatchInput, BatchOutcome
    from summarizer.engines.llm.engine import LLMEngine

log = logging.getLogger("summarizer")

EXTRACTIVE_NOTICE = (
    "no model configured: using the extractive engine (set OPENAI_API_KEY or "
    "SUMMARIZER_BASE_URL, or pass --base-url, to use an LLM)"
)


class Summarizer:
    """Summarize articles with one resolved configuration.

    Keyword arguments override environment variables, which override defaults; see
    :class:`summarizer.config.Settings` for the names (``model``, ``base_url``,
    ``api_key``, ``engine``, ``mode``, ``temperature``, ``max_retries``, ``cache``...).
    No client is built and nothing is imported from ``openai`` until the first call.
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        if settings is None:
            self.settings = resolve_settings(**overrides)
        else:
            self.settings = settings.with_overrides(**overrides) if overrides else settings
        self._cache: ResultCache | None = None
        self._llm: LLMEngine | None = None

    # -- helpers -------------------------------------------------------------------------
    @property
    def engine(self) -> str:
        return self.settings.resolved_engine

    def _prompt_hash(self) -> str | None:
        if self.engine != "llm":
            return None
        from summarizer.prompts import load_prompts

        return load_prompts(self.settings.prompts_dir).hash

    def _result_cache(self) -> ResultCache | None:
        # Only LLM results are cached: the extractive engine is deterministic, takes
        # milliseconds, and its output depends on code no cache key could hash.
        if not self.settings.cache or self.engine != "llm":
            return None
        if self._cache is None:
            self._cache = ResultCache(cache_dir(self.settings), self.settings.cache_size_limit)
        return self._cache

    def _prepare(self, text: str, title: str | None = None) -> tuple[str, str | None]:
        if not isinstance(text, str):
            raise InputError(f"article must be a str, got {type(text).__name__}")
        article = check_text(text, "article").text
        limit = self.settings.max_input_chars
        if len(article) > limit:
            raise InputError(
                f"article is {len(article):,} characters, over the {limit:,} character limit"
            )
        key = None
        cache = self._result_cache()
        if cache is not None:
            key = cache_key(
                key_material(
                    self.settings, self.engine, self._prompt_hash(), schema_hash(), article, title
                )
            )
        return article, key

    def _cached(self, article: str, key: str | None, started: float) -> SummaryResult | None:
        cache = self._result_cache()
        if cache is None or key is None or self.settings.refresh:
            return None
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
                "latency_ms": (time.perf_counter() - started) * 1000,
            }
        )
        log.info("cache hit %s… (%s)", key[:12], cache.directory)
        return SummaryResult(summary=summary, meta=meta)

    def _store(self, key: str | None, result: SummaryResult) -> None:
        cache = self._result_cache()
        if cache is not None and key is not None:
            if result.meta.warnings:  # degraded (e.g. a fallback overview): retry next time
                log.info("result not cached: %s", "; ".join(result.meta.warnings))
                return
            cache.put(
                key,
                {
                    "summary": result.summary.model_dump(mode="json"),
                    "meta": result.meta.model_dump(mode="json"),
                },
            )

    def _meta(self, started: float, stats: Any = None) -> RunMeta:
        s = self.settings
        meta: dict[str, Any] = {
            "engine": self.engine,
            "schema_hash": schema_hash(),
            "version": __version__,
            "latency_ms": (time.perf_counter() - started) * 1000,
        }
        if self.settings.engine == "auto" and self.engine == "extractive":
            meta["warnings"] = [EXTRACTIVE_NOTICE]
        if self.engine == "llm":
            meta.update(
                model=s.model,
                endpoint=s.endpoint_host,
                mode=s.mode,
                prompt_hash=self._prompt_hash(),
            )
        else:
            meta.update(model="extractive", attempts=1, requests=0)
        if stats is not None:
            meta.update(
                attempts=stats.attempts,
                requests=stats.requests,
                usage=TokenUsage(
                    prompt_tokens=stats.usage.prompt_tokens,
                    completion_tokens=stats.usage.completion_tokens,
                    total_tokens=stats.usage.total_tokens,
                ),
            )
        return RunMeta(**meta)

    def _messages(self, article: str, title: str | None) -> list[dict[str, str]]:
        from summarizer.prompts import load_prompts

        return load_prompts(self.settings.prompts_dir).render(article, title=title or "")

    # -- public API ----------------------------------------------------------------------
    def _long(self, title: str | None) -> Any:
        from summarizer.engines.llm.chunked import LongArticle
        from summarizer.engines.llm.engine import LLMEngine

        if self._llm is None:  # one engine, so one HTTP client, per Summarizer
            self._llm = LLMEngine(self.settings)
        return LongArticle(self.settings, self._llm, lambda t: self._messages(t, title), title)

    def _llm_result(self, out: Any, stats: Any, started: float, key: str | None) -> SummaryResult:
        meta = self._meta(started, stats)
        meta.chunks = out.chunks
        meta.warnings = [*meta.warnings, *out.warnings]
        result = SummaryResult(summary=out.summary, meta=meta)
        self._store(key, result)
        return result

    def _extractive(self, article: str, title: str | None, started: float) -> SummaryResult:
        from summarizer.engines.extractive.engine import extract

        return SummaryResult(summary=extract(article, title=title), meta=self._meta(started))

    def summarize(self, text: str, *, title: str | None = None) -> SummaryResult:
        """Summarize one article; raises a :class:`summarizer.errors.SummarizerError`."""
        started = time.perf_counter()
        article, key = self._prepare(text, title)
        hit = self._cached(article, key, started)
        if hit is not None:
            return hit
        if self.engine != "llm":
            return self._extractive(article, title, started)
        from summarizer.engines.llm.engine import RunStats

        stats = RunStats()
        out = self._long(title).run(article, stats)
        return self._llm_result(out, stats, started, key)

    async def asummarize(self, text: str, *, title: str | None = None) -> SummaryResult:
        """Async :meth:`summarize` (``AsyncOpenAI`` underneath)."""
        started = time.perf_counter()
        article, key = self._prepare(text, title)
        hit = self._cached(article, key, started)
        if hit is not None:
            return hit
        if self.engine != "llm":
            return self._extractive(article, title, started)
        from summarizer.engines.llm.engine import RunStats

        stats = RunStats()
        out = await self._long(title).arun(article, stats)
        return self._llm_result(out, stats, started, key)

    def summarize_many(
        self, items: Iterable[BatchInput], *, concurrency: int | None = None, ordered: bool = False
    ) -> Iterator[BatchOutcome]:
        """Summarize many articles concurrently; yields one :class:`BatchOutcome` per item.

        ``items`` are strings, ``(id, text)`` pairs or :class:`summarizer.batch.BatchItem`,
        read lazily. Outcomes come in completion order (``ordered=True``: input order, at
        some cost in throughput); each carries its ``id`` and ``index``. A failing article
        yields an outcome with ``error`` set and never stops the others.
        """
        from summarizer.batch import iter_outcomes

        return iter_outcomes(self, items, concurrency or self.settings.concurrency, ordered)

    def asummarize_many(
        self, items: Iterable[BatchInput], *, concurrency: int | None = None, ordered: bool = False
    ) -> AsyncIterator[BatchOutcome]:
        """Async :meth:`summarize_many`: ``async for outcome in s.asummarize_many(items)``."""
        from summarizer.batch import run_batch

        return run_batch(self, items, concurrency or self.settings.concurrency, ordered)

    def scrub(self, text: str) -> str:
        """``text`` with this summarizer's API key blanked out (for error messages)."""
        from summarizer.engines.llm.transport import redact

        return redact(text, self.settings)

    def close(self) -> None:
        """Release the HTTP client and the cache handle (``aclose`` for async clients)."""
        if self._llm is not None:
            self._llm.close()
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> Summarizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Summarizer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._llm is not None:
            await self._llm.aclose()
        self.close()


def summarize(text: str, *, title: str | None = None, **settings: Any) -> SummaryResult:
    """One-shot helper: ``summarize(text, model=..., base_url=...)``."""
    summarizer = Summarizer(**settings)
    try:
        return summarizer.summarize(text, title=title)
    finally:
        summarizer.close()
