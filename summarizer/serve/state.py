"""What one server process holds: settings, pool, limits, metrics, summarizers and jobs."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from summarizer.fetch import FetchPolicy, afetch_article
from summarizer.serve.jobs import JobRunner, JobStore
from summarizer.serve.limits import ModelPool, RateLimiter
from summarizer.serve.metrics import Metrics, ProviderRateLimits
from summarizer.serve.problems import Problem
from summarizer.serve.summarizers import Summarizers

if TYPE_CHECKING:
    from summarizer.serve.config import ServeConfig
    from summarizer.serve.limits import Clock

JOBS_FILE = "jobs.sqlite3"
PURGE_EVERY = 3600.0  # seconds between purges of old jobs
log = logging.getLogger("summarizer.serve")


def html_article(html: str, title: str | None) -> tuple[str, str | None]:
    from summarizer.inputs import check_text, extract_html

    text, found = extract_html(html, "html")
    return check_text(text, "html").text, title or found


class ServerState:
    def __init__(self, config: ServeConfig, clock: Clock = time.monotonic) -> None:
        options = config.options
        self.config = config
        self.metrics = Metrics()
        self.pool = ModelPool(options.max_inflight, options.max_queue)
        self.metrics.watch(self.pool)
        self.summarizers = Summarizers(config.settings, self.pool, self.metrics)
        self.limiter = RateLimiter(options.rate_limit, clock) if options.rate_limit else None
        self.fetch = FetchPolicy(allow_private=options.allow_private_urls)
        self.draining = asyncio.Event()
        self._jobs: JobRunner | None = None
        self._log_hook = ProviderRateLimits(self.metrics.provider_429)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._purged = -math.inf  # when old jobs were last purged (time.time())

    @property
    def jobs(self) -> JobRunner:
        if self._jobs is None:
            raise RuntimeError("the server is not started (no lifespan)")
        return self._jobs

    def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        store = JobStore(self.config.state_dir / JOBS_FILE)
        self._jobs = JobRunner(
            store, self.summarizers, self.metrics, self.fetch, self.config.settings.concurrency
        )
        logging.getLogger("summarizer").addHandler(self._log_hook)
        self.purge_old_jobs()
        self._jobs.resume_orphans()

    def purge_old_jobs(self, now: float | None = None) -> int:
        """Forget finished jobs older than ``--keep-jobs`` days (at start, then at most
        once an hour as jobs are created); 0 days keeps them forever."""
        days = self.config.options.keep_jobs
        now = time.time() if now is None else now
        if not days or now - self._purged < PURGE_EVERY:
            return 0
        self._purged = now
        gone = self.jobs.store.purge(now - days * 86400)
        if gone:
            log.info("forgot %d finished job(s) older than %g day(s)", gone, days)
        return gone

    def warm_up(self) -> None:
        """Import the engines now: a first request must not stall the loop on imports."""
        import importlib

        modules = ["summarizer.engines.extractive.engine", "summarizer.inputs", "summarizer.fetch"]
        if self.config.settings.resolved_engine == "llm" or self.config.settings.has_endpoint:
            modules += ["openai", "instructor", "summarizer.engines.llm.chunked"]
            modules += ["summarizer.engines.llm.engine", "summarizer.prompts"]
        for name in modules:
            importlib.import_module(name)

    def drain_soon(self) -> None:
        """:meth:`drain` from a signal handler (thread-safe)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        """Stop waiting event streams: the process is shutting down."""
        self.draining.set()
        if self._jobs is not None:
            self._jobs.wake_all()

    async def close(self) -> None:
        logging.getLogger("summarizer").removeHandler(self._log_hook)
        if self._jobs is not None:
            await self._jobs.aclose()
            self._jobs.store.close()
        await self.summarizers.aclose()

    def job(self, job: str, client: str) -> dict[str, Any]:
        """The status of ``job``; 404 unless it exists and ``client`` (the hash of the
        caller's key) created it: a key sees only its own jobs."""
        row = self.jobs.store.get(job)
        if row is None or row.client != client:
            raise Problem(404, f"no job {job!r} on this server")
        return row.to_dict()

    async def article(
        self, text: str | None, html: str | None, url: str | None, title: str | None
    ) -> tuple[str, str | None]:
        """The article text and title of a request (exactly one of text, html, url)."""
        if text is not None:
            return text, title
        if html is not None:
            return await asyncio.to_thread(html_article, html, title)
        assert url is not None  # the request model allows nothing else
        page = await afetch_article(url, self.fetch)
        return page.text, title or page.title

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        settings = self.config.settings
        engine = settings.resolved_engine
        details: dict[str, Any] = {"engine": engine, "cache": "off"}
        if settings.cache and engine == "llm":
            from summarizer.cache import ResultCache, cache_dir
            from summarizer.errors import CacheError

            cache = ResultCache(cache_dir(settings), settings.cache_size_limit)
            details["cache"] = "redis" if cache.url else "disk"
            try:
                await asyncio.to_thread(cache.stats)
            except CacheError as exc:
                details.update(status="not ready", reason=self.config.scrub(exc.message))
                return False, details
            finally:
                cache.close()
        details["status"] = "ready"
        return True, details
