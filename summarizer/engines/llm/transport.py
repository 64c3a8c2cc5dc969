"""Transport-level retries and the mapping of HTTP failures to our error tree.

Retried (``tenacity``; exponential backoff with full jitter, ``Retry-After`` /
``retry-after-ms`` honoured up to ``max_wait``, bounded by attempts *and* by a deadline):
HTTP 408, 409, 429 (except ``insufficient_quota``), 500 (except one saying the prompt
does not fit the context window), 502, 503, 504, timeouts and connection errors. Never
retried: 400, 401, 403, 404, 422 and anything else another attempt cannot fix. The
``openai`` SDK's own retries are off (``max_retries=0``), so this is the only transport
policy. Validation re-asks are a separate policy (instructor's
``max_retries``, see :mod:`summarizer.engines.llm.engine`).

The deadline bounds the wall time of all transport attempts of one model call: each
request's timeout is cut to the time left, and a backoff sleep that would cross the
deadline is not taken.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from summarizer.errors import (
    AuthenticationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderError,
    SummarizerError,
)

if TYPE_CHECKING:
    from summarizer.config import Settings

T = TypeVar("T")
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
NEVER_RETRIED = frozenset({400, 401, 403, 404, 422})
MIN_REQUEST_TIMEOUT = 0.05  # seconds: never send a request with a smaller timeout than this
# What servers say when the prompt does not fit: OpenAI and vLLM ("This model's maximum
# context length is N tokens"), vLLM V1 ("... longer than the maximum model length of N"),
# llama.cpp server ("the request exceeds the available context size"), llama-cpp-python
# ("Requested tokens (N) exceed context window of M"), Ollama ("input length exceeds the
# context length").
_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "exceed_context_size_error",
    "context length",
    "maximum context",
    "context window",
    "available context size",
    "maximum model length",
    "too many tokens",
    "exceeds the context",
    "n_ctx",
)
# The error's ``type`` / ``code`` when the server sets one: OpenAI's code, llama.cpp's type.
_CONTEXT_KINDS = frozenset({"context_length_exceeded", "exceed_context_size_error"})
# Statuses a context-length rejection comes with: 400 mostly, 413/422 from some proxies, 500
# from llama-cpp-python (an unformatted ValueError) and some Ollama versions.
_CONTEXT_STATUSES = frozenset({400, 413, 422, 500})
_QUOTA_MARKERS = ("insufficient_quota", "exceeded your current quota")


class _Stats(Protocol):
    requests: int
    stop_reason: str | None


@dataclass
class RetryPolicy:
    """How many HTTP attempts, for how long, and how long to sleep in between."""

    attempts: int = 5  # total HTTP attempts for one model call (1 + retries)
    deadline: float = 300.0  # seconds for all attempts of one model call, sleeps included
    max_wait: float = 30.0  # cap on one sleep, Retry-After included
    base_wait: float = 0.5  # first backoff step; doubles per attempt, full jitter
    on_retry: Callable[[str, float], None] | None = None  # (reason, seconds to sleep)


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _is_quota(exc: BaseException) -> bool:
    """OpenAI's 429 ``insufficient_quota``: out of credit, which no retry fixes."""
    body = getattr(exc, "body", None)
    text = str(body if body is not None else "").lower()
    return any(m in text for m in _QUOTA_MARKERS)


def _error_kinds(exc: BaseException) -> set[str]:
    """The lower-cased string ``type`` and ``code`` of an error body (top level or ``error``)."""
    body = getattr(exc, "body", None)
    kinds: set[str] = set()
    if isinstance(body, dict):
        for part in (body, body.get("error")):
            if isinstance(part, dict):
                for key in ("type", "code"):
                    value = part.get(key)
                    if isinstance(value, str):
                        kinds.add(value.strip().lower())
    return kinds


def is_context_length(exc: BaseException) -> bool:
    """Whether the server rejected the prompt as too long for the model's context window."""
    if status_of(exc) not in _CONTEXT_STATUSES:
        return False
    if _error_kinds(exc) & _CONTEXT_KINDS:
        return True
    message = " ".join(_server_message(exc).lower().split())
    return any(m in message for m in _CONTEXT_MARKERS)


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt could succeed: rate limits, server errors, network trouble.

    Not a 500 that says the prompt does not fit: the same prompt fails the same way.
    """
    import openai

    if isinstance(exc, openai.APIStatusError):
        return (
            exc.status_code in RETRY_STATUSES and not _is_quota(exc) and not is_context_length(exc)
        )
    return isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError))


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` / ``Retry-After``), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return max(0.0, value)
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        value = parsed.timestamp() - time.time()
    return max(0.0, value) if math.isfinite(value) else None


def reason(exc: BaseException) -> str:
    """A short label for a log line: ``HTTP 503`` or ``APITimeoutError``."""
    status = status_of(exc)
    if status is not None:
        return f"HTTP {status}"
    return type(exc).__name__


class _Attempts:
    """State shared by the sync and async loops: attempt count, deadline, planned sleeps."""

    def __init__(self, policy: RetryPolicy, stats: _Stats) -> None:
        self.policy = policy
        self.stats = stats
        self.started = time.monotonic()
        self.attempt = 0
        self.sleeps: dict[int, float] = {}
        stats.stop_reason = None

    def remaining(self) -> float:
        return self.policy.deadline - (time.monotonic() - self.started)

    def begin(self) -> float:
        """Count one HTTP attempt; return the timeout it may use (the time left)."""
        self.attempt += 1
        self.stats.requests += 1
        return max(MIN_REQUEST_TIMEOUT, self.remaining())

    def should_retry(self, exc: BaseException) -> bool:
        if not is_transient(exc):
            return False
        policy = self.policy
        if self.attempt >= policy.attempts:
            self.stats.stop_reason = (
                f"gave up after {self.attempt} attempt(s) (--transport-retries="
                f"{policy.attempts - 1})"
            )
            return False
        asked = retry_after(exc)
        if asked is not None:
            sleep = min(asked, policy.max_wait)
            why = f"{reason(exc)} (Retry-After {asked:g}s)"
        else:  # "full jitter" exponential backoff
            ceiling = min(policy.max_wait, policy.base_wait * 2 ** (self.attempt - 1))
            sleep = random.uniform(0, ceiling)
            why = reason(exc)
        if sleep >= self.remaining():
            self.stats.stop_reason = (
                f"gave up after {self.attempt} attempt(s): the next retry would pass "
                f"--deadline={policy.deadline:g}s"
            )
            return False
        self.sleeps[self.attempt] = sleep
        if policy.on_retry is not None:
            policy.on_retry(f"{why} on attempt {self.attempt} of {policy.attempts}", sleep)
        return True

    def sleep_for(self, state: Any) -> float:
        return self.sleeps.pop(state.attempt_number, 0.0)


def retrying_call(fn: Callable[[float], T], policy: RetryPolicy, stats: _Stats) -> T:
    """Call ``fn(timeout)`` until it succeeds, fails for good, or the policy gives up.

    ``fn`` receives the seconds left before the deadline, to use as its request timeout.
    The last exception is re-raised unchanged; ``stats.stop_reason`` says why we stopped.
    """
    from tenacity import Retrying, retry_if_exception, stop_after_attempt

    state = _Attempts(policy, stats)
    for attempt in Retrying(
        retry=retry_if_exception(state.should_retry),
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=state.sleep_for,
        reraise=True,
    ):
        with attempt:
            return fn(state.begin())
    raise AssertionError("unreachable")  # pragma: no cover


async def retrying_call_async(
    fn: Callable[[float], Awaitable[T]], policy: RetryPolicy, stats: _Stats
) -> T:
    """Async :func:`retrying_call` (sleeps with ``asyncio.sleep``)."""
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

    state = _Attempts(policy, stats)
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(state.should_retry),
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=state.sleep_for,
        reraise=True,
    ):
        with attempt:
            return await fn(state.begin())
    raise AssertionError("unreachable")  # pragma: no cover


def redact(text: str, settings: Settings) -> str:
    """Remove the API key (and any distinctive prefix of it a server echoed) from a message."""
    if settings.api_key is not None:
        key = settings.api_key.get_secret_value()
        if key:
            text = text.replace(key, "***")
            if len(key) > 12:
                text = text.replace(key[:12], "***")
    return text


def _server_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def not_json_error(settings: Settings, snippet: str = "") -> ProviderError:
    """A 200 whose body is not a chat completion: usually a wrong ``--base-url``."""
    start = f" (body starts {_one_line(redact(snippet, settings), 60)!r})" if snippet else ""
    return ProviderError(
        f"{settings.endpoint_host} answered with something that is not a chat completion"
        f"{start}: check that --base-url is an OpenAI-compatible API (usually ending in /v1)"
    )


def classify(
    exc: BaseException, settings: Settings, requests: int = 1, note: str | None = None
) -> SummarizerError | None:
    """Our error for an ``openai`` exception, or None if ``exc`` is not one.

    Messages are one line, name the endpoint by scheme/host/path only, never contain the
    API key, and say what to change. ``note`` (why the retry loop stopped) is appended.
    """
    import openai

    host = settings.endpoint_host
    tries = f" after {requests} request(s)" if requests > 1 and not note else ""
    tail = f"; {note}" if note else ""
    err: SummarizerError
    if isinstance(exc, openai.APITimeoutError):
        err = ProviderError(
            f"{host} did not answer in time{tries} (--timeout={settings.timeout:g}s per "
            f"request, --deadline={settings.deadline:g}s in all){tail}"
        )
    elif isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f": {type(cause).__name__}" if cause else ""
        err = ProviderError(f"cannot reach {host}{tries} (connection failed{detail}){tail}")
    elif isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        # Never echo the server's text here: OpenAI's 401 message quotes part of the key.
        err = AuthenticationError(
            f"{host} rejected the API key (HTTP {exc.status_code}): check SUMMARIZER_API_KEY "
            "or OPENAI_API_KEY"
        )
    elif isinstance(exc, openai.NotFoundError):
        err = ModelNotFoundError(
            f"model {settings.model!r} was not found at {host} (HTTP 404): check --model "
            "or SUMMARIZER_MODEL, and that --base-url ends in /v1"
        )
    elif isinstance(exc, openai.APIStatusError):
        message = _one_line(redact(_server_message(exc), settings))
        status = exc.status_code
        if is_context_length(exc):
            err = ContextLengthError(
                f"the article does not fit the context window of {settings.model!r} "
                f"(HTTP {status}): use a model with a longer context or a shorter article, "
                f"or lower --max-tokens; server said: {message}"
            )
        elif status == 429 and _is_quota(exc):
            err = ProviderError(
                f"{host} refused the request: the account's quota is used up (HTTP 429, "
                f"not retried): {message}"
            )
        elif status == 429:
            err = ProviderError(f"{host} kept rate-limiting (HTTP 429){tries}: {message}{tail}")
        elif status >= 500:
            err = ProviderError(f"{host} failed with HTTP {status}{tries}: {message}{tail}")
        else:
            err = ProviderError(f"{host} rejected the request (HTTP {status}): {message}")
    elif isinstance(exc, openai.APIResponseValidationError):
        err = not_json_error(settings)
    elif isinstance(exc, openai.OpenAIError):
        err = ProviderError(f"{host}: {_one_line(redact(str(exc), settings))}")
    else:
        return None
    return err
