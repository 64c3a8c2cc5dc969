"""Run many articles concurrently: at most ``concurrency`` in flight, outcomes streamed.

:func:`run_batch` yields each :class:`BatchOutcome` as it completes (or in input order
with ``ordered=True``, holding at most ``4 * concurrency`` finished outcomes back), so
memory stays flat whatever the number of articles. One article failing never stops the
others: its outcome carries the error instead of a result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from summarizer.batch.inputs import BatchItem
from summarizer.batch.output import BatchOutcome, text_digest

if TYPE_CHECKING:
    from summarizer.api import Summarizer

ORDERED_WINDOW = 4  # ordered mode: finished outcomes held back, per unit of concurrency
T = TypeVar("T")
R = TypeVar("R")
_END = object()
BatchInput: TypeAlias = "str | tuple[str, str] | BatchItem"


def _as_item(value: BatchInput, index: int) -> BatchItem:
    if isinstance(value, BatchItem):
        return value
    if isinstance(value, tuple):
        return BatchItem(str(value[0]), text=value[1])
    return BatchItem(str(index), text=value)


async def bounded_map(
    work: Callable[[int, T], Awaitable[R]],
    items: Iterable[T],
    concurrency: int = 8,
    ordered: bool = False,
) -> AsyncGenerator[R, None]:
    """``await work(index, item)`` for every item, at most ``concurrency`` at a time.

    Results are yielded as they complete (``ordered``: in input order, holding at most
    ``ORDERED_WINDOW * concurrency`` finished ones back). ``items`` is read lazily, so
    memory stays flat. ``work`` should not raise: an exception ends the whole map.
    Closing the generator cancels what is still running.
    """
    source = iter(items)
    gate = asyncio.Semaphore(max(1, concurrency))
    window = max(1, concurrency) * (ORDERED_WINDOW if ordered else 1)
    pending: dict[int, asyncio.Task[R]] = {}  # insertion order == input order

    async def gated(index: int, item: T) -> R:
        async with gate:
            return await work(index, item)

    index, exhausted = 0, False
    try:
        while True:
            while not exhausted and len(pending) < window:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                    break
                pending[index] = asyncio.create_task(gated(index, item))  # type: ignore[arg-type]
                index += 1
            if not pending:
                return
            if ordered:
                await asyncio.wait({next(iter(pending.values()))})
            else:
                await asyncio.wait(pending.values(), return_when=asyncio.FIRST_COMPLETED)
            for key in list(pending):
                if not pending[key].done():
                    if ordered:
                        break
                    continue
                yield pending.pop(key).result()
    finally:
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)


async def summarize_item(summarizer: Summarizer, index: int, item: BatchItem) -> BatchOutcome:
    """One article of a batch: an outcome with its result or its error, never a raise."""
    started = time.perf_counter()
    outcome = BatchOutcome(index, item.id, item.path, scrub=summarizer.scrub)
    try:
        text, title, outcome.warnings = item.load()
        outcome.title, outcome.text_sha256 = title, text_digest(text)
        if item.text is not None:  # inline text is nowhere else: the line keeps it
            outcome.text = text
        result = await summarizer.asummarize(text, title=title)
        if outcome.warnings:
            result.meta.warnings = [*outcome.warnings, *result.meta.warnings]
        outcome.result = result
    except Exception as exc:  # one article never stops the batch
        outcome.error = exc
    outcome.elapsed = time.perf_counter() - started
    return outcome


def run_batch(
    summarizer: Summarizer,
    items: Iterable[BatchInput],
    concurrency: int = 8,
    ordered: bool = False,
) -> AsyncGenerator[BatchOutcome, None]:
    """One outcome per item, at most ``concurrency`` articles in flight."""
    source = (_as_item(v, i) for i, v in enumerate(items))

    async def work(index: int, item: BatchItem) -> BatchOutcome:
        return await summarize_item(summarizer, index, item)

    return bounded_map(work, source, concurrency, ordered)
