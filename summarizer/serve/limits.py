"""The server's limits: one bounded pool of model calls, per-key request rates, body size.

:class:`ModelPool` lets ``max_inflight`` model calls run at once; past ``max_queue``
requests waiting for a place it refuses (503 with ``Retry-After``) instead of queueing
without bound. Job items wait in the same pool but are never refused (a job is a queue).
:class:`RateLimiter` is a token bucket per key (429 with ``Retry-After``), with an
injected clock. :class:`BodyLimit` answers 413 for a body over the limit before any of
it is parsed.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from summarizer.serve.problems import MEDIA_TYPE, Problem

Clock = Callable[[], float]
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]


class ModelPool:
    """At most ``size`` model calls at once; at most ``max_queue`` requests waiting."""

    def __init__(self, size: int, max_queue: int, retry_after: int = 1) -> None:
        self.size = size
        self.max_queue = max_queue
        self.retry_after = retry_after
        self.inflight = 0
        self.waiting = 0  # requests (refused past max_queue)
        self.job_waiting = 0  # job items (never refused)
        self.on_change: Callable[[], None] | None = None  # told of each change (metrics)
        self._gate = asyncio.Semaphore(size)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    @property
    def queue_depth(self) -> int:
        return self.waiting + self.job_waiting

    @asynccontextmanager
    async def slot(self, *, bounded: bool = True) -> AsyncIterator[None]:
        full = self.inflight >= self.size or self._gate.locked()
        if bounded and full and self.waiting >= self.max_queue:
            raise Problem(
                503,
                f"the server is at capacity ({self.size} model calls running, "
                f"{self.waiting} waiting): retry later",
                {"Retry-After": str(self.retry_after)},
            )
        if bounded:
            self.waiting += 1
        else:
            self.job_waiting += 1
        self._changed()
        try:
            await self._gate.acquire()
        finally:
            if bounded:
                self.waiting -= 1
            else:
                self.job_waiting -= 1
        self.inflight += 1
        self._changed()
        try:
            yield
        finally:
            self.inflight -= 1
            self._gate.release()
            self._changed()


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to that many."""

    def __init__(self, per_minute: float, clock: Clock = time.monotonic, max_keys: int = 10_000):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def check(self, key: str) -> None:
        """Take one token for ``key`` or raise a 429 :class:`Problem`."""
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = math.ceil((1.0 - tokens) / self.rate) if self.rate > 0 else 60
            raise Problem(
                429,
                f"rate limit of {self.capacity:g} requests a minute reached: retry in {wait}s",
                {"Retry-After": str(wait)},
            )
        self._buckets[key] = (tokens - 1.0, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is a 413, never parsed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            result: dict[str, Any] = await receive()
            return result

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Content Too Large",
                "status": 413,
                "detail": f"the request body is over the {self.limit:,} byte limit (--max-body)",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
