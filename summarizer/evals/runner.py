"""Run one engine over the gold set: live, recording, or replaying recorded traffic.

The LLM engine always talks to the model through :class:`ModelProxy`, so tokens and
attempts are metered for failed articles too, and ``--record`` / ``--replay`` change only
the proxy's mode. The result cache is off for every eval run: a cached answer would hide
the model, and replay must serve exactly the recorded exchanges.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from summarizer import __version__
from summarizer.engines.base import Usage
from summarizer.errors import (
    AuthenticationError,
    ConfigError,
    ModelNotFoundError,
    SummarizerError,
)
from summarizer.evals.dataset import GoldItem, load_gold_set
from summarizer.evals.replay import ModelProxy, ProxyMode, RecordingMissing
from summarizer.evals.scoring import ArticleScore, aggregate, score_article
from summarizer.pricing import cost_usd

META_FILE = "meta.json"
#: Settings that shape the request body: a replay must use the recorded values.
RECORDED_SETTINGS: tuple[str, ...] = (
    "model",
    "mode",
    "temperature",
    "max_tokens",
    "max_retries",
    "evidence",
    "strict",
)
_FATAL = (RecordingMissing, ConfigError, AuthenticationError, ModelNotFoundError)


@dataclass
class EvalOptions:
    """What to run. ``None`` means: environment, then default (or the recording's value)."""

    engine: str = "extractive"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    mode: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    max_retries: int | None = None
    evidence: str | None = None
    strict: bool | None = None
    timeout: float | None = None
    record: Path | None = None
    replay: Path | None = None
    articles: Path | None = None
    gold: Path | None = None
    only: list[str] | None = None
    name: str | None = None
    info: dict[str, str] = field(default_factory=dict)


@dataclass
class EvalRun:
    name: str
    engine: str
    source: str  # offline | live | record | replay
    settings: dict[str, Any]
    scores: list[ArticleScore]
    metrics: dict[str, float | None]
    started: str
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "engine": self.engine,
            "source": self.source,
            "settings": self.settings,
            "started": self.started,
            "seconds": round(self.seconds, 2),
            "version": __version__,
            "metrics": self.metrics,
            "notes": self.notes,
            "articles": [s.to_dict() for s in self.scores],
        }


def read_meta(directory: Path) -> dict[str, Any]:
    path = directory / META_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"{path} is missing: {directory} is not a recordings directory (make one with "
            "`summarizer eval --engine llm --model MODEL --base-url URL --record DIR`)"
        ) from exc
    return data


def rerecord_command(
    directory: Path, settings: dict[str, Any], endpoint: str | None, info: dict[str, str]
) -> str:
    parts = ["summarizer", "eval", "--engine", "llm", "--model", str(settings.get("model"))]
    parts += ["--base-url", endpoint or "URL", "--mode", str(settings.get("mode", "tools"))]
    for key in ("temperature", "max_tokens", "max_retries"):
        if settings.get(key) is not None:
            parts += [f"--{key.replace('_', '-')}", str(settings[key])]
    if settings.get("evidence") not in (None, "quotes"):
        parts += ["--evidence", str(settings["evidence"])]
    if settings.get("strict"):
        parts += ["--strict"]
    for key, value in info.items():
        parts += ["--meta", f"{key}={value}"]
    return shlex.join([*parts, "--record", str(directory)])


def _hashes(prompts_dir: str | None, evidence: str = "quotes") -> dict[str, str]:
    from summarizer.prompts import load_prompts
    from summarizer.schema import schema_hash

    return {"prompt_hash": load_prompts(prompts_dir, evidence).hash, "schema_hash": schema_hash()}


class _LLMRun:
    """Builds the proxy and the :class:`Summarizer` for one LLM eval run."""

    def __init__(self, options: EvalOptions) -> None:
        from summarizer.config import resolve_settings

        self.options = options
        self.meta: dict[str, Any] = {}
        self.mode: ProxyMode = "live"
        given: dict[str, Any] = {k: getattr(options, k) for k in RECORDED_SETTINGS}
        common: dict[str, Any] = {"cache": False, "timeout": options.timeout}
        if options.replay is not None:
            self.mode = "replay"
            self.meta = read_meta(options.replay)
            recorded = self.meta.get("settings", {})
            values: dict[str, Any] = {
                k: (given[k] if given[k] is not None else recorded.get(k)) for k in given
            }
            self.settings = resolve_settings(
                engine="llm", base_url="http://127.0.0.1:9/v1", api_key="sk-replay",
                **values, **common,
            )  # fmt: skip
            self.endpoint: str | None = self.meta.get("endpoint")
            info = {k: str(v) for k, v in self.meta.get("model", {}).items() if k != "name"}
            self.hint = "Re-record with: " + rerecord_command(
                options.replay, self.recorded_settings(), self.endpoint, info
            )
            self._check_hashes()
        else:
            self.mode = "record" if options.record is not None else "live"
            self.settings = resolve_settings(
                engine="llm", base_url=options.base_url, api_key=options.api_key, **given, **common
            )
            self.endpoint = self.settings.endpoint_host
            self.hint = ""
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        self.proxy = ModelProxy(
            self.settings.effective_base_url if self.mode != "replay" else self.endpoint,
            self.mode, options.record or options.replay, secrets=(key,), rerecord_hint=self.hint,
        )  # fmt: skip

    def recorded_settings(self) -> dict[str, Any]:
        return {k: getattr(self.settings, k) for k in RECORDED_SETTINGS}

    def _check_hashes(self) -> None:
        now = _hashes(self.settings.prompts_dir, self.settings.evidence)
        for key, value in now.items():
            old = self.meta.get(key)
            if old is not None and old != value:
                raise RecordingMissing(
                    f"the recordings in {self.options.replay} were made with {key} {old}, but the "
                    f"current one is {value}: they cannot replay. {self.hint}"
                )

    def summarize(self, item: GoldItem) -> tuple[Any, str | None, dict[str, Any]]:
        """(summary or None, error, cost) for one article."""
        from summarizer.api import Summarizer

        start = len(self.proxy.exchanges)
        summary, error = None, None
        with self.proxy.cassette(item.id):
            summarizer = Summarizer(self.settings.with_overrides(base_url=self.proxy.url))
            try:
                summary = summarizer.summarize(item.text).summary
            except _FATAL:
                raise
            except SummarizerError as exc:
                error = f"{type(exc).__name__}: {exc}"
            finally:
                summarizer.close()
        if self.proxy.misses:
            raise RecordingMissing(
                f"replay of {item.id} sent a request that was never recorded (prompt, schema, "
                f"settings or article changed). {self.hint}"
            )
        seen = self.proxy.exchanges[start:]
        answers = [e.answer for e in seen if e.status == 200]
        usage = Usage(
            *(sum(e.usage.get(k, 0) for e in seen) for k in ("prompt_tokens", "completion_tokens"))
        )
        usage.total_tokens = sum(e.usage.get("total_tokens", 0) for e in seen)
        cost: dict[str, Any] = {
            "attempts": len(answers),
            "requests": len(seen),
            "raw_answer": answers[-1] if answers else None,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
            "cost_usd": cost_usd(self.settings, usage, len(seen)),
        }
        return summary, error, cost


def _run_name(options: EvalOptions, settings: dict[str, Any]) -> str:
    if options.name:
        return options.name
    directory = options.replay or options.record
    if directory is not None:
        return directory.resolve().name
    return "extractive" if options.engine == "extractive" else str(settings.get("model"))


def run_eval(
    options: EvalOptions, on_article: Callable[[ArticleScore], None] | None = None
) -> EvalRun:
    """Summarize and score every gold article; raises only for run-level failures."""
    if options.engine == "auto":  # like `summarize`: the LLM if an endpoint is configured
        from summarizer.config import resolve_settings

        options.engine = resolve_settings(base_url=options.base_url).resolved_engine
    if options.record is not None and options.replay is not None:
        raise ConfigError("--record and --replay cannot be combined")
    if options.engine == "extractive" and (options.record or options.replay):
        raise ConfigError("--record/--replay need --engine llm (the extractive engine is offline)")
    items = load_gold_set(options.gold, options.articles, options.only)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    scores: list[ArticleScore] = []
    llm = _LLMRun(options) if options.engine == "llm" else None
    settings: dict[str, Any] = llm.recorded_settings() if llm else {"model": "extractive"}
    source = llm.mode if llm else "offline"
    recorded = llm.meta.get("articles", {}) if llm else {}
    notes: list[str] = []
    if source == "replay":  # a recording covers the articles it recorded, no more
        missing = [item.id for item in items if item.id not in recorded]
        if missing:
            items = [item for item in items if item.id in recorded]
            notes.append(
                f"{len(missing)} gold article(s) have no recording in {options.replay} and were "
                f"not replayed: {', '.join(missing)} (re-record to cover them)"
            )
        if not items:
            raise ConfigError(f"{options.replay} records none of the selected gold articles")
    if llm is not None:
        llm.proxy.__enter__()
    try:
        for item in items:
            t = time.perf_counter()
            if llm is None:
                summary, error, cost = _extractive(item)
            else:
                summary, error, cost = llm.summarize(item)
            score = score_article(item, summary, cost.pop("raw_answer", None))
            score.error = error
            for k, v in cost.items():
                setattr(score, k, v)
            score.latency_ms = round((time.perf_counter() - t) * 1000, 1)
            if source == "replay" and item.id in recorded:
                score.latency_ms = float(recorded[item.id].get("latency_ms", score.latency_ms))
            scores.append(score)
            if on_article is not None:
                on_article(score)
    finally:
        if llm is not None:
            llm.proxy.__exit__(None, None, None)
    run = EvalRun(
        name=_run_name(options, settings), engine=options.engine, source=source,
        settings=settings, scores=scores, metrics=aggregate(scores),
        started=started.isoformat(timespec="seconds"), seconds=time.perf_counter() - t0,
        notes=notes,
    )  # fmt: skip
    if llm is not None and options.record is not None:
        write_meta(options.record, run, llm, options.info)
    return run


def _extractive(item: GoldItem) -> tuple[Any, str | None, dict[str, Any]]:
    from summarizer.api import Summarizer

    summarizer = Summarizer(engine="extractive", cache=False)
    try:
        result = summarizer.summarize(item.text)
    except SummarizerError as exc:
        return None, f"{type(exc).__name__}: {exc}", {"attempts": 1}
    finally:
        summarizer.close()
    usage = result.meta.usage
    return result.summary, None, {
        "attempts": result.meta.attempts, "requests": result.meta.requests,
        "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens, "cost_usd": result.meta.cost_usd,
    }  # fmt: skip


def write_meta(directory: Path, run: EvalRun, llm: _LLMRun, info: dict[str, str]) -> Path:
    """``meta.json`` beside the cassettes: what was recorded, how, and how to redo it."""
    meta = {
        "model": {"name": run.settings.get("model"), **info},
        "date": run.started,
        "endpoint": llm.endpoint,
        **_hashes(llm.settings.prompts_dir, llm.settings.evidence),
        "settings": run.settings,
        "summarizer_version": __version__,
        "record_command": rerecord_command(directory, run.settings, llm.endpoint, info),
        "articles": {
            s.id: {
                "latency_ms": round(s.latency_ms, 1),
                "valid": s.valid,
                "attempts": s.attempts,
                "total_tokens": s.total_tokens,
            }
            for s in run.scores
        },
    }
    path = directory / META_FILE
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
