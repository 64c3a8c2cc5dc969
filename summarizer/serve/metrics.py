"""Prometheus metrics (``prometheus-client``), one registry per app.

Requests by route template and status, latency histograms, model tokens, cache hits,
model calls in flight, queue depth and provider 429s. Labels are route templates and
statuses only: never a key, a URL's query or an article.

With ``--workers N`` the processes share one set of figures: ``summarizer serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory under the state dir before it starts
them, each worker writes its values there (prometheus-client's multiprocess mode), and
whichever worker answers ``/metrics`` sums them all; gauges count live workers only.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from summarizer.serve.processes import alive

if TYPE_CHECKING:
    from summarizer.result import SummaryResult
    from summarizer.serve.limits import ASGIApp, ModelPool, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


#: The environment variable of prometheus-client's multiprocess mode.
MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    raw = os.environ.get(MULTIPROC_VAR, "").strip()
    return Path(raw) if raw else None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.shared = multiprocess_dir()  # set for a server of several workers
        r = self.registry
        live: dict[str, Any] = {"multiprocess_mode": "livesum"} if self.shared else {}
        self.requests = Counter(
            "summarizer_http_requests", "HTTP requests.", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "summarizer_http_request_duration_seconds",
            "HTTP request latency.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "summarizer_model_tokens", "Model tokens spent.", ["kind"], registry=r
        )
        self.summaries = Counter(
            "summarizer_summaries", "Summaries made, by engine and outcome.", ["engine"], registry=r
        )
        self.cache_hits = Counter(
            "summarizer_cache_hits", "Results served from the cache.", registry=r
        )
        self.inflight = Gauge(
            "summarizer_model_calls_in_flight", "Model calls running.", registry=r, **live
        )
        self.queue = Gauge(
            "summarizer_queue_depth",
            "Requests and job items waiting for a model call.",
            registry=r,
            **live,
        )
        self.provider_429 = Counter(
            "summarizer_provider_rate_limited", "HTTP 429s from the model provider.", registry=r
        )
        self.jobs = Gauge(
            "summarizer_jobs_active", "Jobs queued or running here.", registry=r, **live
        )

    def watch(self, pool: ModelPool) -> None:
        if self.shared is None:
            self.inflight.set_function(lambda: pool.inflight)
            self.queue.set_function(lambda: pool.queue_depth)
            return

        def changed() -> None:  # a worker's gauges live in its files: written as they move
            self.inflight.set(pool.inflight)
            self.queue.set(pool.queue_depth)

        pool.on_change = changed
        changed()

    def observe(self, result: SummaryResult) -> None:
        meta = result.meta
        self.summaries.labels(meta.engine).inc()
        if meta.cache_hit:
            self.cache_hits.inc()
        self.tokens.labels("prompt").inc(meta.usage.prompt_tokens)
        self.tokens.labels("completion").inc(meta.usage.completion_tokens)

    def render(self) -> bytes:
        if self.shared is None:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        for pid in _dead_workers(self.shared):
            multiprocess.mark_process_dead(pid, str(self.shared))  # type: ignore[no-untyped-call]
        everyone = CollectorRegistry()
        multiprocess.MultiProcessCollector(everyone, path=str(self.shared))  # type: ignore[no-untyped-call]
        return generate_latest(everyone)


def _dead_workers(directory: Path) -> set[int]:
    """Workers that left gauge files behind but are gone (restarted by the supervisor)."""
    pids = set()
    for path in directory.glob("gauge_*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit():
            pids.add(int(pid))
    return {pid for pid in pids if not alive(pid)}


class ProviderRateLimits(logging.Handler):
    """Counts the provider's 429s from the library's transport log lines (no text kept)."""

    def __init__(self, counter: Counter) -> None:
        super().__init__(logging.INFO)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.__class__ is str and record.msg.startswith("transport retry"):
            args = record.args if isinstance(record.args, tuple) else ()
            if any(str(a).startswith("HTTP 429") for a in args):
                self.counter.inc()


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            if str(scope.get("path", "")).startswith("/v1/") and not route.startswith("/v1/"):
                route = "/v1" + route  # routes of the included /v1 router carry no prefix
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)
