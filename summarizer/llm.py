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

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from summarizer.errors import (
    AuthenticationError,
    BudgetExceeded,
    ContextLengthError,
    ModelNotFoundError,
    ProviderError,
    SummarizerError,
    TruncatedOutputError,
    ValidationFailed,
)
from summarizer.schema import ArticleSummary
from summarizer.transport import RetryPolicy, classify, retrying_call, retrying_call_async

if TYPE_CHECKING:
    from summarizer.config import Settings

log = logging.getLogger("summarizer")

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
    usage: Usage = field(default_factory=Usage)
    retry_reasons: list[str] = field(default_factory=list)


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

    def after(self, completion: Any) -> Any:
        self.stats.attempts += 1
        self.stats.usage.add(getattr(completion, "usage", None))
        choices = getattr(completion, "choices", None)
        if not choices:
            raise ProviderError("the endpoint returned an answer with no choices")
        if getattr(choices[0], "finish_reason", None) == "length":
            raise TruncatedOutputError(
                f"the model's answer was cut off at --max-tokens={self.settings.max_tokens}; "
                "raise --max-tokens (or SUMMARIZER_MAX_TOKENS)",
                tokens=self.stats.usage.total_tokens,
            )
        budget = self.settings.token_budget
        if budget is not None and self.stats.usage.total_tokens > budget:
            raise BudgetExceeded(
                f"token budget exceeded: {self.stats.usage.total_tokens} of {budget} tokens "
                f"spent over {self.stats.attempts} attempt(s); raise --token-budget",
                tokens=self.stats.usage.total_tokens,
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


def translate(exc: BaseException, settings: Settings, stats: RunStats) -> SummarizerError:
    """Map an exception from instructor/openai to our error tree (the caller chains it)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:  # unwrap instructor's wrappers
        seen.add(id(cur))
        if isinstance(cur, SummarizerError):
            return cur
        mapped = classify(cur, settings, stats.requests)
        if mapped is not None:
            return mapped
        cur = cur.__cause__ or cur.__context__
    name = type(exc).__name__
    if name == "InstructorRetryException":
        last = _last_validation_error(exc)
        return ValidationFailed(
            f"the model's answer failed validation after {stats.attempts} attempt(s) "
            f"({settings.max_retries} re-ask(s) allowed): {last}",
            attempts=stats.attempts,
        )
    return ProviderError(f"unexpected failure talking to {settings.endpoint_host}: {name}: {exc}")


def _last_validation_error(exc: BaseException) -> str:
    failed = getattr(exc, "failed_attempts", None) or []
    err: Any = failed[-1].exception if failed else exc
    errors = getattr(err, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            return f"{loc}: {first.get('msg', '')}".strip(": ")
        except Exception:  # noqa: BLE001 - best effort message only
            pass
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


class LLMEngine:
    """Fills :class:`ArticleSummary` through instructor. Clients are built on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _instructor(self, stats: RunStats, *, aio: bool) -> Any:
        import instructor
        import openai

        meter = _Meter(self.settings, stats)
        policy = _policy(self.settings, stats)
        kwargs = _client_kwargs(self.settings)
        if aio:
            aclient = openai.AsyncOpenAI(**kwargs)
            raw_async = aclient.chat.completions.create

            async def acreate(*args: Any, **kw: Any) -> Any:
                meter.before()
                result = await retrying_call_async(lambda: raw_async(*args, **kw), policy, stats)
                return meter.after(result)

            aclient.chat.completions.create = acreate  # type: ignore[method-assign]
            return instructor.from_openai(aclient, mode=_mode(self.settings.mode))
        client = openai.OpenAI(**kwargs)
        raw = client.chat.completions.create

        def create(*args: Any, **kw: Any) -> Any:
            meter.before()
            return meter.after(retrying_call(lambda: raw(*args, **kw), policy, stats))

        client.chat.completions.create = create  # type: ignore[method-assign]
        return instructor.from_openai(client, mode=_mode(self.settings.mode))

    def run(self, article: str, messages: list[dict[str, str]], stats: RunStats) -> ArticleSummary:
        client = self._instructor(stats, aio=False)
        try:
            result: ArticleSummary = client.chat.completions.create(
                response_model=ArticleSummary,
                max_retries=self.settings.max_retries,
                context={"article": article},
                **_request(self.settings, messages),
            )
        except SummarizerError:
            raise
        except Exception as exc:
            raise translate(exc, self.settings, stats) from exc
        return result

    async def arun(
        self, article: str, messages: list[dict[str, str]], stats: RunStats
    ) -> ArticleSummary:
        client = self._instructor(stats, aio=True)
        try:
            result: ArticleSummary = await client.chat.completions.create(
                response_model=ArticleSummary,
                max_retries=self.settings.max_retries,
                context={"article": article},
                **_request(self.settings, messages),
            )
        except SummarizerError:
            raise
        except Exception as exc:
            raise translate(exc, self.settings, stats) from exc
        return result

