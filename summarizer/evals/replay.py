"""Record and replay model traffic at a loopback proxy, whatever HTTP stack the SDK uses.

The ``openai`` SDK talks to :class:`ModelProxy` on ``127.0.0.1``. The proxy forwards each
request with ``requests`` (urllib3), which ``vcrpy`` intercepts:

* ``live``: plain forwarding, no cassette (used to meter tokens of failed articles too);
* ``record``: forwarding inside a cassette in ``all`` mode: every exchange is saved, with
  auth headers removed and the API key scrubbed from bodies;
* ``replay``: the cassette in ``none`` mode, no network at all. A request with no
  recording (prompt, schema, settings or article changed) is answered with HTTP 400 and
  remembered; the runner turns it into :class:`RecordingMissing`, naming the re-record
  command. Requests are matched on method + path + body: the body holds the prompt and the
  article, so a changed prompt can never replay an old answer.

One cassette (``<article id>.yaml``) per article, chosen with :meth:`ModelProxy.cassette`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from summarizer.errors import EvalFailed

ProxyMode = Literal["live", "record", "replay"]
FILTERED_HEADERS = (
    "authorization",
    "api-key",
    "openai-organization",
    "openai-project",
    "x-api-key",
)
_FORWARDED = ("content-type", "accept", "authorization", "api-key")
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"}
)
REPLAY_HOST = "http://recorded.invalid"
_SKIP_PATCHERS = ("httpx", "httpx2", "aiohttp", "tornado", "httplib2", "boto3")


class RecordingMissing(EvalFailed):
    """Replay met a request that was never recorded: the recordings are stale."""


@dataclass
class Exchange:
    """What the proxy saw for one model request: enough to meter a failed article."""

    path: str
    status: int
    usage: dict[str, int] = field(default_factory=dict)
    answer: str | None = None  # the assistant's tool arguments or content, if any


def _answer_of(body: dict[str, Any]) -> str | None:
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message") or {}
    calls = message.get("tool_calls") or []
    if calls and isinstance(calls[0], dict):
        args = (calls[0].get("function") or {}).get("arguments")
        if isinstance(args, str):
            return args
    content = message.get("content")
    return content if isinstance(content, str) else None


def exchange_of(path: str, status: int, raw: bytes) -> Exchange:
    """Parse a chat-completion response body into an :class:`Exchange` (best effort)."""
    ex = Exchange(path=path, status=status)
    try:
        body = json.loads(raw)
    except ValueError:
        return ex
    if isinstance(body, dict):
        usage = body.get("usage")
        if isinstance(usage, dict):
            ex.usage = {k: int(v) for k, v in usage.items() if isinstance(v, int)}
        ex.answer = _answer_of(body)
    return ex


def _session() -> Any:
    import requests

    session = requests.Session()
    session.trust_env = False  # never route through an environment proxy
    return session


class ModelProxy:
    """A forwarding proxy on 127.0.0.1; use as a context manager, then ``.url`` as base URL."""

    def __init__(
        self,
        target: str | None,
        mode: ProxyMode = "live",
        directory: Path | None = None,
        secrets: tuple[str, ...] = (),
        rerecord_hint: str = "",
    ) -> None:
        if mode != "live" and directory is None:
            raise ValueError(f"{mode} mode needs a recordings directory")
        if mode == "replay":  # same path as recorded, a host that cannot resolve
            target = REPLAY_HOST + (urlsplit(target).path if target else "/v1")
        if target is None:
            raise ValueError("live and record modes need a target base URL")
        self.target = target.rstrip("/")
        self.mode: ProxyMode = mode
        self.directory = directory
        self.secrets = tuple(s for s in secrets if s)
        self.rerecord_hint = rerecord_hint
        self.exchanges: list[Exchange] = []
        self.misses: list[str] = []
        self._lock = threading.Lock()
        self._session: Any = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ModelProxy:
        self._session = _session()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._session is not None:
            self._session.close()

    # -- cassettes -------------------------------------------------------------------------
    def _vcr(self) -> Any:
        import vcr  # type: ignore[import-untyped]

        return vcr.VCR(
            serializer="yaml",
            record_mode="all" if self.mode == "record" else "none",
            match_on=("method", "path", "body"),
            filter_headers=list(FILTERED_HEADERS),
            before_record_request=self._scrub_request,
            before_record_response=self._scrub_response,
            decode_compressed_response=True,
            record_on_exception=False,
            # Only the proxy's own leg (requests/urllib3) is recorded: vcrpy also patches
            # httpx/httpx2, which would record the SDK's call to the proxy a second time.
            skip_patchers=_SKIP_PATCHERS,
        )

    @contextmanager
    def cassette(self, name: str) -> Iterator[None]:
        """Record into / replay from ``<directory>/<name>.yaml`` while the block runs."""
        if self.mode == "live" or self.directory is None:
            yield
            return
        path = self.directory / f"{name}.yaml"
        if self.mode == "record":
            self.directory.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)  # a re-record replaces the old exchanges
        live_session = self._session
        with self._vcr().use_cassette(str(path)):
            # A fresh session inside the cassette: no pooled connection escapes vcrpy.
            self._session = _session()
            try:
                yield
            finally:
                self._session.close()
                self._session = live_session

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def _scrub_request(self, request: Any) -> Any:
        body = request.body
        if self.secrets and body:
            raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
            request.body = self._scrub(raw).encode("utf-8")
        return request

    def _scrub_response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers") or {}
        for name in list(headers):
            if name.lower() in FILTERED_HEADERS or name.lower() == "set-cookie":
                del headers[name]
        body = response.get("body") or {}
        raw = body.get("string")
        if self.secrets and isinstance(raw, bytes):
            body["string"] = self._scrub(raw.decode("utf-8", "replace")).encode("utf-8")
        return response

    # -- forwarding ------------------------------------------------------------------------
    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request on (through the cassette, if any); return status, headers, body."""
        from vcr.errors import (  # type: ignore[import-untyped]
            CannotOverwriteExistingCassetteException,
        )

        # The SDK's base URL is ``<proxy>/v1``: swap that prefix for the target base URL.
        url = self.target + (path[3:] if path.startswith("/v1") else path)
        sent = {k: v for k, v in headers.items() if k.lower() in _FORWARDED}
        try:
            resp = self._session.request(method, url, data=body or None, headers=sent, timeout=None)
        except CannotOverwriteExistingCassetteException:
            with self._lock:
                self.misses.append(f"{method} {path}")
            message = f"no recorded answer for this request. {self.rerecord_hint}".strip()
            err = {"error": {"message": message, "type": "replay_miss", "code": "replay_miss"}}
            return 400, {"Content-Type": "application/json"}, json.dumps(err).encode()
        out = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP}
        data: bytes = resp.content
        if path.endswith("/chat/completions"):
            with self._lock:
                self.exchanges.append(exchange_of(path, resp.status_code, data))
        return int(resp.status_code), out, data

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                try:
                    status, out, data = proxy.forward(self.command, self.path, headers, body)
                except Exception as exc:
                    err = {"error": {"message": f"eval proxy: {type(exc).__name__}: {exc}"}}
                    status, out, data = 502, {}, json.dumps(err).encode()
                self.send_response(status)
                for k, v in out.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _relay
            do_POST = _relay

        return Handler
