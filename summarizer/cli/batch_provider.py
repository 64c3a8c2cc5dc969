"""``summarizer batch --provider-batch``: the provider's Batch API behind the batch command.

Kept apart from :mod:`summarizer.cli.batch` (which owns progress, output and exit codes)
so the two change independently; see :mod:`summarizer.batch.provider` for the flow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.batch.provider import Job, ProviderBatch, read_responses

if TYPE_CHECKING:
    from summarizer.api import Summarizer
    from summarizer.batch.inputs import BatchItem
    from summarizer.batch.output import BatchOutcome
    from summarizer.cli.batch import Reporter


@dataclass
class ProviderOptions:
    """The ``--provider-batch`` flags."""

    reask: bool = True
    write_requests: Path | None = None
    read_responses: Path | None = None
    poll_interval: float = 30.0
    sleep: Callable[[float], Awaitable[None]] | None = None  # tests


async def run_provider(
    summarizer: Summarizer,
    items: Iterator[BatchItem],
    output: Path | None,
    options: ProviderOptions,
    emit: Callable[[BatchOutcome], None],
    reporter: Reporter,
) -> None:
    """Answer cached and long articles as usual, the rest through the Batch API."""
    batch = ProviderBatch(
        summarizer,
        reask=options.reask,
        poll_interval=options.poll_interval,
        sleep=options.sleep,
        note=reporter.note,
    )
    jobs: list[Job] = []
    async for part in batch.split(items):
        if isinstance(part, Job):
            jobs.append(part)
        else:
            emit(part)
    if not jobs:
        return
    if options.write_requests is not None:
        batch.write_requests(jobs, options.write_requests)
        reporter.note(
            f"wrote {len(jobs)} request(s) to {options.write_requests}; nothing was sent "
            "(run them, e.g. with vLLM's run_batch, then --read-responses OUTPUT)"
        )
        return
    stream: AsyncIterator[BatchOutcome]
    if options.read_responses is not None:
        stream = batch.results(jobs, read_responses(options.read_responses))
    else:
        stream = batch.run(jobs, output)
    async for outcome in stream:
        emit(outcome)
