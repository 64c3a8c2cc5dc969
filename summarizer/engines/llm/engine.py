"""The LLM engine: ``instructor`` over ``AsyncOpenAI``, with two separate retry policies.

* Transport retries (429, 5xx, timeouts, connection errors) live in the HTTP transport the
  SDK is given (:mod:`summarizer.engines.llm.transport`), as do the wall-clock bounds and
  the checks of each raw answer. The SDK's own retries are off.
* Validation re-asks are instructor's ``max_retries``: the validator's message goes back
  to the model. Token usage and answers are counted through instructor's hooks
  (``completion:response``), re-asks through ``parse:error``.

Long articles are chunked and merged by :class:`~summarizer.engines.llm.chunked.LongArticle`,
which calls :meth:`LLMEngine.complete` once per chunk. ``openai`` and ``instructor`` are
imported on first use: importing them takes ~1 s.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from summarizer.engines.base import EngineOutput, RunStats
from summarizer.engines.llm.failures import last_validation_error, secrets_of, translate
from summarizer.engines.llm.limits import SharedLimit, shared_limit
from summarizer.errors import SummarizerError
from summarizer.schema import (
    ArticleSummary,
    Repairs,
    current_repairs,
    grounded_in,
    repairing,
    schema_dict,
)
from summarizer.secrets import redact

if TYPE_CHECKING:
    from summarizer.config import Settings
    from summarizer.engines.llm.transport import ModelTransport
    from summarizer.prompts import PromptSet

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

NO_KEY = "sk-no-key-required"  # local servers accept any key; the SDK insists on one


def instructor_mode(name: str) -> Any:
    import instructor

    return {
        "tools": instructor.Mode.TOOLS,
        "json_schema": instructor.Mode.JSON_SCHEMA,
        "json": instructor.Mode.JSON,
        "md_json": instructor.Mode.MD_JSON,
    }[name]


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``AsyncOpenAI`` for ``settings`` (without the HTTP client)."""
    key = settings.api_key.get_secret_value() if settings.api_key else NO_KEY
    options: dict[str, Any] = {
        "base_url": settings.effective_base_url,
        "api_key": key,
        "max_retries": 0,  # one retry policy: the transport's
        "timeout": settings.timeout,
    }
    if settings.base_query:
        options["default_query"] = settings.base_query
    return options


def request_options(settings: Settings, messages: list[dict[str, str]]) -> dict[str, Any]:
    """The chat-completion arguments of one call (instructor adds the tool schema)."""
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


@functools.lru_cache(maxsize=1)
def response_models_hash() -> str:
    """Hash of every response model's JSON Schema (the article's, the sentence-citing
    article's and the overview's)."""
    import json

    from summarizer.citations import CitedSummary
    from summarizer.engines.llm.merge import Overview

    h = hashlib.sha256()
    for schema in (schema_dict(), Overview.model_json_schema(), CitedSummary.model_json_schema()):
        h.update(json.dumps(schema, sort_keys=True).encode())
    return h.hexdigest()[:16]


@functools.cache
def prepared_model(response_model: type[M]) -> type[M]:
    """``response_model`` as instructor wraps it for a call, built once per model.

    Given a plain model, instructor builds a new wrapper class on every call (pydantic
    ``create_model``), and its tool-schema cache, keyed by that class, never hits; given
    the wrapper, it uses it as it is. Same validators, same schema, same tool name.
    """
    import instructor

    wrapped: type[M] = instructor.response_schema(response_model)
    return wrapped


def _instructor_client(raw: Any, mode: Any) -> Any:
    """instructor over ``raw`` (what ``instructor.from_openai`` builds), its requests sent
    by :func:`summarizer.engines.llm.chat.chat_completions`."""
    import instructor

    from summarizer.engines.llm.chat import chat_completions

    create = instructor.patch(create=chat_completions(raw), mode=mode)
    return instructor.AsyncInstructor(
        client=raw, create=create, mode=mode, provider=instructor.Provider.OPENAI
    )


@dataclass
class _Client:
    """One event loop's ``AsyncOpenAI`` client, its transport and its instructor wrapper."""

    openai: Any
    instructor: Any


def _current_stats() -> RunStats | None:
    # imported here: the transport imports httpx2, which a cache hit never needs
    from summarizer.engines.llm.transport import current_call

    state = current_call()
    return state.stats if state is not None else None


def _on_response(completion: Any) -> None:
    """instructor ``completion:response`` hook: one model answer, its tokens."""
    stats = _current_stats()
    if stats is not None:
        stats.attempts += 1
        stats.usage.add(getattr(completion, "usage", None))
    repairs = current_repairs()
    if repairs is not None:
        repairs.next_answer()


def _on_parse_error(max_retries: int) -> Any:
    """instructor ``parse:error`` hook: log each validation re-ask with its reason."""

    def hook(error: Exception, **meta: Any) -> None:
        why = last_validation_error(error)
        if meta.get("is_last_attempt"):
            log.info("answer failed validation on the last allowed attempt: %s", why)
            return
        stats = _current_stats()
        if stats is not None:
            stats.reasks += 1
            stats.retry_reasons.append(f"validation: {why}")
            log.info("validation re-ask %d of %d: %s", stats.reasks, max_retries, why)

    return hook


def _import_retry_loop() -> None:
    """instructor imports its retry loop (whose logger prints the provider's raw error
    text) on the first call; import it now so its logger is quieted before that call."""
    import contextlib
    import importlib

    # another instructor layout: its loggers are quieted after the first call instead
    with contextlib.suppress(ImportError):
        importlib.import_module("instructor.v2.core.retry")


class LLMEngine:
    """Fills the response model through instructor; see the module docstring.

    One ``AsyncOpenAI`` client (connection pool, SSL context, instructor wrapper) is built
    per event loop on first use and reused by every call; per-call state travels in the
    transport's context variable, so concurrent calls stay apart.
    """

    name = "llm"
    cacheable = True

    def __init__(self, settings: Settings, transport: ModelTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport
        self._limit: SharedLimit | None = None
        self._quieted_after_call = False  # quieting walks every logger: once is enough
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Client] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def limit(self) -> SharedLimit:
        """The process-wide rate limit of this endpoint and key (limits.py)."""
        if self._limit is None:
            s = self.settings
            key = s.api_key.get_secret_value() if s.api_key else None
            self._limit = shared_limit(s.endpoint_host, key, s.rpm, s.tpm)
        return self._limit

    @property
    def prompts(self) -> PromptSet:
        from summarizer.prompts import load_prompts

        return load_prompts(self.settings.prompts_dir, self.settings.evidence)

    # -- Engine ----------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "model": s.model,
            "endpoint": s.endpoint_host,
            "mode": s.mode,
            "prompt_hash": self.prompts.hash,
        }

    def cache_material(self) -> dict[str, Any]:
        s = self.settings
        return {
            "model": s.model,
            "endpoint": s.endpoint_host,
            "mode": s.mode,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "seed": s.seed,
            "max_tokens": s.max_tokens,
            "prompt_hash": self.prompts.full_hash,
            "evidence": s.evidence,
            "response_models": response_models_hash(),
            "max_retries": s.max_retries,
            # long articles are split by these, so they shape the answer too
            "chunk_tokens": s.chunk_tokens,
            "chunk_overlap": s.chunk_overlap,
        }

    async def run(self, article: str, title: str | None = None) -> EngineOutput:
        from summarizer.engines.llm.chunked import LongArticle

        stats = RunStats()
        try:
            out = await LongArticle(self, title).run(article, stats)
        except SummarizerError as exc:
            # a failed article was paid for all the same: say what it spent
            exc.details.setdefault("usage", stats.usage)
            exc.details.setdefault("requests", stats.requests)
            raise
        warnings = [*stats.dropped, *out.warnings]  # a result with dropped items is not cached
        return EngineOutput(
            out.summary, stats, out.chunks, warnings, list(stats.mended), len(stats.dropped)
        )

    @property
    def open_clients(self) -> int:
        """How many event loops this engine holds an HTTP client for."""
        return len(self._clients)

    def client_for_this_loop(self) -> Any:
        """The running loop's ``AsyncOpenAI`` client, built on first use."""
        return self._client().openai

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.openai.close()

    # -- one structured call ---------------------------------------------------------------
    def _client(self) -> _Client:
        import httpx2
        import openai

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            from summarizer.engines.llm.instructor_patch import memoize_async_validator_check
            from summarizer.logs import quiet_driven_libraries, remember_secret

            _import_retry_loop()
            memoize_async_validator_check()
            quiet_driven_libraries()
            key = self.settings.api_key
            remember_secret(key.get_secret_value() if key else None)
            from summarizer.engines.llm.transport import ModelTransport

            transport = self._transport or ModelTransport()
            http = httpx2.AsyncClient(transport=transport, timeout=self.settings.timeout)
            raw = openai.AsyncOpenAI(**client_options(self.settings), http_client=http)
            wrapped = _instructor_client(raw, instructor_mode(self.settings.mode))
            wrapped.on("completion:response", _on_response)
            wrapped.on("parse:error", _on_parse_error(self.settings.max_retries))
            client = self._clients[loop] = _Client(raw, wrapped)
        return client

    async def complete(
        self,
        article: str,
        messages: list[dict[str, str]],
        stats: RunStats,
        response_model: type[M],
    ) -> M:
        """One validated ``response_model``, its quotes and names grounded in ``article``."""
        client = self._client()
        from summarizer.engines.llm.transport import CallState, RetryPolicy, call_scope

        state = CallState(self.settings, RetryPolicy.from_settings(self.settings), stats)
        state.limit = self.limit
        repairs = self.repairs()
        with call_scope(state), grounded_in(article), repairing(repairs):
            try:
                result: M = await client.instructor.chat.completions.create(
                    response_model=prepared_model(response_model),
                    max_retries=self.settings.max_retries,
                    **request_options(self.settings, messages),
                )
            except SummarizerError:
                raise
            except Exception as exc:
                note = stats.stop_reason
                raise translate(exc, self.settings, stats.attempts, stats.requests, note) from exc
            finally:
                if not self._quieted_after_call:  # loggers the first call created
                    from summarizer.logs import quiet_driven_libraries

                    quiet_driven_libraries()
                    self._quieted_after_call = True
        keep_repairs(repairs, stats, self.settings)
        return _clean(result)

    def repairs(self) -> Repairs:
        """This call's :class:`~summarizer.schema.Repairs`: format slips are mended, and
        failing list items dropped on the last allowed answer, unless ``strict``."""
        if self.settings.strict:
            return Repairs(salvage_at=0, mend=False)
        return Repairs(salvage_at=self.settings.max_retries + 1)

    async def summarize(self, article: str, title: str | None, stats: RunStats) -> ArticleSummary:
        """One call with the article prompt (a whole short article, or one chunk)."""
        messages = self.prompts.render(article, title=title or "")
        if self.settings.evidence == "sentences":
            from summarizer.citations import CitedSummary

            cited = await self.complete(article, messages, stats, CitedSummary)
            summary: ArticleSummary = cited.article_summary()
            return summary
        return await self.complete(article, messages, stats, ArticleSummary)


def keep_repairs(repairs: Repairs, stats: RunStats, settings: Settings) -> None:
    """What was mended and dropped in the answer that passed, for the run's warnings (they
    quote the model, which may have echoed the key: it is blanked out)."""
    secrets = secrets_of(settings)
    mended = [redact(note, secrets) for note in repairs.mended]
    dropped = [redact(note, secrets) for note in repairs.dropped]
    for note in mended:
        log.info("mended: %s", note)
    for note in dropped:
        log.warning("%s", note)
    stats.mended.extend(mended)
    stats.dropped.extend(dropped)


def _clean(result: M) -> M:
    """Drop what instructor attaches to the instance (raw response, usage), which would
    make equal summaries compare unequal; private attributes (evidence spans) stay."""
    for attr in ("_raw_response", "_total_usage"):
        result.__dict__.pop(attr, None)
        private = getattr(result, "__pydantic_private__", None)
        if isinstance(private, dict):
            private.pop(attr, None)
    return result
