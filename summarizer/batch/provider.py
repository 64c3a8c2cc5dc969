"""The provider's Batch API (OpenAI, Azure OpenAI; vLLM's offline ``run_batch``).

One request line per article, with exactly the body a synchronous call sends: the same
prompt, and the tool schema built by instructor's own request handler for the mode
(:func:`request_body`). ``custom_id`` is the article's cache key, so each validated
answer lands in the cache (a later ``summarize`` of the article is a hit). The flow:

1. articles already in the cache are answered from it; long articles (chunked) and
   everything else go through :meth:`ProviderBatch.jobs`;
2. the JSONL is uploaded (``/v1/files``), the batch created (``/v1/batches``) and its id
   saved beside the output (``OUT.batch.json``) *before* polling, so a rerun after a
   crash or Ctrl-C resumes polling instead of paying twice;
3. the output file is downloaded and every answer validated with the same validators
   (instructor's response parser for the mode, the article as grounding context). An
   answer that fails goes through the normal synchronous re-ask (instructor's re-ask
   messages, ``--max-retries``), or with ``--no-reask`` becomes a failed line; a request
   the provider could not run (an error line, an expired batch) becomes a failed line.

``--write-requests FILE`` stops after step 1 and writes the request file;
``--read-responses FILE`` starts at step 3 with a finished output file.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from summarizer import __version__
from summarizer.batch.inputs import BatchItem
from summarizer.batch.output import BatchOutcome
from summarizer.engines.base import RunStats, Usage
from summarizer.engines.llm.chunked import needs_chunking
from summarizer.engines.llm.engine import (
    LLMEngine,
    instructor_mode,
    prepared_model,
    request_options,
)
from summarizer.errors import ConfigError, ProviderError, ValidationFailed
from summarizer.pricing import cost_usd
from summarizer.result import RunMeta, SummaryResult, TokenUsage
from summarizer.schema import ArticleSummary, grounded_in, schema_hash

if TYPE_CHECKING:
    from summarizer.api import Summarizer
    from summarizer.config import Settings

ENDPOINT = "/v1/chat/completions"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
Sleep = Callable[[float], Awaitable[None]]
Note = Callable[[str], None]


def handlers(settings: Settings) -> Any:
    """instructor's handlers (request, parser, re-ask) for the OpenAI provider in this mode."""
    import instructor
    from instructor.v2.core.registry import mode_registry

    return mode_registry.get_handlers(instructor.Provider.OPENAI, instructor_mode(settings.mode))


def request_body(settings: Settings, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The chat-completion body a synchronous call sends for ``messages``."""
    mode = handlers(settings)
    _, kwargs = mode.request_handler(
        response_model=prepared_model(ArticleSummary),
        kwargs=request_options(settings, cast(list[dict[str, str]], messages)),
    )
    if mode.message_converter is not None:
        kwargs["messages"] = mode.message_converter(kwargs["messages"], autodetect_images=False)
    return cast(dict[str, Any], kwargs)


def state_path(output: Path) -> Path:
    """Where the batch id is kept while a batch runs: beside ``-o``."""
    return output.with_name(output.name + ".batch.json")


@dataclass
class Job:
    """One article sent through the Batch API."""

    index: int
    item: BatchItem
    article: str
    title: str | None
    key: str  # the cache key, and the request's custom_id
    warnings: list[str]

    def line(self, settings: Settings, summarizer: Summarizer) -> dict[str, Any]:
        messages = engine_of(summarizer).prompts.render(self.article, title=self.title or "")
        body = request_body(settings, cast(list[dict[str, Any]], messages))
        return {"custom_id": self.key, "method": "POST", "url": ENDPOINT, "body": body}


def engine_of(summarizer: Summarizer) -> LLMEngine:
    engine = summarizer.engine
    if not isinstance(engine, LLMEngine):
        raise ConfigError("--provider-batch needs the LLM engine (--engine llm and an endpoint)")
    return engine


class ProviderBatch:
    """One ``--provider-batch`` run (see the module docstring)."""

    def __init__(
        self,
        summarizer: Summarizer,
        *,
        reask: bool = True,
        poll_interval: float = 30.0,
        sleep: Sleep | None = None,
        note: Note = lambda text: None,
    ) -> None:
        import asyncio

        self.summarizer = summarizer
        self.settings = summarizer.settings
        self.reask = reask
        self.poll_interval = poll_interval
        self.sleep = sleep or asyncio.sleep
        self.note = note
        engine_of(summarizer)
        if self.settings.evidence != "quotes":  # its requests and parsing are quote mode's
            raise ConfigError("--provider-batch supports --evidence quotes only")
        if summarizer.cache is None:
            raise ConfigError(
                "--provider-batch needs the cache: results are keyed by it (drop --no-cache)"
            )

    # -- step 1: what to send ------------------------------------------------------------
    async def split(self, items: Iterable[BatchItem]) -> AsyncIterator[BatchOutcome | Job]:
        """Each item as a finished outcome (cached, unreadable, long) or a :class:`Job`."""
        from summarizer.batch.scheduler import summarize_item

        for index, item in enumerate(items):
            try:
                text, title, warnings = item.load()
                article, title = self.summarizer.prepare(text, title)
                key = self.summarizer.cache_key(text, title=title)
            except Exception:  # reported by the synchronous path, one line
                yield await summarize_item(self.summarizer, index, item)
                continue
            cache = self.summarizer.cache
            cached = key is not None and cache is not None and cache.get(key) is not None
            if key is None or cached or needs_chunking(article, self.settings):
                yield await summarize_item(self.summarizer, index, item)
                continue
            yield Job(index, item, article, title, key, warnings)

    def request_file(self, jobs: list[Job]) -> str:
        """The batch input JSONL: one line per distinct article (custom_ids are unique)."""
        unique = {job.key: job for job in jobs}.values()
        return "".join(json.dumps(j.line(self.settings, self.summarizer)) + "\n" for j in unique)

    def write_requests(self, jobs: list[Job], path: Path) -> None:
        try:
            path.write_text(self.request_file(jobs), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write --write-requests {path}: {exc.strerror}") from exc

    # -- step 2: submit, or resume -------------------------------------------------------
    async def run(self, jobs: list[Job], output: Path | None) -> AsyncIterator[BatchOutcome]:
        """Submit ``jobs`` (or resume the batch saved beside ``output``), wait, validate."""
        client = engine_of(self.summarizer).client_for_this_loop()
        state = state_path(output) if output is not None else None
        saved = _load_state(state) if state is not None else None
        if saved is not None:
            batch_id = str(saved["batch_id"])
            self.note(f"resuming provider batch {batch_id} (saved in {state})")
            missing = {job.key for job in jobs} - set(saved.get("custom_ids", []))
            if missing:
                raise ConfigError(
                    f"{len(missing)} article(s) are not in the saved batch {batch_id}: the "
                    f"inputs changed; remove {state} to submit a new batch"
                )
        else:
            batch_id = await self._submit(client, jobs)
            if state is not None:
                _save_state(state, batch_id, [job.key for job in jobs])
        batch = await self._wait(client, batch_id)
        lines = await self._download(client, batch)
        async for outcome in self.results(jobs, lines, batch_failed=_failure(batch)):
            yield outcome
        if state is not None:
            state.unlink(missing_ok=True)

    async def _submit(self, client: Any, jobs: list[Job]) -> str:
        data = self.request_file(jobs)
        upload = await client.files.create(
            file=("summarizer-batch.jsonl", data.encode()), purpose="batch"
        )
        batch = await client.batches.create(
            input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h"
        )
        self.note(f"submitted provider batch {batch.id}: {len(jobs)} request(s)")
        return str(batch.id)

    async def _wait(self, client: Any, batch_id: str) -> Any:
        while True:
            batch = await client.batches.retrieve(batch_id)
            counts = batch.request_counts
            done = f" {counts.completed + counts.failed}/{counts.total}" if counts else ""
            self.note(f"provider batch {batch_id}: {batch.status}{done}")
            if batch.status in TERMINAL:
                return batch
            await self.sleep(self.poll_interval)

    async def _download(self, client: Any, batch: Any) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                content = await client.files.content(file_id)
                lines += parse_lines(content.text)
        return lines

    # -- step 3: validate ----------------------------------------------------------------
    async def results(
        self, jobs: list[Job], lines: list[dict[str, Any]], batch_failed: str | None = None
    ) -> AsyncIterator[BatchOutcome]:
        """One outcome per job, from its line of the output (or why there is none)."""
        by_id = {str(line.get("custom_id")): line for line in lines}
        for job in jobs:
            started = time.perf_counter()
            outcome = BatchOutcome(
                job.index, job.item.id, job.item.path, scrub=self.summarizer.scrub
            )
            outcome.warnings = job.warnings
            line = by_id.get(job.key)
            try:
                if line is None:
                    raise ProviderError(
                        batch_failed
                        or "the provider batch returned no answer "
                        "for this article (the batch expired or was cancelled)"
                    )
                outcome.result = await self._validate(job, line)
            except Exception as exc:
                outcome.error = exc
            outcome.elapsed = time.perf_counter() - started
            yield outcome

    async def _validate(self, job: Job, line: dict[str, Any]) -> SummaryResult:
        from openai.types.chat import ChatCompletion

        body = _answer_body(line)
        completion = ChatCompletion.model_validate(body)
        answer = RunStats(attempts=1, requests=1)  # the batch's answer
        answer.usage.add(body.get("usage"))
        try:
            with grounded_in(job.article):
                summary = handlers(self.settings).response_parser(
                    response=completion, response_model=prepared_model(ArticleSummary),
                    validation_context=None, strict=None, stream=False, is_async=False,
                )  # fmt: skip
        except Exception as exc:
            if not self.reask:
                raise ValidationFailed(
                    f"the batch answer failed validation (--no-reask): {str(exc)[:300]}"
                ) from exc
            sync = RunStats()
            summary = await self._reask(job, completion, exc, sync)
            return self._store(job, summary, answer, sync)
        return self._store(job, _plain(summary), answer, None)

    async def _reask(
        self, job: Job, completion: Any, error: Exception, sync: RunStats
    ) -> ArticleSummary:
        """The synchronous re-ask: the answer and why it failed go back to the model."""
        messages = engine_of(self.summarizer).prompts.render(job.article, title=job.title or "")
        body = request_body(self.settings, cast(list[dict[str, Any]], messages))
        again = handlers(self.settings).reask_handler(
            kwargs=body, response=completion, exception=error
        )
        sync.reasks += 1
        return await engine_of(self.summarizer).complete(
            job.article, again["messages"], sync, ArticleSummary
        )

    def _store(
        self, job: Job, summary: ArticleSummary, answer: RunStats, sync: RunStats | None
    ) -> SummaryResult:
        """The result (cost: the batch answer at the Batch API price, a re-ask at the
        normal one), written to the cache under the job's key."""
        engine = engine_of(self.summarizer)
        usage = Usage()
        usage.add(vars(answer.usage))
        cost = cost_usd(self.settings, answer.usage, 1, batch=True)
        attempts, requests = answer.attempts, answer.requests
        if sync is not None:
            usage.add(vars(sync.usage))
            attempts, requests = attempts + sync.attempts, requests + sync.requests
            extra = cost_usd(self.settings, sync.usage, sync.requests)
            cost = None if cost is None or extra is None else cost + extra
        meta = RunMeta(
            engine=engine.name, **engine.describe(), schema_hash=schema_hash(),
            version=__version__, attempts=attempts, requests=requests,
            usage=TokenUsage(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
            ),
            cost_usd=cost, warnings=list(job.warnings),
        )  # fmt: skip
        result = SummaryResult(summary=summary, meta=meta)
        cache = self.summarizer.cache
        if cache is not None:
            cache.put(
                job.key,
                {
                    "summary": result.summary.model_dump(mode="json"),
                    "meta": result.meta.model_dump(mode="json"),
                },
            )
        return result


def _plain(summary: Any) -> ArticleSummary:
    """The parsed answer as a plain :class:`ArticleSummary` (private attributes kept)."""
    if type(summary) is ArticleSummary:
        return summary
    for attr in ("_raw_response", "_total_usage"):
        summary.__dict__.pop(attr, None)
    return cast(ArticleSummary, summary)


def _answer_body(line: dict[str, Any]) -> dict[str, Any]:
    """The chat completion of an output line, or the provider's error as an exception."""
    error = line.get("error")
    response = line.get("response") or {}
    if error:
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise ProviderError(f"the provider could not run this request: {message}")
    status = response.get("status_code")
    body = response.get("body")
    if status != 200 or not isinstance(body, dict):
        detail = body.get("error", {}).get("message") if isinstance(body, dict) else body
        raise ProviderError(f"the provider answered this request with HTTP {status}: {detail}")
    return body


def _failure(batch: Any) -> str | None:
    if batch.status == "completed":
        return None
    errors = getattr(batch, "errors", None)
    data = getattr(errors, "data", None) or []
    why = "; ".join(str(getattr(e, "message", e)) for e in data)[:300]
    return f"the provider batch {batch.id} {batch.status}" + (f": {why}" if why else "")


def parse_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError as exc:
            raise ProviderError(f"line {n} of the batch output is not JSON") from exc
        if isinstance(record, dict):
            lines.append(record)
    return lines


def read_responses(path: Path) -> list[dict[str, Any]]:
    """A finished batch output file (OpenAI's or vLLM ``run_batch``'s format)."""
    try:
        return parse_lines(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read --read-responses {path}: {exc.strerror}") from exc


def _load_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is not a saved provider batch: remove it ({exc})") from exc
    return data if isinstance(data, dict) and "batch_id" in data else None


def _save_state(path: Path, batch_id: str, custom_ids: list[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"batch_id": batch_id, "custom_ids": custom_ids}), encoding="utf-8")
    tmp.replace(path)
