"""Where requests leave the process: one HTTP transport under the ``openai`` SDK.

:class:`ModelTransport` is an ``httpx2`` transport given to ``AsyncOpenAI`` through its
``http_client``; every model call's HTTP traffic passes through it, so this is the one
place for the things that belong to the wire:

* Retries (``tenacity``): HTTP 408/409/429/5xx (see :func:`failures.retryable`), timeouts
  and connection errors, with exponential backoff and full jitter, ``Retry-After`` /
  ``retry-after-ms`` honoured up to ``retry_max_wait``, bounded by attempts *and* by a
  deadline. The SDK's own retries are off, so exactly one policy applies.
* Wall-clock bounds: ``--timeout`` bounds one whole request (connect, send and every byte
  of the answer: a server that drips its answer a byte at a time cannot stretch it) and
  ``--deadline`` bounds all attempts of one model call, backoff sleeps included.
* Checks of each answer that no validator can make: a token budget spent before the call,
  an answer cut off at ``max_tokens``, a forced tool call answered with another tool,
  impossible token counts, a body that is not a chat completion, an answer far larger than
  ``max_tokens`` allows (it would be resent in full on a re-ask).

Per-call state (policy, counters) travels in a context variable set by the engine around
each model call (:func:`call_scope`), so one transport serves concurrent calls. Clock and
sleep are injectable for tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2

from summarizer.engines.llm.failures import not_json_error, retryable, wait_asked
from summarizer.engines.llm.limits import (
    Reservation,
    SharedLimit,
    WaitTooLong,
    request_tokens,
    usage_total,
)
from summarizer.errors import BudgetExceeded, ProviderError, TruncatedOutputError

if TYPE_CHECKING:
    from summarizer.config import Settings
    from summarizer.engines.base import RunStats

log = logging.getLogger(__name__)
MIN_REQUEST_TIMEOUT = 0.05  # seconds: never send a request with a smaller timeout than this
#: An answer may hold at most this many characters per ``max_tokens`` (and 64 KiB at least).
CHARS_PER_TOKEN_LIMIT = 16
MIN_ANSWER_LIMIT = 64 * 1024
#: 429s with Retry-After do not use up --transport-retries; this bounds them all the same.
MAX_RATE_LIMIT_RETRIES = 200

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass
class RetryPolicy:
    """How many HTTP attempts, for how long, and how long to sleep in between."""

    attempts: int = 5  # total HTTP attempts for one model call (1 + retries)
    deadline: float = 300.0  # seconds for all attempts of one model call, sleeps included
    timeout: float = 60.0  # seconds for one whole request
    max_wait: float = 30.0  # cap on one sleep, Retry-After included
    base_wait: float = 0.5  # first backoff step; doubles per attempt, full jitter

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            attempts=settings.transport_retries + 1,
            deadline=settings.deadline,
            timeout=settings.timeout,
            max_wait=settings.retry_max_wait,
        )


@dataclass
class CallState:
    """One model call as the transport sees it."""

    settings: Settings
    policy: RetryPolicy
    stats: RunStats
    checks: bool = True  # check answers as chat completions (off for other endpoints)
    notes: list[str] = field(default_factory=list)
    limit: SharedLimit | None = None  # the endpoint's shared rate limit (limits.py)
    tokens: int = 0  # what this call's request counts against TPM (prompt + max_tokens)


_CALL: ContextVar[CallState | None] = ContextVar("summarizer_model_call", default=None)


def current_call() -> CallState | None:
    """The model call the running task is making, if any."""
    return _CALL.get()


@contextmanager
def call_scope(state: CallState) -> Iterator[CallState]:
    """Make ``state`` the current model call for the transport, inside this block."""
    token = _CALL.set(state)
    try:
        yield state
    finally:
        _CALL.reset(token)


class _Retry(Exception):
    """A response worth another attempt (internal to :meth:`ModelTransport._attempts`)."""

    def __init__(self, response: httpx2.Response, why: str, asked: float | None) -> None:
        super().__init__(why)
        self.response = response
        self.why = why
        self.asked = asked

    @property
    def rate_wait(self) -> bool:
        """A 429 that said how long to wait: waiting is all it needs."""
        return self.response.status_code == 429 and self.asked is not None


def default_transport() -> httpx2.AsyncHTTPTransport:
    """The real transport, pooled as the SDK pools its own client (100 kept-alive
    connections): httpx's default keeps 20, so above 20 calls at once every answer
    closed a connection and the next request opened a new one."""
    import openai

    return httpx2.AsyncHTTPTransport(limits=openai.DEFAULT_CONNECTION_LIMITS)


class ModelTransport(httpx2.AsyncBaseTransport):
    """Retries, time bounds and answer checks around a real ``httpx2`` transport."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.inner = inner or default_transport()
        self.sleep = sleep
        self.clock = clock

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        state = _CALL.get()
        if state is None:  # not a model call of ours: pass through untouched
            return await self.inner.handle_async_request(request)
        _check_budget(state)
        if state.limit is not None and state.limit.counts_tokens:
            state.tokens = request_tokens(request.content)
        response = await self._attempts(request, state)
        if state.checks and response.status_code == 200:
            _check_answer(response, request, state)
        return response

    # -- attempts ----------------------------------------------------------------------------
    async def _attempts(self, request: httpx2.Request, state: CallState) -> httpx2.Response:
        from tenacity import AsyncRetrying, retry_if_exception, stop_never

        policy, stats = state.policy, state.stats
        started = self.clock()
        stats.stop_reason = None
        planned: dict[int, float] = {}

        def remaining() -> float:
            return policy.deadline - (self.clock() - started)

        def should_retry(exc: BaseException) -> bool:
            if not isinstance(exc, (_Retry, httpx2.TransportError)):
                return False
            attempt = stats.http_attempts_this_call
            rate_wait = isinstance(exc, _Retry) and exc.rate_wait
            if rate_wait and stats.rate_waits_this_call >= MAX_RATE_LIMIT_RETRIES:
                stats.stop_reason = f"gave up after {attempt} attempt(s) answered 429"
                return False
            if not rate_wait and attempt - stats.rate_waits_this_call >= policy.attempts:
                stats.stop_reason = (
                    f"gave up after {attempt} attempt(s) (--transport-retries="
                    f"{policy.attempts - 1})"
                )
                return False
            asked = exc.asked if isinstance(exc, _Retry) else None
            why = exc.why if isinstance(exc, _Retry) else type(exc).__name__
            if asked is not None:
                pause = min(asked, policy.max_wait)
                why = f"{why} (Retry-After {asked:g}s)"
            else:  # "full jitter" exponential backoff
                ceiling = min(policy.max_wait, policy.base_wait * 2 ** (attempt - 1))
                pause = random.uniform(0, ceiling)
            if pause >= remaining():
                stats.stop_reason = (
                    f"gave up after {attempt} attempt(s): the next retry would pass "
                    f"--deadline={policy.deadline:g}s"
                )
                return False
            planned[attempt] = pause
            stats.transport_retries += 1
            if rate_wait:
                self._rate_wait(state, pause)
            line = f"{why} on attempt {attempt} of {policy.attempts}"
            stats.retry_reasons.append(line)
            log.info("transport retry %d: %s; waiting %.2fs", stats.transport_retries, line, pause)
            return True

        stats.http_attempts_this_call = 0
        stats.rate_waits_this_call = 0
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(should_retry),
                stop=stop_never,  # should_retry counts attempts (429 waits apart)
                wait=lambda rs: planned.pop(rs.attempt_number, 0.0),
                sleep=self.sleep,
                reraise=True,
            ):
                with attempt:
                    return await self._one(request, state, remaining)
        except _Retry as last:
            return last.response  # the SDK turns it into its status error
        raise AssertionError("unreachable")  # pragma: no cover

    def _rate_wait(self, state: CallState, pause: float) -> None:
        """A 429 with Retry-After: close the shared gate for everyone, count the wait."""
        stats = state.stats
        stats.rate_waits_this_call += 1
        stats.rate_limit_waits += 1
        stats.rate_limit_wait_seconds += pause
        if state.limit is not None:
            state.limit.pause(pause, self.clock())
            state.limit.count_wait(pause)

    async def _reserve(self, state: CallState, left: float) -> Reservation | None:
        """Wait for the shared gate and buckets of the endpoint, if it has any."""
        if state.limit is None:
            return None
        try:
            reservation = await state.limit.acquire(state.tokens, self.clock, self.sleep, left)
        except WaitTooLong as exc:
            state.stats.stop_reason = (
                f"waiting {exc.seconds:.1f}s for the rate limit of {state.limit.name} would "
                f"pass --deadline={state.policy.deadline:g}s"
            )
            raise ProviderError(
                f"{state.stats.stop_reason}: raise --deadline, or lower --concurrency / --rpm"
            ) from None
        if reservation.waited > 0:
            state.stats.rate_limit_waits += 1
            state.stats.rate_limit_wait_seconds += reservation.waited
        return reservation

    def _settle(
        self, state: CallState, reservation: Reservation | None, response: httpx2.Response
    ) -> None:
        """Tell the shared limit what the answer said (headers, real usage, a 429)."""
        limit = state.limit
        if limit is None:
            return
        if response.status_code == 429:
            state.stats.rate_limited += 1
            limit.note_rate_limited()
        used = None
        if limit.counts_tokens and response.status_code == 200:
            used = usage_total(_json_or_text(response.content))
        if reservation is not None:
            limit.settle(reservation, response.headers, used, self.clock())
        else:
            limit.learn(response.headers, self.clock())

    async def _one(
        self, request: httpx2.Request, state: CallState, remaining: Callable[[], float]
    ) -> httpx2.Response:
        """One HTTP attempt, bounded in wall-clock time as a whole, body included."""
        stats = state.stats
        reservation = await self._reserve(state, remaining())
        stats.http_attempts_this_call += 1
        stats.requests += 1
        limit = max(MIN_REQUEST_TIMEOUT, min(state.policy.timeout, remaining()))
        try:
            async with asyncio.timeout(limit):  # no extra task, unlike wait_for
                response = await self._send(request)
        except TimeoutError:
            raise httpx2.ReadTimeout(
                f"no complete answer within {limit:.3g}s", request=request
            ) from None
        self._settle(state, reservation, response)
        if response.status_code >= 400:
            body = _json_or_text(response.content)
            if retryable(response.status_code, body):
                asked = wait_asked(response.headers)
                raise _Retry(response, f"HTTP {response.status_code}", asked)
        return response

    async def _send(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            request=request,
            extensions=response.extensions,
        )


def _json_or_text(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def _check_budget(state: CallState) -> None:
    budget = state.settings.token_budget
    spent = state.stats.usage.total_tokens
    if budget is not None and spent >= budget:
        raise BudgetExceeded(
            f"token budget exhausted: {spent} of {budget} tokens spent over "
            f"{state.stats.attempts} attempt(s); raise --token-budget or lower --max-retries",
            tokens=spent,
        )


def _forced_tool(request: httpx2.Request) -> str | None:
    """The function name instructor forced with ``tool_choice`` (tools mode), if any."""
    try:
        body = json.loads(request.content)
    except ValueError:
        return None
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        return name if isinstance(name, str) else None
    return None


def _check_usage(usage: Any, settings: Settings) -> None:
    if usage is None:
        return
    if not isinstance(usage, dict):
        raise ProviderError(f"{settings.endpoint_host} reported token usage that is not an object")
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = usage.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProviderError(
                f"{settings.endpoint_host} reported an impossible token count "
                f"({name}={str(value)[:40]!r}): the endpoint is not behaving like an "
                "OpenAI-compatible API"
            )


def _answer_size(message: Any) -> int:
    if not isinstance(message, dict):
        return 0
    size = len(str(message.get("content") or ""))
    for call in message.get("tool_calls") or []:
        if isinstance(call, dict):
            size += len(str((call.get("function") or {}).get("arguments") or ""))
    return size


def _check_answer(response: httpx2.Response, request: httpx2.Request, state: CallState) -> None:
    """Refuse what no re-ask can fix, before instructor parses it.

    An answer refused here never reaches instructor's hooks, which count the others, so
    its tokens (spent all the same) are counted here.
    """
    settings = state.settings
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise not_json_error(settings, response.content[:200].decode("utf-8", "replace")) from exc
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        raise not_json_error(settings, response.content[:200].decode("utf-8", "replace"))
    _check_usage(body.get("usage"), settings)
    choices = body["choices"]
    if not choices:
        raise ProviderError(f"{settings.endpoint_host} returned a chat completion with no choices")
    first = choices[0] if isinstance(choices[0], dict) else {}
    refused = _refusal(first, request, settings)
    if refused is not None:
        state.stats.attempts += 1
        state.stats.usage.add(body.get("usage"))
        if isinstance(refused, TruncatedOutputError):
            refused.details["tokens"] = state.stats.usage.total_tokens
        raise refused


def _refusal(
    first: dict[str, Any], request: httpx2.Request, settings: Settings
) -> ProviderError | None:
    """Why the first choice of an answer cannot be used, if it cannot."""
    if first.get("finish_reason") == "length":
        return TruncatedOutputError(
            f"the model's answer was cut off at --max-tokens={settings.max_tokens}; "
            "raise --max-tokens (or SUMMARIZER_MAX_TOKENS)"
        )
    message = first.get("message")
    limit = max(MIN_ANSWER_LIMIT, settings.max_tokens * CHARS_PER_TOKEN_LIMIT)
    if _answer_size(message) > limit:
        return ProviderError(
            f"{settings.endpoint_host} sent an answer of {_answer_size(message):,} characters, "
            f"more than --max-tokens={settings.max_tokens} allows; not re-asked"
        )
    expected = _forced_tool(request)
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    if expected and calls and isinstance(calls[0], dict):
        name = (calls[0].get("function") or {}).get("name")
        if name != expected:
            return ProviderError(
                f"the model called a tool named {str(name)[:60]!r} instead of "
                f"{expected!r}: the endpoint may not support forced tool calls; "
                "try --mode json_schema or --mode json"
            )
    return None
