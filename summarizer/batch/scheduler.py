"""Run many articles concurrently: at most ``concurrency`` in flight, outcomes streamed.

:func:`run_batch` yields each :class:`BatchOutcome` as it completes (or in input order
with ``ordered=True``, holding at most ``4 * concurrency`` finished outcomes back), so
memory stays flat whatever the number of articles. One article failing never stops the
others: its outcome carries the error instead of a result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterable, Iterator
from typing import TYPE_CHECKING, TypeAlias

from summarizer.batch.inputs import BatchItem
from summarizer.batch.output import BatchOutcome

if TYPE_CHECKING:
    from summarizer.api import Summarizer

ORDERED_WINDOW = 4  # ordered mode: finished outcomes held back, per unit of concurrency
BatchInput: TypeAlias = "str | tuple[str, str] | BatchItem"


def _as_item(value: BatchInput, index: int) -> BatchItem:
    if isinstance(value, BatchItem):
        return value
    if isinstance(value, tuple):
        return BatchItem(str(value[0]), text=value[1])
    return BatchItem(str(index), text=value)


# -- running -------------------------------------------------------------------------------
async def _one(
    summarizer: Summarizer, index: int, item: BatchItem, gate: asyncio.Semaphore
) -> BatchOutcome:
    async with gate:
        started = time.perf_counter()
        outcome = BatchOutcome(index, item.id, item.path, scrub=summarizer.scrub)
        try:
            text, title, outcome.warnings = item.load()
            result = await summarizer.asummarize(text, title=title)
            if outcome.warnings:
                result.meta.warnings = [*outcome.warnings, *result.meta.warnings]
            outcome.result = result
        except Exception as exc:  # one article never stops the batch
            outcome.error = exc
        outcome.elapsed = time.perf_counter() - started
        return outcome


async def run_batch(
    summarizer: Summarizer,
    items: Iterable[BatchInput],
    concurrency: int = 8,
    ordered: bool = False,
) -> AsyncGenerator[BatchOutcome, None]:
    """Yield one outcome per item, at most ``concurrency`` articles in flight."""
    source = (_as_item(v, i) for i, v in enumerate(items))
    gate = asyncio.Semaphore(max(1, concurrency))
    window = max(1, concurrency) * (ORDERED_WINDOW if ordered else 1)
    pending: dict[int, asyncio.Task[BatchOutcome]] = {}  # insertion order == input order
    index, exhausted = 0, False
    try:
        while True:
            while not exhausted and len(pending) < window:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                pending[index] = asyncio.create_task(_one(summarizer, index, item, gate))
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
        await summarizer.aclose()  # the async HTTP client is bound to this event loop


def iter_outcomes(
    summarizer: Summarizer, items: Iterable[BatchInput], concurrency: int = 8, ordered: bool = False
) -> Iterator[BatchOutcome]:
    """Synchronous :func:`run_batch`: drives a private event loop between yields."""
    loop = asyncio.new_event_loop()
    agen = run_batch(summarizer, items, concurrency, ordered)
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(agen.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
