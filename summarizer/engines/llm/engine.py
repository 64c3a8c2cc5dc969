"""The LLM engine: ``instructor`` over the ``openai`` SDK, with two separate retry policies.

* Transport retries (429, 5xx, timeouts, connection errors) are ours, with ``tenacity``:
  exponential backoff with jitter, ``Retry-After`` honoured (capped), bounded by attempts
  and by a deadline. The SDK's own retries are off, so exactly one policy applies.
* Validation re-asks are instructor's ``max_retries``: the validator's message goes back
  to the model. Every raw response passes through :class:`_Meter`, which sums token usage
  over all attempts (failed ones too), enforces the token budget and stops on truncation.

``openai`` and ``instructor`` are imported inside functions: importing them takes ~1 s.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from summarizer.engines.llm.transport import (
    RetryPolicy,
    classify,
    not_json_error,
    redact,
    retrying_call,
    retrying_call_async,
)
from summarizer.errors import (
    BudgetExceeded,
    ProviderError,
    SummarizerError,
    TruncatedOutputError,
    ValidationFailed,
)
from summarizer.schema import ArticleSummary, grounded_in

if TYPE_CHECKING:
    from summarizer.config import Settings

log = logging.getLogger("summarizer")
M = TypeVar("M", bound=BaseModel)

NO_KEY = "sk-no-key-required"  # local servers accept any key; the SDK insists on one


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def add(self, raw: Any) -> None:
        if raw is None:
            return
        self.prompt_tokens += int(getattr(raw, "prompt_tokens", 0) or 0)
        self.completion_tokens += int(getattr(raw, "completion_tokens", 0) or 0)
        self.total_tokens += int(getattr(raw, "total_tokens", 0) or 0)


@dataclass
class RunStats:
    """What one article cost: model attempts, HTTP requests, tokens."""

    attempts: int = 0  # model answers received (1 + validation re-asks used)
    requests: int = 0  # HTTP requests sent, transport retries included
    transport_retries: int = 0
    reasks: int = 0  # validation re-asks sent back to the model
    usage: Usage = field(default_factory=Usage)
    retry_reasons: list[str] = field(default_factory=list)
    stop_reason: str | None = None  # why the transport retry loop last gave up


class _Meter:
    """Sees every raw completion: counts it, sums usage, enforces budget and truncation."""

    def __init__(self, settings: Settings, stats: RunStats) -> None:
        self.settings = settings
        self.stats = stats

    def before(self) -> None:
        budget = self.settings.token_budget
        if budget is not None and self.stats.usage.total_tokens >= budget:
            raise BudgetExceeded(
                f"token budget exhausted: {self.stats.usage.total_tokens} of {budget} tokens "
                f"spent over {self.stats.attempts} attempt(s); raise --token-budget or lower "
                "--max-retries",
                tokens=self.stats.usage.total_tokens,
            )

    def after(self, completion: Any, expected_tool: str | None = None) -> Any:
        """Check one raw answer. The budget is enforced by :meth:`before` the next attempt,
        so an answer that crosses it is still used if it validates (its tokens are spent)."""
        if isinstance(completion, (str, bytes)) or not hasattr(completion, "choices"):
            text = completion.decode("utf-8", "replace") if isinstance(completion, bytes) else ""
            raise not_json_error(self.settings, text or str(completion))
        self.stats.attempts += 1
        self.stats.usage.add(getattr(completion, "usage", None))
        choices = completion.choices
        if not choices:
            raise ProviderError(
                f"{self.settings.endpoint_host} returned a chat completion with no choices"
            )
        if getattr(choices[0], "finish_reason", None) == "length":
            raise TruncatedOutputError(
                f"the model's answer was cut off at --max-tokens={self.settings.max_tokens}; "
                "raise --max-tokens (or SUMMARIZER_MAX_TOKENS)",
                tokens=self.stats.usage.total_tokens,
            )
        calls = getattr(getattr(choices[0], "message", None), "tool_calls", None) or []
        if expected_tool and calls:
            name = getattr(getattr(calls[0], "function", None), "name", None)
            if name != expected_tool:
                raise ProviderError(
                    f"the model called a tool named {str(name)[:60]!r} instead of "
                    f"{expected_tool!r}: the endpoint may not support forced tool calls; "
                    "try --mode json_schema or --mode json"
                )
        return completion


def _mode(name: str) -> Any:
    import instructor

    return {
        "tools": instructor.Mode.TOOLS,
        "json_schema": instructor.Mode.JSON_SCHEMA,
        "json": instructor.Mode.JSON,
        "md_json": instructor.Mode.MD_JSON,
    }[name]


def _client_kwargs(settings: Settings) -> dict[str, Any]:
    key = settings.api_key.get_secret_value() if settings.api_key else NO_KEY
    return {
        "base_url": settings.effective_base_url,
        "api_key": key,
        "max_retries": 0,  # one retry policy: ours
        "timeout": settings.timeout,
    }


def _request(settings: Settings, messages: list[dict[str, str]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "model": settings.model,
        "messages": messages,
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
    }
    if settings.top_p is not None:
        kwargs["top_p"] = settings.top_p
    if settings.seed is not None:
        kwargs["seed"] = settings.seed
    return kwargs


def _policy(settings: Settings, stats: RunStats) -> RetryPolicy:
    def on_retry(reason: str, wait: float) -> None:
        stats.transport_retries += 1
        stats.retry_reasons.append(reason)
        log.info("transport retry %d: %s; waiting %.2fs", stats.transport_retries, reason, wait)

    return RetryPolicy(
        attempts=settings.transport_retries + 1,
        deadline=settings.deadline,
        max_wait=settings.retry_max_wait,
        on_retry=on_retry,
    )


def _expected_tool(kw: dict[str, Any]) -> str | None:
    """The function name instructor forced with ``tool_choice`` (tools mode), if any."""
    choice = kw.get("tool_choice")
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        return name if isinstance(name, str) else None
    return None


def _on_parse_error(max_retries: int) -> Any:
    """instructor ``parse:error`` hook: log each validation re-ask with its reason."""

    def hook(error: Exception, **meta: Any) -> None:
        why = _last_validation_error(error)
        if meta.get("is_last_attempt"):
            log.info("answer failed validation on the last allowed attempt: %s", why)
            return
        stats = _CURRENT.get().stats
        stats.reasks += 1
        stats.retry_reasons.append(f"validation: {why}")
        log.info("validation re-ask %d of %d: %s", stats.reasks, max_retries, why)

    return hook


def translate(exc: BaseException, settings: Settings, stats: RunStats) -> SummarizerError:
    """Map an exception from instructor/openai to our error tree (the caller chains it)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:  # unwrap instructor's wrappers
        seen.add(id(cur))
        if isinstance(cur, SummarizerError):
            return cur
        mapped = classify(cur, settings, stats.requests, stats.stop_reason)
        if mapped is not None:
            return mapped
        cur = cur.__cause__ or cur.__context__
    name = type(exc).__name__
    if name == "InstructorRetryException" and stats.attempts > 0:
        # The model answered (attempts counts answers), so what failed was the answer.
        last = _last_validation_error(exc)
        return ValidationFailed(
            f"the model's answer failed validation after {stats.attempts} attempt(s) "
            f"({settings.max_retries} re-ask(s) allowed): {redact(last, settings)}",
            attempts=stats.attempts,
        )
    failed = getattr(exc, "failed_attempts", None) or []
    inner = failed[-1].exception if failed else (exc.__cause__ or exc)
    detail = f"{type(inner).__name__}: {redact(str(inner), settings)}".splitlines()[0][:300]
    return ProviderError(f"unexpected failure talking to {settings.endpoint_host}: {detail}")


def _last_validation_error(exc: BaseException) -> str:
    failed = getattr(exc, "failed_attempts", None) or []
    err: Any = failed[-1].exception if failed else exc
    errors = getattr(err, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            return f"{loc}: {first.get('msg', '')}".strip(": ")
        except Exception:
            pass
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


@dataclass
class _Call:
    """Per-article state the shared client's create wrapper reports to."""

    meter: _Meter
    policy: RetryPolicy
    stats: RunStats


_CURRENT: ContextVar[_Call] = ContextVar("summarizer_llm_call")


class LLMEngine:
    """Fills a response model through instructor.

    One ``openai`` client (and one SSL context, connection pool and instructor wrapper) is
    built on first use and reused by every call of this engine; per-article state (usage,
    retries, budget) travels in a context variable, so concurrent async calls stay apart.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sync: Any = None
        # event loop -> (openai client, instructor client): an async client is bound to its loop
        self._async: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()

    def _wrap(self, raw: Any, aio: bool) -> Any:
        limit = self.settings.timeout
        settings = self.settings

        def timed(kw: dict[str, Any], left: float) -> dict[str, Any]:
            return {**kw, "timeout": min(limit, left)}  # never run past the deadline

        if aio:

            async def acreate(*args: Any, **kw: Any) -> Any:
                call = _CURRENT.get()
                call.meter.before()
                try:
                    result = await retrying_call_async(
                        lambda left: raw(*args, **timed(kw, left)), call.policy, call.stats
                    )
                except json.JSONDecodeError as exc:  # a 200 whose body is not JSON
                    raise not_json_error(settings, exc.doc) from exc
                return call.meter.after(result, _expected_tool(kw))

            return acreate

        def create(*args: Any, **kw: Any) -> Any:
            call = _CURRENT.get()
            call.meter.before()
            try:
                result = retrying_call(
                    lambda left: raw(*args, **timed(kw, left)), call.policy, call.stats
                )
            except json.JSONDecodeError as exc:  # a 200 whose body is not JSON
                raise not_json_error(settings, exc.doc) from exc
            return call.meter.after(result, _expected_tool(kw))

        return create

    def _instructor(self, *, aio: bool) -> Any:
        import asyncio

        import instructor
        import openai

        if not aio and self._sync is not None:
            return self._sync[1]
        loop = asyncio.get_running_loop() if aio else None
        if loop is not None and loop in self._async:
            return self._async[loop][1]
        client: Any = (openai.AsyncOpenAI if aio else openai.OpenAI)(
            **_client_kwargs(self.settings)
        )
        client.chat.completions.create = self._wrap(client.chat.completions.create, aio)
        wrapped = instructor.from_openai(client, mode=_mode(self.settings.mode))
        wrapped.on("parse:error", _on_parse_error(self.settings.max_retries))
        if loop is not None:
            self._async[loop] = (client, wrapped)
        else:
            self._sync = (client, wrapped)
        return wrapped

    @contextmanager
    def _scope(self, article: str, stats: RunStats) -> Iterator[None]:
        """Per-call state for the shared client's wrapper, and the article to ground in."""
        call = _Call(_Meter(self.settings, stats), _policy(self.settings, stats), stats)
        token = _CURRENT.set(call)
        try:
            with grounded_in(article):
                yield
        finally:
            _CURRENT.reset(token)

    def run(
        self,
        article: str,
        messages: list[dict[str, str]],
        stats: RunStats,
        response_model: type[M] = ArticleSummary,  # type: ignore[assignment]
    ) -> M:
        """One validated ``response_model``, its quotes and names grounded in ``article``."""
        client = self._instructor(aio=False)
        with self._scope(article, stats):
            try:
                result: M = client.chat.completions.create(
                    response_model=response_model,
                    max_retries=self.settings.max_retries,
                    **_request(self.settings, messages),
                )
            except SummarizerError:
                raise
            except Exception as exc:
                raise translate(exc, self.settings, stats) from exc
        return _clean(result)

    async def arun(
        self,
        article: str,
        messages: list[dict[str, str]],
        stats: RunStats,
        response_model: type[M] = ArticleSummary,  # type: ignore[assignment]
    ) -> M:
        client = self._instructor(aio=True)
        with self._scope(article, stats):
            try:
                result: M = await client.chat.completions.create(
                    response_model=response_model,
                    max_retries=self.settings.max_retries,
                    **_request(self.settings, messages),
                )
            except SummarizerError:
                raise
            except Exception as exc:
                raise translate(exc, self.settings, stats) from exc
        return _clean(result)

    def close(self) -> None:
        if self._sync is not None:
            self._sync[0].close()
            self._sync = None

    async def aclose(self) -> None:
        import asyncio

        entry = self._async.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[0].close()


def _clean(result: M) -> M:
    """Drop what instructor attaches to the instance (raw response, usage), which would
    make equal summaries compare unequal; private attributes (evidence spans) stay."""
    for attr in ("_raw_response", "_total_usage"):
        result.__dict__.pop(attr, None)
        private = getattr(result, "__pydantic_private__", None)
        if isinstance(private, dict):
            private.pop(attr, None)
    return result
