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
import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TextIO, cast

import typer

from summarizer.batch.inputs import BatchItem, check_inputs, expand_inputs, printable, unique_ids
from summarizer.batch.output import BatchOutcome, JsonlWriter, done_ids
from summarizer.cli.app import app, reported, setup_logging, stdout
from summarizer.cli.options import (
    AllowPrivateUrlsOpt,
    CostBudgetOpt,
    NoReaskOpt,
    PollIntervalOpt,
    PricesOpt,
    ProviderBatchOpt,
    ReadResponsesOpt,
    RpmOpt,
    TpmOpt,
    Verbose,
    WriteRequestsOpt,
    run_flags,
    settings_from_flags,
)
from summarizer.engines.llm.limits import LimitTotals
from summarizer.errors import EXIT_INTERRUPTED, EXIT_SOME_FAILED, BudgetExceeded, ConfigError

if TYPE_CHECKING:
    from summarizer.cli.batch_provider import ProviderOptions
    from summarizer.config import Settings
    from summarizer.fetch import FetchPolicy


@dataclass
class Tally:
    total: int | None = None
    ok: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    started: float = 0.0
    limits_before: LimitTotals = field(default_factory=LimitTotals)
    cost: float = 0.0  # US dollars of the articles with a known price
    unpriced: int = 0  # articles paid for at no known price

    @property
    def limits(self) -> LimitTotals:
        """Rate-limit waits since the batch started (every worker, failures included)."""
        from summarizer.engines.llm.limits import process_totals

        return process_totals().minus(self.limits_before)

    @property
    def done(self) -> int:
        return self.ok + self.cached + self.failed

    def add(self, outcome: BatchOutcome) -> None:
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)
        spent = outcome.cost_usd  # failed articles were paid for too
        if spent is not None:
            self.cost += spent
        elif outcome.paid_for:
            self.unpriced += 1

    def cost_text(self) -> str:
        if self.unpriced and not self.cost:
            return ""
        text = f"; cost ${self.cost:.4f}"
        return text + (f" ({self.unpriced} with no known price)" if self.unpriced else "")

    def line(self, interrupted: bool = False) -> str:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        head = "interrupted after" if interrupted else "done:"
        text = (
            f"summarizer: batch {head} {self.done} article(s) in {elapsed:.1f}s ({rate:.1f}/s): "
            f"{self.ok + self.cached} ok ({self.cached} cached), {self.failed} failed"
        )
        text += f", {self.skipped} skipped (already in the output)" if self.skipped else ""
        text += self.cost_text()
        limits = self.limits
        return text + (f"; {limits.describe()}" if limits.waits or limits.rate_limited else "")


class Reporter(Protocol):
    def update(self, outcome: BatchOutcome, tally: Tally) -> None: ...
    def note(self, text: str) -> None: ...
    def close(self) -> None: ...


class PlainReporter:
    """One line per article on stderr: ``[n/total] status id (seconds)``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def update(self, outcome: BatchOutcome, tally: Tally) -> None:
        of = f"/{tally.total}" if tally.total is not None else ""
        name = printable(outcome.id)
        text = f"summarizer: [{tally.done}{of}] {outcome.status} {name} ({outcome.elapsed:.2f}s)"
        limits = tally.limits
        if limits.waits or limits.rate_limited:
            text += f" [{limits.describe()}]"
        if outcome.error is not None:
            err = outcome.error_dict()
            text += f": {err['type']}: {printable(err['message'])}"
        for warning in outcome.warnings:
            text += f"\nsummarizer: warning: {name}: {printable(warning)}"
        self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        self.stream.write(f"summarizer: note: {text}\n")
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
            TextColumn("[yellow]{task.fields[waits]}[/]"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self.task = self.progress.add_task(
            "batch", total=total, cached=0, failed=0, rate="0.0", waits=""
        )
        self.progress.start()

    def update(self, outcome: BatchOutcome, tally: Tally) -> None:
        elapsed = time.perf_counter() - tally.started
        rate = f"{tally.done / elapsed:.1f}" if elapsed > 0 else "0.0"
        limits = tally.limits
        waits = f"{limits.waits} waits {limits.wait_seconds:.0f}s" if limits.waits else ""
        self.progress.update(
            self.task,
            completed=tally.done,
            cached=tally.cached,
            failed=tally.failed,
            rate=rate,
            waits=waits,
        )
        from rich.markup import escape

        name = escape(printable(outcome.id))
        if outcome.error is not None:
            err = outcome.error_dict()
            message = escape(printable(err["message"]))
            self.progress.console.print(f"[red]failed[/] {name}: {err['type']}: {message}")
        for warning in outcome.warnings:
            self.progress.console.print(f"[yellow]warning[/] {name}: {escape(printable(warning))}")

    def note(self, text: str) -> None:
        from rich.markup import escape

        self.progress.console.print(f"note: {escape(text)}")

    def close(self) -> None:
        self.progress.stop()


class CostBudget:
    """``--cost-budget``: no new article is sent once the batch has cost that much."""

    def __init__(self, settings: Settings) -> None:
        self.limit = settings.cost_budget
        self.reached = False
        self.held_back = 0
        if self.limit is not None and settings.resolved_engine == "llm":
            from summarizer.pricing import price_of

            if price_of(settings) is None:
                raise ConfigError(
                    f"--cost-budget needs a price for model {settings.model!r} at "
                    f"{settings.endpoint_host}: add it to a file given with --prices"
                )

    def until_spent(self, items: Iterator[BatchItem], tally: Tally) -> Iterator[BatchItem]:
        for item in items:
            if self.limit is not None and tally.cost >= self.limit:
                self.reached = True
                self.held_back = 1 + sum(1 for _ in items)
                return
            yield item

    def message(self, tally: Tally) -> str:
        return (
            f"cost budget reached: ${tally.cost:.4f} spent of --cost-budget ${self.limit:g}; "
            f"{self.held_back} article(s) not sent (run again with --resume to go on)"
        )


def _pending(
    inputs: list[str],
    skip: set[str],
    tally: Tally | None,
    notes: list[str] | None = None,
    fetch: FetchPolicy | None = None,
) -> Iterator[BatchItem]:
    """The items still to run: ids made unique, those already in the output skipped."""
    for item in unique_ids(expand_inputs(inputs), notes):
        if item.id in skip:
            if tally is not None:
                tally.skipped += 1
            continue
        item.fetch = fetch
        yield item


def _flush(notes: list[str], reporter: Reporter) -> None:
    """Report the duplicate ids met while reading the inputs so far."""
    while notes:
        reporter.note(notes.pop(0))


def _count(inputs: list[str], skip: set[str]) -> int | None:
    """How many articles will run (None when reading stdin): for the progress total/ETA."""
    if "-" in inputs:
        return None
    return sum(1 for _ in _pending(inputs, skip, None))


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
    provider: ProviderOptions | None = None,
    fetch: FetchPolicy | None = None,
) -> int:
    """Run a batch; return the exit code (see the module docstring)."""
    from summarizer.api import Summarizer
    from summarizer.batch.scheduler import DaemonThreads, run_batch
    from summarizer.cache import check_size_limit

    # stderr closed (`2>&-`): the batch still runs, its progress goes nowhere
    err = err or sys.stderr or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    check_inputs(inputs)
    if output is None:
        stdout()  # closed (`>&-`): refuse before anything runs, instead of losing the lines
    if settings.cache and settings.resolved_engine == "llm":
        check_size_limit(settings.cache_size_limit)  # else every article would fail alone
    if provider is not None and settings.cost_budget is not None:
        raise ConfigError(
            "--cost-budget does not combine with --provider-batch: a provider "
            "batch is sent as a whole"
        )
    skip: set[str] = set()
    if output is not None and (resume or retry_failed):
        skip = done_ids(output, retry_failed=retry_failed)
    from summarizer.engines.llm.limits import process_totals

    tally = Tally(total=_count(inputs, skip), limits_before=process_totals())
    notes: list[str] = []
    use_rich = err.isatty() if progress is None else progress
    summarizer = Summarizer(settings)
    interrupted = False
    budget = CostBudget(settings)

    async def main(writer: JsonlWriter, reporter: Reporter) -> None:
        # engines' threads (the extractive one) must not hold back the exit at Ctrl-C
        asyncio.get_running_loop().set_default_executor(DaemonThreads())
        items = budget.until_spent(_pending(inputs, skip, tally, notes, fetch), tally)

        def emit(outcome: BatchOutcome) -> None:
            writer.write(outcome)
            tally.add(outcome)
            _flush(notes, reporter)
            reporter.update(outcome, tally)

        async with summarizer:  # its HTTP client lives on this event loop
            if provider is not None:
                from summarizer.cli.batch_provider import run_provider

                await run_provider(summarizer, items, output, provider, emit, reporter)
                return
            async for outcome in run_batch(summarizer, items, settings.concurrency, ordered):
                emit(outcome)

    with ExitStack() as stack:
        if output is None:
            stream = stdout()
        else:
            mode = "a" if (resume or retry_failed) else "w"
            stream = cast(TextIO, stack.enter_context(output.open(mode, encoding="utf-8")))
        reporter: Reporter = RichReporter(err, tally.total) if use_rich else PlainReporter(err)
        stack.callback(reporter.close)
        tally.started = time.perf_counter()
        try:
            asyncio.run(main(JsonlWriter(stream), reporter))
        except KeyboardInterrupt:
            interrupted = True
        _flush(notes, reporter)  # found after the last outcome, or with nothing to run
    if budget.reached:
        err.write(f"summarizer: error: {budget.message(tally)}\n")
    err.write(tally.line(interrupted) + "\n")
    err.flush()
    if interrupted:
        return EXIT_INTERRUPTED
    if budget.reached:
        return BudgetExceeded.exit_code
    return EXIT_SOME_FAILED if tally.failed else 0


@app.command()
@run_flags
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Article files, directories, glob patterns, or JSONL lists of "
            '{"id", "text"|"path"|"url"} (- reads a JSONL list from stdin).'
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSONL here (default stdout).")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-j", help="Articles in flight (8). [env: SUMMARIZER_CONCURRENCY]"
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip ids already in the --output file.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Like --resume, but run failed ids again.")
    ] = False,
    ordered: Annotated[
        bool, typer.Option("--ordered", help="Write lines in input order, not completion order.")
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar (default: if on a tty)."),
    ] = None,
    allow_private_urls: AllowPrivateUrlsOpt = False,
    verbose: Verbose = False,
    # -- throughput (issue 13) --
    rpm: RpmOpt = None,
    tpm: TpmOpt = None,
    prices: PricesOpt = None,
    cost_budget: CostBudgetOpt = None,
    provider_batch: ProviderBatchOpt = False,
    no_reask: NoReaskOpt = False,
    write_requests: WriteRequestsOpt = None,
    read_responses: ReadResponsesOpt = None,
    poll_interval: PollIntervalOpt = 30.0,
    *,
    run: dict[str, Any],
) -> None:
    """Summarize many articles concurrently into JSONL, one line per article.

    Exit 0 if all succeeded, 13 if any failed (its line holds the error), 130 on Ctrl-C.
    """
    setup_logging(verbose)
    with reported():
        settings = settings_from_flags(
            run, concurrency=concurrency, rpm=rpm, tpm=tpm, prices=prices, cost_budget=cost_budget
        )
        if (resume or retry_failed) and output is None:
            raise ConfigError("--resume needs --output FILE: it skips the ids already in that file")
        provider = _provider_options(
            provider_batch, no_reask, write_requests, read_responses, poll_interval
        )
        from summarizer.fetch import FetchPolicy

        code = run_command(
            settings, inputs, output, resume=resume, retry_failed=retry_failed,
            ordered=ordered, progress=progress, provider=provider,
            fetch=FetchPolicy(allow_private=allow_private_urls),
        )  # fmt: skip
    raise typer.Exit(code)


def _provider_options(
    provider_batch: bool,
    no_reask: bool,
    write_requests: Path | None,
    read_responses: Path | None,
    poll_interval: float,
) -> ProviderOptions | None:
    """The ``--provider-batch`` flags, or None for a synchronous batch."""
    from summarizer.cli.batch_provider import ProviderOptions

    used = no_reask or write_requests is not None or read_responses is not None
    if not provider_batch:
        if used:
            raise ConfigError(
                "--no-reask, --write-requests and --read-responses go with --provider-batch"
            )
        return None
    if write_requests is not None and read_responses is not None:
        raise ConfigError("--write-requests and --read-responses cannot be combined")
    if poll_interval <= 0:
        raise ConfigError(f"--poll-interval must be positive, got {poll_interval:g}")
    return ProviderOptions(not no_reask, write_requests, read_responses, poll_interval)
