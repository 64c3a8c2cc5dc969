"""Run many articles concurrently: at most ``concurrency`` in flight, outcomes streamed.

:func:`run_batch` yields each :class:`BatchOutcome` as it completes (or in input order
with ``ordered=True``, holding at most ``4 * concurrency`` finished outcomes back), so
memory stays flat whatever the number of articles. One article failing never stops the
others: its outcome carries the error instead of a result.

Nothing that can block runs on the event loop: the next item is taken from ``items``
(which may read a list from a pipe) and each article file is read in a daemon thread
(:func:`in_thread`), so in-flight requests keep going, finished outcomes are yielded
while the next item is still being read, and Ctrl-C (which cancels the loop's tasks) is
prompt. A thread left blocked (a stalled pipe) is abandoned, never waited for; the
``batch`` command also makes :class:`DaemonThreads` the loop's default executor, where
the extractive engine runs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeAlias, TypeVar

from summarizer.batch.inputs import BatchItem
from summarizer.batch.output import BatchOutcome, text_digest

if TYPE_CHECKING:
    from summarizer.api import Summarizer

ORDERED_WINDOW = 4  # ordered mode: finished outcomes held back, per unit of concurrency
T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
_END: Any = object()
BatchInput: TypeAlias = "str | tuple[str, str] | BatchItem"


def _as_item(value: BatchInput, index: int) -> BatchItem:
    if isinstance(value, BatchItem):
        return value
    if isinstance(value, tuple):
        return BatchItem(str(value[0]), text=value[1])
    return BatchItem(str(index), text=value)


async def in_thread(fn: Callable[[], T]) -> T:
    """``fn()`` in a new daemon thread, awaited without blocking the loop.

    Unlike ``asyncio.to_thread`` (the loop's default executor), a call that never returns
    is not waited for when the loop shuts down, nor at interpreter exit: cancelling the
    awaiting task is enough to move on.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def succeed(value: T) -> None:
        if not future.done():  # else the awaiting task was cancelled
            future.set_result(value)

    def fail(error: BaseException) -> None:
        if not future.done():
            future.set_exception(error)

    def work() -> None:
        with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            try:
                value = fn()
            except BaseException as exc:  # handed to the awaiting task, never lost
                loop.call_soon_threadsafe(fail, exc)
            else:
                loop.call_soon_threadsafe(succeed, value)

    threading.Thread(target=work, name="summarizer-batch-io", daemon=True).start()
    return await future


class DaemonThreads(ThreadPoolExecutor):
    """An executor that runs each call in a new daemon thread and never waits for one
    (a ``ThreadPoolExecutor`` in name only: ``set_default_executor`` requires one).

    For an event loop's default executor (``asyncio.to_thread``) in a command that must
    stop at Ctrl-C: ``asyncio.run`` shuts the default executor down and waits for its
    threads, so one long call (the extractive engine on a huge article) or a stuck one
    would hold the exit back until it returns.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to whoever waits
                future.set_exception(exc)

        threading.Thread(target=work, name="summarizer-daemon", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons, abandoned at exit."""


class _Feed(Generic[T]):
    """The items, pulled one at a time; in a thread unless they are already in memory
    (a lazy iterable may read a pipe)."""

    def __init__(self, items: Iterable[T]) -> None:
        self._threaded = not isinstance(items, list | tuple)
        self._source = iter(items)
        self.task: asyncio.Future[T] | None = None
        self.exhausted = False

    def _next(self) -> T:
        return next(self._source, _END)

    def request(self) -> None:
        """Start pulling the next item, unless a pull is under way or the items are done."""
        if self.task is not None or self.exhausted:
            return
        if self._threaded:
            self.task = asyncio.ensure_future(in_thread(self._next))
        else:
            self.task = asyncio.get_running_loop().create_future()
            self.task.set_result(self._next())

    def take(self) -> tuple[bool, T | None]:
        """``(True, item)`` once the pulled item has arrived, else ``(False, None)``."""
        if self.task is None or not self.task.done():
            return False, None
        item, self.task = self.task.result(), None
        if item is _END:
            self.exhausted = True
            return False, None
        return True, item

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()  # a pull blocked in its thread is abandoned


def _watched(
    pending: dict[int, asyncio.Task[R]], feed: _Feed[T], ordered: bool
) -> set[asyncio.Future[Any]]:
    """What to wake up for: a finished result that can be yielded, or the next item."""
    tasks = list(pending.values())
    watched: set[asyncio.Future[Any]] = set(tasks[:1] if ordered else tasks)
    if feed.task is not None:
        watched.add(feed.task)
    return watched


async def bounded_map(
    work: Callable[[int, T], Awaitable[R]],
    items: Iterable[T],
    concurrency: int = 8,
    ordered: bool = False,
) -> AsyncGenerator[R, None]:
    """``await work(index, item)`` for every item, at most ``concurrency`` at a time.

    Results are yielded as they complete (``ordered``: in input order, holding at most
    ``ORDERED_WINDOW * concurrency`` finished ones back), also while the next item is
    still being read. ``items`` is read lazily (a lazy iterable in a thread), so memory
    stays flat. ``work`` should not raise: an exception ends the whole map. Closing the
    generator cancels what is still running.
    """
    feed = _Feed(items)
    gate = asyncio.Semaphore(max(1, concurrency))
    window = max(1, concurrency) * (ORDERED_WINDOW if ordered else 1)
    pending: dict[int, asyncio.Task[R]] = {}  # insertion order == input order

    async def gated(index: int, item: T) -> R:
        async with gate:
            return await work(index, item)

    index = 0
    try:
        while True:
            if len(pending) < window:
                feed.request()
            arrived, item = feed.take()
            if arrived:
                pending[index] = asyncio.create_task(gated(index, item))  # type: ignore[arg-type]
                index += 1
                continue
            if feed.task is None and not pending:
                return
            await asyncio.wait(
                _watched(pending, feed, ordered), return_when=asyncio.FIRST_COMPLETED
            )
            for key in list(pending):
                if not pending[key].done():
                    if ordered:
                        break
                    continue
                yield pending.pop(key).result()
    finally:
        feed.close()
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)


async def summarize_item(summarizer: Summarizer, index: int, item: BatchItem) -> BatchOutcome:
    """One article of a batch: an outcome with its result or its error, never a raise."""
    started = time.perf_counter()
    outcome = BatchOutcome(index, item.id, item.path, scrub=summarizer.scrub)
    try:
        if item.text is None and item.error is None and (item.path or item.html) is not None:
            text, title, outcome.warnings = await in_thread(item.load)  # file I/O, HTML parsing
        else:  # inline text, an error, or a url (fetched without blocking the loop)
            text, title, outcome.warnings = await item.aload()
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
