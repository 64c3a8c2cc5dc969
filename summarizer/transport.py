"""Transport-level retries and the mapping of HTTP failures to our error tree.

Retried (with exponential backoff and jitter, ``Retry-After`` honoured up to a cap,
bounded by attempts and by a deadline): 408, 409, 429, 5xx, timeouts, connection errors.
Never retried: 400, 401, 403, 404, 422 and anything else a retry cannot fix.
"""

from __future__ import annotations

import email.utils
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
_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "context length",
    "maximum context",
    "context window",
    "too many tokens",
    "exceeds the context",
    "n_ctx",
)


class _Stats(Protocol):
    requests: int


@dataclass
class RetryPolicy:
    attempts: int = 5
    deadline: float = 300.0
    max_wait: float = 30.0
    base_wait: float = 0.5
    on_retry: Callable[[str, float], None] | None = None


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt could succeed: rate limits, server errors, network trouble."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUSES
    return isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError))


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` / ``retry-after-ms``), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def reason(exc: BaseException) -> str:
    status = status_of(exc)
    if status is not None:
        return f"HTTP {status}"
    return type(exc).__name__


def _wait_for(exc: BaseException, attempt: int, policy: RetryPolicy) -> float:
    asked = retry_after(exc)
    if asked is not None:
        return min(asked, policy.max_wait)
    # "full jitter" exponential backoff
    return random.uniform(0, min(policy.max_wait, policy.base_wait * 2 ** (attempt - 1)))


def _next_wait(
    exc: BaseException, attempt: int, started: float, policy: RetryPolicy
) -> float | None:
    """Seconds to sleep before the next attempt, or None to give up now."""
    if not is_transient(exc) or attempt >= policy.attempts:
        return None
    wait = _wait_for(exc, attempt, policy)
    if time.monotonic() - started + wait > policy.deadline:
        return None
    if policy.on_retry is not None:
        policy.on_retry(f"{reason(exc)} on attempt {attempt}", wait)
    return wait


def retrying_call(fn: Callable[[], T], policy: RetryPolicy, stats: _Stats) -> T:
    """Call ``fn`` until it succeeds, a non-transient error occurs, or the policy gives up."""
    from tenacity import Retrying, retry_if_exception, stop_after_attempt

    started = time.monotonic()
    waits: dict[int, float] = {}

    def wait(state: Any) -> float:
        return waits.pop(state.attempt_number, 0.0)

    def should_retry(exc: BaseException) -> bool:
        nxt = _next_wait(exc, stats_attempt[0], started, policy)
        if nxt is None:
            return False
        waits[stats_attempt[0]] = nxt
        return True

    stats_attempt = [0]
    for attempt in Retrying(
        retry=retry_if_exception(should_retry),
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=wait,
        reraise=True,
    ):
        with attempt:
            stats_attempt[0] = attempt.retry_state.attempt_number
            stats.requests += 1
            return fn()
    raise AssertionError("unreachable")  # pragma: no cover


async def retrying_call_async(
    fn: Callable[[], Awaitable[T]], policy: RetryPolicy, stats: _Stats
) -> T:
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

    started = time.monotonic()
    waits: dict[int, float] = {}
    current = [0]

    def wait(state: Any) -> float:
        return waits.pop(state.attempt_number, 0.0)

    def should_retry(exc: BaseException) -> bool:
        nxt = _next_wait(exc, current[0], started, policy)
        if nxt is None:
            return False
        waits[current[0]] = nxt
        return True

    async for attempt in AsyncRetrying(
        retry=retry_if_exception(should_retry),
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=wait,
        reraise=True,
    ):
        with attempt:
            current[0] = attempt.retry_state.attempt_number
            stats.requests += 1
            return await fn()
    raise AssertionError("unreachable")  # pragma: no cover


def redact(text: str, settings: Settings) -> str:
    """Remove the API key (and any prefix of it a server echoed) from a message."""
    if settings.api_key is not None:
        key = settings.api_key.get_secret_value()
        if key:
            text = text.replace(key, "***")
            if len(key) > 8:
                text = text.replace(key[:8], "***")
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


def classify(exc: BaseException, settings: Settings, requests: int = 1) -> SummarizerError | None:
    """Our error for an ``openai`` exception, or None if ``exc`` is not one."""
    import openai

    host = settings.endpoint_host
    tries = f" after {requests} request(s)" if requests > 1 else ""
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(f"{host} did not answer within --timeout={settings.timeout:g}s{tries}")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f": {type(cause).__name__}" if cause else ""
        return ProviderError(f"cannot reach {host}{tries} (connection failed{detail})")
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        # Never echo the server's text here: OpenAI's 401 message quotes part of the key.
        return AuthenticationError(
            f"{host} rejected the API key (HTTP {exc.status_code}): check SUMMARIZER_API_KEY "
            "or OPENAI_API_KEY"
        )
    if isinstance(exc, openai.NotFoundError):
        return ModelNotFoundError(
            f"model {settings.model!r} was not found at {host} (HTTP 404): check --model "
            "or SUMMARIZER_MODEL"
        )
    if isinstance(exc, openai.APIStatusError):
        message = redact(_server_message(exc), settings)
        status = exc.status_code
        if status in (400, 413, 422) and any(m in message.lower() for m in _CONTEXT_MARKERS):
            return ContextLengthError(
                f"the article does not fit the context window of {settings.model!r} "
                f"(HTTP {status}): {message[:200]}"
            )
        if status == 429:
            return ProviderError(f"{host} kept rate-limiting (HTTP 429){tries}: {message[:200]}")
        if status >= 500:
            return ProviderError(f"{host} failed with HTTP {status}{tries}: {message[:200]}")
        return ProviderError(f"{host} rejected the request (HTTP {status}): {message[:200]}")
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(f"{host} sent a response that is not a valid chat completion")
    if isinstance(exc, openai.OpenAIError):
        return ProviderError(f"{host}: {redact(str(exc), settings)[:200]}")
    return None
