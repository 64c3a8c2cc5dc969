"""The ``summarizer batch`` command's engine room: progress, JSONL output, summary, exit code.

Progress goes to stderr: a ``rich`` bar (done / cached / failed, rate, ETA) when stderr
is a terminal, one plain line per article otherwise (logs, CI). Results go to the
output file or stdout, one JSON line per article, flushed as each completes.

Exit codes: 0 when every article succeeded (or was skipped by ``--resume``),
:data:`EXIT_SOME_FAILED` (13) when at least one failed (each failure's own code is in
its JSONL line), 130 on Ctrl-C (the lines written so far are complete and valid, and
``--resume`` continues from them); flag and configuration errors exit as for
``summarize`` before anything runs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO, cast

from summarizer.batch import BatchItem, BatchOutcome, JsonlWriter, count_inputs, done_ids
from summarizer.errors import EXIT_INTERRUPTED, EXIT_SOME_FAILED

if TYPE_CHECKING:
    from summarizer.config import Settings


@dataclass
class Tally:
    total: int | None = None
    ok: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    started: float = 0.0

    @property
    def done(self) -> int:
        return self.ok + self.cached + self.failed

    def add(self, outcome: BatchOutcome) -> None:
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)

    def line(self, interrupted: bool = False) -> str:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        head = "interrupted after" if interrupted else "done:"
        text = (
            f"summarizer: batch {head} {self.done} article(s) in {elapsed:.1f}s ({rate:.1f}/s): "
            f"{self.ok + self.cached} ok ({self.cached} cached), {self.failed} failed"
        )
        return text + (f", {self.skipped} skipped (already in the output)" if self.skipped else "")


class Reporter(Protocol):
    def update(self, outcome: BatchOutcome, tally: Tally) -> None: ...
    def close(self) -> None: ...


class PlainReporter:
    """One line per article on stderr: ``[n/total] status id (seconds)``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def update(self, outcome: BatchOutcome, tally: Tally) -> None:
        of = f"/{tally.total}" if tally.total is not None else ""
        text = (
            f"summarizer: [{tally.done}{of}] {outcome.status} {outcome.id} ({outcome.elapsed:.2f}s)"
        )
        if outcome.error is not None:
            err = outcome.error_dict()
            text += f": {err['type']}: {err['message']}"
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        pass


class RichReporter:
    """A live progress bar with done/cached/failed counts, rate and ETA."""

    def __init__(self, stream: TextIO, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "[green]{task.fields[cached]} cached[/] [red]{task.fields[failed]} failed[/]"
            ),
            TextColumn("{task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self.task = self.progress.add_task("batch", total=total, cached=0, failed=0, rate="0.0")
        self.progress.start()

    def update(self, outcome: BatchOutcome, tally: Tally) -> None:
        elapsed = time.perf_counter() - tally.started
        rate = f"{tally.done / elapsed:.1f}" if elapsed > 0 else "0.0"
        self.progress.update(
            self.task, completed=tally.done, cached=tally.cached, failed=tally.failed, rate=rate
        )
        if outcome.error is not None:
            err = outcome.error_dict()
            self.progress.console.print(
                f"[red]failed[/] {outcome.id}: {err['type']}: {err['message']}"
            )

    def close(self) -> None:
        self.progress.stop()


def _pending(items: Iterator[BatchItem], skip: set[str], tally: Tally) -> Iterator[BatchItem]:
    for item in items:
        if item.id in skip:
            tally.skipped += 1
            continue
        yield item


def run_command(
    settings: Settings,
    inputs: list[str],
    output: Path | None,
    *,
    resume: bool = False,
    retry_failed: bool = False,
    ordered: bool = False,
    progress: bool | None = None,
    err: TextIO | None = None,
) -> int:
    """Run a batch; return the exit code (see the module docstring)."""
    from summarizer.batch import expand_inputs, run_batch
    from summarizer.core import Summarizer

    err = err or sys.stderr
    skip: set[str] = set()
    if output is not None and (resume or retry_failed):
        skip = done_ids(output, retry_failed=retry_failed)
    tally = Tally()
    total = count_inputs(inputs)
    tally.total = None if total is None else max(0, total - len(skip))
    use_rich = err.isatty() if progress is None else progress
    summarizer = Summarizer(settings)
    interrupted = False

    async def main(writer: JsonlWriter, reporter: Reporter) -> None:
        items = _pending(expand_inputs(inputs), skip, tally)
        async for outcome in run_batch(summarizer, items, settings.concurrency, ordered):
            writer.write(outcome)
            tally.add(outcome)
            reporter.update(outcome, tally)

    with ExitStack() as stack:
        stream: TextIO = sys.stdout
        if output is not None:
            mode = "a" if (resume or retry_failed) else "w"
            stream = cast(TextIO, stack.enter_context(output.open(mode, encoding="utf-8")))
        reporter: Reporter = RichReporter(err, tally.total) if use_rich else PlainReporter(err)
        stack.callback(reporter.close)
        stack.callback(summarizer.close)
        tally.started = time.perf_counter()
        try:
            asyncio.run(main(JsonlWriter(stream), reporter))
        except KeyboardInterrupt:
            interrupted = True
    err.write(tally.line(interrupted) + "\n")
    err.flush()
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if tally.failed else 0
