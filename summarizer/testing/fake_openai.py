"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1, for offline tests.

It serves queued responses over real HTTP (so the pinned ``openai`` SDK and
``instructor`` run end to end whatever HTTP stack they use) and records every
request. Queue items are :class:`Reply` objects; helpers build typical ones;
``default`` answers whatever the queue does not.

With ``rate_limit=RateLimit(rpm=..., burst=..., tpm=...)`` the chat endpoint enforces
token buckets as OpenAI does: a request costs one request and its estimated prompt plus
``max_tokens`` tokens; over the limit it is answered 429 with ``Retry-After`` /
``retry-after-ms`` and every answer carries ``x-ratelimit-limit|remaining|reset-requests``
(and ``-tokens``) headers.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from summarizer.testing.fake_batches import FakeBatches


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON; str/bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    action: str = ""  # "" | "hang" | "reset" | "close" | "drip"
    drip_every: float = 0.05  # "drip": seconds between single bytes of the body


@dataclass
class RateLimit:
    """Token buckets of the fake: ``rpm`` requests and ``tpm`` tokens per minute,
    holding at most ``burst`` / ``token_burst`` (default: one minute's worth)."""

    rpm: float | None = None
    burst: float | None = None
    tpm: float | None = None
    token_burst: float | None = None


class _FakeBucket:
    def __init__(self, per_minute: float, capacity: float | None) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = capacity if capacity is not None else per_minute
        self.level = self.capacity  # what is left
        self.last = time.monotonic()

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
        self.last = now

    def wait_for(self, cost: float) -> float:
        return max(0.0, (min(cost, self.capacity) - self.level) / self.rate)

    def headers(self, kind: str) -> dict[str, str]:
        reset = (self.capacity - self.level) / self.rate
        return {
            f"x-ratelimit-limit-{kind}": f"{self.per_minute:g}",
            f"x-ratelimit-remaining-{kind}": str(max(0, math.floor(self.level))),
            f"x-ratelimit-reset-{kind}": f"{reset:.3f}s",
        }


def counted_tokens(body: dict[str, Any]) -> int:
    """What the fake charges a chat request against TPM: a quarter of the characters of its
    messages and tools (an estimate independent of the client's) plus ``max_tokens``."""
    text = json.dumps(body.get("messages") or []) + json.dumps(body.get("tools") or [])
    ceiling = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    return len(text) // 4 + int(ceiling)


class _Limiter:
    """The fake's token buckets (see :class:`RateLimit`); call under the server's lock."""

    def __init__(self, spec: RateLimit) -> None:
        self.requests = _FakeBucket(spec.rpm, spec.burst) if spec.rpm else None
        self.tokens = _FakeBucket(spec.tpm, spec.token_burst) if spec.tpm else None

    def admit(self, body: dict[str, Any]) -> tuple[float, dict[str, str]]:
        """Seconds to wait (0: admitted and charged) and the x-ratelimit headers."""
        now = time.monotonic()
        cost = {"requests": 1.0, "tokens": float(counted_tokens(body))}
        buckets = {"requests": self.requests, "tokens": self.tokens}
        wait = 0.0
        for kind, bucket in buckets.items():
            if bucket is not None:
                bucket.refill(now)
                wait = max(wait, bucket.wait_for(cost[kind]))
        if wait == 0.0:
            for kind, bucket in buckets.items():
                if bucket is not None:
                    bucket.level -= min(cost[kind], bucket.capacity)
        headers: dict[str, str] = {}
        for kind, bucket in buckets.items():
            if bucket is not None:
                headers.update(bucket.headers(kind))
        return wait, headers


def rate_limited_reply(wait: float, headers: dict[str, str]) -> Reply:
    """OpenAI's 429 for a rate limit (not a quota): wait ``wait`` seconds."""
    body = error_body(
        f"Rate limit reached: please try again in {wait * 1000:.0f}ms.",
        code="rate_limit_exceeded",
        typ="requests",
    )
    asked = {
        "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
        "retry-after": str(max(1, math.ceil(wait))),
    }
    return Reply(429, body, headers={**headers, **asked})


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def tool_name(model: str = "ArticleSummary") -> str:
    return model


def usage(prompt: int = 100, completion: int = 50) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(
    payload: dict[str, Any] | str,
    *,
    mode: str = "tools",
    name: str = "ArticleSummary",
    finish_reason: str | None = None,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    model: str = "fake-model",
) -> dict[str, Any]:
    """A chat.completion body answering with ``payload`` as a tool call or as content."""
    args = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    message: dict[str, Any] = {"role": "assistant"}
    if mode == "tools":
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": name, "arguments": args},
            }
        ]
        finish = finish_reason or "tool_calls"
    else:
        message["content"] = args if mode != "md_json" else f"```json\n{args}\n```"
        finish = finish_reason or "stop"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": usage(prompt_tokens, completion_tokens),
    }


def error_body(
    message: str, code: str | None = None, typ: str = "invalid_request_error"
) -> dict[str, Any]:
    return {"error": {"message": message, "type": typ, "code": code, "param": None}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # batch tests open many connections at once
    fake: FakeOpenAI


def _encode(body: Any) -> tuple[bytes, str]:
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode(), "application/json"
    if isinstance(body, bytes):
        return body, "text/plain"
    return str(body or "").encode(), "text/plain"


class _Handler(BaseHTTPRequestHandler):
    """Serves one request of :class:`FakeOpenAI` (its state is ``self.server.fake``)."""

    protocol_version = "HTTP/1.1"
    # headers and body are written separately: without this, Nagle's algorithm
    # meets delayed ACKs and every request pays ~40 ms
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        fake = self.server.fake
        if fake.batch_api.handles(self.path):
            with fake._lock:
                self._send(Reply(*fake.batch_api.get(self.path)))
            return
        self._send(Reply(200, {"object": "list", "data": [{"id": "fake-model"}]}))

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if fake.batch_api.handles(self.path):
            ctype = self.headers.get("Content-Type") or ""
            with fake._lock:
                self._send(Reply(*fake.batch_api.post(self.path, ctype, raw)))
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        headers = {k.lower(): v for k, v in self.headers.items()}
        with fake._lock:
            fake.requests.append(Recorded("POST", self.path, headers, body))
            reply = fake.answer(body)
        self._send(reply)

    def _misbehave(self, reply: Reply) -> bool:
        """Hang, reset or close instead of answering; True when the reply is done."""
        stop = self.server.fake._stop
        if reply.action == "hang":
            stop.wait(30)
            return True
        if reply.action == "reset":
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"id":')
            self.wfile.flush()
            self.close_connection = True
            return True
        if reply.action == "close":
            self.close_connection = True
            return True
        return False

    def _drip(self, data: bytes, every: float) -> None:
        """A valid answer, one byte at a time."""
        stop = self.server.fake._stop
        for i in range(len(data)):
            if stop.wait(every):
                return
            try:
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                return

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            self.server.fake._stop.wait(reply.delay)
        if self._misbehave(reply):
            return
        data, ctype = _encode(reply.body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.headers.get("Content-Type", ctype))
        for k, v in reply.headers.items():
            if k != "Content-Type":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if reply.action == "drip":
            self._drip(data, reply.drip_every)
        else:
            self.wfile.write(data)


class FakeOpenAI:
    """Context manager running the server in a thread; ``url`` is the base URL (``.../v1``)."""

    def __init__(
        self, *, rate_limit: RateLimit | None = None, default: Reply | None = None
    ) -> None:
        self.queue: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.default = default  # answers chat requests when the queue is empty
        self.limiter = _Limiter(rate_limit) if rate_limit is not None else None
        self.rate_limited = 0  # requests answered 429 by the rate limit
        self.batch_api = FakeBatches(self)  # /v1/files and /v1/batches
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # poll for shutdown often: the stock 0.5 s makes every teardown wait
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def answer(self, body: dict[str, Any]) -> Reply:
        """The reply to a chat request (under the lock): rate limit, queue, default."""
        extra: dict[str, str] = {}
        if self.limiter is not None:
            wait, extra = self.limiter.admit(body)
            if wait > 0:
                self.rate_limited += 1
                return rate_limited_reply(wait, extra)
        if self.queue:
            reply = self.queue.popleft()
        elif self.default is not None:
            reply = self.default
        else:
            reply = Reply(500, error_body("fake server: no queued response", typ="server_error"))
        if extra:
            reply = Reply(
                reply.status, reply.body, {**extra, **reply.headers}, reply.delay, reply.action
            )
        return reply

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}/v1"

    def push(self, *replies: Reply | dict[str, Any]) -> None:
        for r in replies:
            self.queue.append(r if isinstance(r, Reply) else Reply(200, r))

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_idle(self, timeout: float = 2.0) -> None:
        end = time.monotonic() + timeout
        while self.queue and time.monotonic() < end:
            time.sleep(0.01)
