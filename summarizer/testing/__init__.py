"""Fakes for tests, shipped in the package so users' own tests can use them too.

:mod:`summarizer.testing.fake_openai` is an OpenAI-compatible server on loopback that
serves queued answers over real HTTP (so ``openai`` and ``instructor`` run for real).
:class:`FunctionModel` is the LLM engine with its model replaced by a function of the request
(prompts, chunking, merging and validation run for real, without HTTP).
:class:`FunctionEngine` is an in-process engine for tests that are not about HTTP (batch,
cache, the façade): any function of the article becomes the model. :class:`VirtualTime`
gives the transport a clock and a sleep that do not wait.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from summarizer.engines.base import EngineOutput, RunStats
from summarizer.engines.llm.engine import LLMEngine, keep_repairs
from summarizer.errors import ValidationFailed
from summarizer.schema import ArticleSummary, grounded_in, repairing

if TYPE_CHECKING:
    from summarizer.config import Settings

M = TypeVar("M", bound=BaseModel)
Answer = ArticleSummary | dict[str, Any] | EngineOutput
AnswerFunction = Callable[[str, "str | None"], "Answer | Awaitable[Answer]"]


class FunctionEngine:
    """An engine whose answer is ``function(article, title)`` (sync or async).

    An :class:`EngineOutput` is returned as it is (to fake costs or warnings); a dict
    answer is validated against the article exactly like a model's, so a test can
    hand back a fabricated quote and see the same :class:`pydantic.ValidationError` the
    validators raise. Every call is recorded in :attr:`calls`. ``cacheable`` and
    ``material`` (its part of the cache key) let cache tests use it too.
    """

    def __init__(
        self,
        function: AnswerFunction,
        *,
        name: str = "function",
        cacheable: bool = True,
        material: dict[str, Any] | None = None,
    ) -> None:
        self.function = function
        self.name = name
        self.cacheable = cacheable
        self.material = material or {}
        self.calls: list[tuple[str, str | None]] = []
        self.closed = 0

    def describe(self) -> dict[str, Any]:
        return {"model": getattr(self.function, "__qualname__", self.name)}

    def cache_material(self) -> dict[str, Any]:
        return {"function": getattr(self.function, "__qualname__", self.name), **self.material}

    async def run(self, article: str, title: str | None = None) -> EngineOutput:
        self.calls.append((article, title))
        answer = self.function(article, title)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, EngineOutput):
            return answer
        if isinstance(answer, ArticleSummary):
            answer = answer.model_dump()
        summary = ArticleSummary.model_validate(answer, context={"article": article})
        return EngineOutput(summary, RunStats(attempts=1))

    async def aclose(self) -> None:
        self.closed += 1


@dataclass
class ModelRequest:
    """What :class:`FunctionModel` hands its function: one structured call."""

    messages: list[dict[str, str]]
    response_model: str  # "ArticleSummary" for an article or chunk, "Overview" for the merge
    article: str  # the text the answer is validated against
    attempt: int  # 1, then 2... on re-asks


class FunctionModel(LLMEngine):
    """An :class:`LLMEngine` whose every structured call is ``function(request)``.

    The function returns the answer as a dict (or raises a library error, e.g. a
    :class:`~summarizer.errors.ContextLengthError`, to exercise chunking). Answers are
    validated by the real validators against the article; a failure is re-asked (the
    validator's message appended, as instructor does) up to ``max_retries`` times. Every
    request is kept in :attr:`requests`.
    """

    def __init__(
        self, function: Callable[[ModelRequest], dict[str, Any]], settings: Settings | None = None
    ) -> None:
        from summarizer.config import resolve_settings

        super().__init__(
            settings or resolve_settings(engine="llm", base_url="http://function.invalid/v1")
        )
        self.function = function
        self.requests: list[ModelRequest] = []

    async def complete(
        self,
        article: str,
        messages: list[dict[str, str]],
        stats: RunStats,
        response_model: type[M],
    ) -> M:
        history = list(messages)
        repairs = self.repairs()
        for attempt in range(1, self.settings.max_retries + 2):
            request = ModelRequest(history, response_model.__name__, article, attempt)
            self.requests.append(request)
            stats.requests += 1
            answer = self.function(request)
            stats.attempts += 1
            repairs.next_answer()
            try:
                with grounded_in(article), repairing(repairs):
                    result = response_model.model_validate(answer)
                keep_repairs(repairs, stats, self.settings)
                return result
            except ValidationError as exc:
                stats.reasks += attempt <= self.settings.max_retries
                history = [
                    *history,
                    {"role": "assistant", "content": str(answer)},
                    {"role": "user", "content": f"Correct these errors: {exc}"},
                ]
                last = exc
        raise ValidationFailed(
            f"the model's answer failed validation after {stats.attempts} attempt(s): "
            f"{last.errors()[0]['msg']}",
            attempts=stats.attempts,
        )

    async def aclose(self) -> None:
        return None


def cite_sentences(
    answer: dict[str, Any], article: str, *, sub_quotes: bool = False
) -> dict[str, Any]:
    """``answer`` (an ArticleSummary answer) shaped for ``--evidence sentences``: each
    evidence quote becomes ``{"sentence": "S4"}``, the id of the sentence holding it (with
    ``sub_quotes``, ``{"sentence": "S4", "quote": ...}`` when the quote is only part of that
    sentence). A quote in no sentence is left as it is (to test a refusal)."""
    from summarizer.citations import numbered_sentences
    from summarizer.grounding import find_span

    sentences = numbered_sentences(article)
    shaped = copy.deepcopy(answer)
    for stance in shaped.get("stances", []):
        cited: list[Any] = []
        for quote in stance.get("evidence", []):
            holder = next((s for s in sentences if find_span(s.text, quote) is not None), None)
            if holder is None:
                cited.append(quote)
            elif not sub_quotes or find_span(quote, holder.text) is not None:
                cited.append({"sentence": holder.id})
            else:
                cited.append({"sentence": holder.id, "quote": quote})
        stance["evidence"] = cited
    return shaped


class VirtualTime:
    """A clock and a sleep for :class:`summarizer.engines.llm.transport.ModelTransport`:
    sleeps are recorded and advance the clock at once, so retry tests assert the waits the
    policy chose without waiting them.

    ``ModelTransport(sleep=vt.sleep, clock=vt.clock)``; ``vt.sleeps`` lists each wait.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds
        await asyncio.sleep(0)
