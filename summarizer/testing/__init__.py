"""Fakes for tests, shipped in the package so users' own tests can use them too.

:mod:`summarizer.testing.fake_openai` is an OpenAI-compatible server on loopback that
serves queued answers over real HTTP (so ``openai`` and ``instructor`` run for real).
:class:`FunctionEngine` is an in-process engine for tests that are not about HTTP (batch,
cache, the façade): any function of the article becomes the model. :class:`VirtualTime`
gives the transport a clock and a sleep that do not wait.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from summarizer.engines.base import EngineOutput, RunStats
from summarizer.schema import ArticleSummary

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
