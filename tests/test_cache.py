"""The result cache: content-addressed, never stale, never a crash, safe across processes."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import multiprocessing
import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import summarizer.api
import summarizer.schema
from summarizer.api import Summarizer, summarize
from summarizer.cache import (
    KEY_VERSION,
    ResultCache,
    cache_dir,
    cache_key,
    canonical_json,
    default_cache_dir,
    format_size,
    key_material,
)
from summarizer.cli import app
from summarizer.config import parse_size, resolve_settings
from summarizer.engines.base import EngineOutput, RunStats
from summarizer.engines.llm.engine import LLMEngine
from summarizer.errors import ConfigError, ProviderError, ValidationFailed
from summarizer.testing import FunctionEngine
from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion, error_body
from tests.conftest import ROOT, SENTINEL_KEY

runner = CliRunner()


# -- helpers ------------------------------------------------------------------------------
@pytest.fixture
def cdir(tmp_path: Path) -> Path:
    """The cache directory the autouse fixture points SUMMARIZER_CACHE_DIR at."""
    return tmp_path / "cache"


def entries(directory: Path) -> int:
    return int(ResultCache(directory, 1 << 30).stats()["entries"])


def dump(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = result.summary.model_dump(mode="json")
    return data


def files_bytes(directory: Path) -> bytes:
    """Every byte under ``directory`` (database, WAL, value files)."""
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def cli(*args: str) -> Any:
    return runner.invoke(app, list(args))


# -- the key ------------------------------------------------------------------------------
def _material(text: str = "Some article text.", **overrides: Any) -> dict[str, Any]:
    base = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "engine": "llm"}
    settings = resolve_settings(env={}, **{**base, **overrides})
    return key_material("llm", LLMEngine(settings).cache_material(), "schemahash", text)


@pytest.mark.parametrize(
    "override",
    [
        {"model": "other-model"},
        {"base_url": "http://127.0.0.1:9/v2"},
        {"base_url": "http://10.0.0.1:9/v1"},
        {"mode": "json"},
        {"temperature": 0.7},
        {"top_p": 0.5},
        {"seed": 7},
        {"max_tokens": 999},
        {"max_retries": 0},
        {"chunk_tokens": 3000},
        {"chunk_overlap": 50},
    ],
)
def test_each_setting_ingredient_changes_the_key(override: dict[str, Any]) -> None:
    assert cache_key(_material(**override)) != cache_key(_material())


def test_prompt_schema_text_title_and_engine_change_the_key() -> None:
    ref = cache_key(key_material("llm", {"prompt_hash": "p1"}, "s1", "text"))
    assert cache_key(key_material("llm", {"prompt_hash": "p2"}, "s1", "text")) != ref
    assert cache_key(key_material("llm", {"prompt_hash": "p1"}, "s2", "text")) != ref
    assert cache_key(key_material("llm", {"prompt_hash": "p1"}, "s1", "text 2")) != ref
    assert cache_key(key_material("llm", {"prompt_hash": "p1"}, "s1", "text", "A title")) != ref
    assert cache_key(key_material("extractive", {"prompt_hash": "p1"}, "s1", "text")) != ref


def test_every_template_and_response_model_feeds_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing the long-article overview prompt once served stale long-article results."""
    from summarizer.prompts import TEMPLATES, data_dir

    def key_with(edited: str | None) -> str:
        folder = tmp_path / f"prompts-{edited}"
        folder.mkdir()
        for name in TEMPLATES:
            text = (data_dir("prompts") / name).read_text(encoding="utf-8")
            (folder / name).write_text(text + (" " if name == edited else ""), encoding="utf-8")
        settings = resolve_settings(env={}, base_url="http://h:1/v1", prompts_dir=str(folder))
        return cache_key(key_material("llm", LLMEngine(settings).cache_material(), "s", "t"))

    ref = key_with(None)
    assert len({ref, *(key_with(name) for name in TEMPLATES)}) == 1 + len(TEMPLATES)
    settings = resolve_settings(env={}, base_url="http://h:1/v1")
    material = LLMEngine(settings).cache_material()
    from summarizer.engines.llm import merge
    from summarizer.engines.llm.engine import response_models_hash

    monkeypatch.setattr(merge.Overview, "model_json_schema", classmethod(lambda cls: {"x": 1}))
    response_models_hash.cache_clear()  # computed once per process: the models are code
    assert LLMEngine(settings).cache_material()["response_models"] != material["response_models"]
    response_models_hash.cache_clear()


def test_key_is_sha256_of_canonical_json_and_normalizes_text() -> None:
    import hashlib

    material = _material("Line one.  \r\nLine two.\r\n")
    assert material["v"] == KEY_VERSION
    assert cache_key(material) == hashlib.sha256(canonical_json(material).encode()).hexdigest()
    assert cache_key(material) == cache_key(_material("\ufeffLine one.\nLine two."))
    assert json.loads(canonical_json(material)) == material


def test_key_never_holds_credentials() -> None:
    plain = _material()
    with_key = _material(api_key=SENTINEL_KEY)
    with_userinfo = _material(base_url=f"http://127.0.0.1:9/v1/?api-key={SENTINEL_KEY}")
    assert cache_key(plain) == cache_key(with_key) == cache_key(with_userinfo)
    assert with_userinfo["endpoint"] == "http://127.0.0.1:9/v1"
    for material in (with_key, with_userinfo):
        assert SENTINEL_KEY not in canonical_json(material)
        assert "user" not in canonical_json(material)


# -- library: hits, misses, refresh, no-cache ----------------------------------------------
def test_second_identical_call_sends_no_request(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], cdir: Path
) -> None:
    llm_env.push(completion(good_answer))
    s = Summarizer()
    first = s.summarize(seed_text)
    second = s.summarize(seed_text)
    s.close()
    assert len(llm_env.requests) == 1
    assert first.meta.cache_hit is False and second.meta.cache_hit is True
    assert dump(second) == dump(first)
    assert second.summary.stances[0].evidence_spans == first.summary.stances[0].evidence_spans
    assert second.meta.requests == 0 and second.meta.usage.total_tokens == 0
    assert first.meta.requests == 1 and first.meta.usage.total_tokens == 150
    assert second.meta.prompt_hash == first.meta.prompt_hash
    # A fresh instance (think: a new process) hits too, and so does the one-shot helper.
    assert Summarizer().summarize(seed_text).meta.cache_hit is True
    assert summarize(seed_text).meta.cache_hit is True
    assert len(llm_env.requests) == 1
    assert entries(cdir) == 1


def test_hit_recomputes_spans_against_the_given_text(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    """CRLF and trailing blanks share a key, but offsets always point into *this* text."""
    llm_env.push(completion(good_answer))
    Summarizer().summarize(seed_text)
    crlf = "\n\n" + seed_text.replace("\n", "  \r\n")
    hit = Summarizer().summarize(crlf)
    assert hit.meta.cache_hit is True and len(llm_env.requests) == 1
    for stance in hit.summary.stances:
        for quote, span in zip(stance.evidence, stance.evidence_spans, strict=True):
            assert crlf[span.start : span.end].replace("\u2019", "'") == quote.replace(
                "\u2019", "'"
            )


def test_async_calls_share_the_cache(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer))
    s = Summarizer()
    first = asyncio.run(s.asummarize(seed_text))
    second = asyncio.run(s.asummarize(seed_text))
    assert s.summarize(seed_text).meta.cache_hit is True
    assert (first.meta.cache_hit, second.meta.cache_hit) == (False, True)
    assert len(llm_env.requests) == 1


@pytest.mark.parametrize(
    "override",
    [
        {"model": "other-model"},
        {"temperature": 0.5},
        {"top_p": 0.9},
        {"seed": 42},
        {"max_tokens": 1000},
        {"max_retries": 1},
    ],
)
def test_changing_a_setting_misses_then_hits(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], override: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer), completion(good_answer))
    assert Summarizer().summarize(seed_text).meta.cache_hit is False
    changed = Summarizer(**override).summarize(seed_text)
    assert changed.meta.cache_hit is False and len(llm_env.requests) == 2
    assert Summarizer(**override).summarize(seed_text).meta.cache_hit is True
    assert len(llm_env.requests) == 2


def test_changing_the_endpoint_path_misses(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer), completion(good_answer))
    Summarizer().summarize(seed_text)
    other = Summarizer(base_url=llm_env.url.replace("/v1", "/v2")).summarize(seed_text)
    assert other.meta.cache_hit is False and len(llm_env.requests) == 2


def test_changing_the_text_or_title_misses(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    llm_env.push(*(completion(good_answer) for _ in range(3)))
    s = Summarizer()
    s.summarize(seed_text)
    assert s.summarize(seed_text + "\n\nA late paragraph.").meta.cache_hit is False
    assert s.summarize(seed_text, title="A headline").meta.cache_hit is False
    assert s.summarize(seed_text, title="A headline").meta.cache_hit is True
    assert len(llm_env.requests) == 3


def test_editing_a_prompt_template_misses(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    llm_env.push(completion(good_answer), completion(good_answer), completion(good_answer))
    Summarizer(prompts_dir=str(prompts)).summarize(seed_text)
    assert Summarizer(prompts_dir=str(prompts)).summarize(seed_text).meta.cache_hit is True
    edited = tmp_path / "edited"
    shutil.copytree(prompts, edited)
    system = edited / "system.j2"
    system.write_text(system.read_text(encoding="utf-8") + "\nBe brief.\n", encoding="utf-8")
    result = Summarizer(prompts_dir=str(edited)).summarize(seed_text)
    assert result.meta.cache_hit is False and len(llm_env.requests) == 2
    assert "Be brief." in llm_env.requests[-1].body["messages"][0]["content"]


def test_a_schema_change_misses(
    llm_env: FakeOpenAI,
    seed_text: str,
    good_answer: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm_env.push(completion(good_answer), completion(good_answer))
    Summarizer().summarize(seed_text)
    for module in (summarizer.api, summarizer.schema):
        monkeypatch.setattr(module, "schema_hash", lambda: "0123456789abcdef")
    result = Summarizer().summarize(seed_text)
    assert result.meta.cache_hit is False and len(llm_env.requests) == 2
    assert result.meta.schema_hash == "0123456789abcdef"


def test_cache_false_neither_reads_nor_writes(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], cdir: Path
) -> None:
    llm_env.push(completion(good_answer), completion(good_answer), completion(good_answer))
    assert Summarizer(cache=False).summarize(seed_text).meta.cache_hit is False
    assert not cdir.exists()  # not even created
    Summarizer().summarize(seed_text)  # now there is an entry...
    assert Summarizer(cache=False).summarize(seed_text).meta.cache_hit is False  # ...unread
    assert len(llm_env.requests) == 3


def test_refresh_recomputes_and_overwrites(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], cdir: Path
) -> None:
    newer = copy.deepcopy(good_answer)
    newer["key_points"] = newer["key_points"][::-1]
    llm_env.push(completion(good_answer), completion(newer))
    Summarizer().summarize(seed_text)
    refreshed = Summarizer(refresh=True).summarize(seed_text)
    assert refreshed.meta.cache_hit is False and len(llm_env.requests) == 2
    hit = Summarizer().summarize(seed_text)
    assert hit.meta.cache_hit is True and len(llm_env.requests) == 2
    assert hit.summary.key_points == newer["key_points"]
    assert entries(cdir) == 1


def test_cache_dir_argument_wins_over_env(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], tmp_path: Path, cdir: Path
) -> None:
    other = tmp_path / "elsewhere"
    llm_env.push(completion(good_answer))
    Summarizer(cache_dir=other).summarize(seed_text)  # a Path is accepted
    assert entries(other) == 1 and not cdir.exists()
    assert Summarizer(cache_dir=str(other)).summarize(seed_text).meta.cache_hit is True


def test_extractive_engine_is_not_cached(seed_text: str, cdir: Path) -> None:
    """Deterministic and ~ms fast: caching would cost more than it saves, and could serve
    a result of older extractive code (its code is not part of any key)."""
    pytest.importorskip("summarizer.engines.extractive.engine").extract  # noqa: B018
    s = Summarizer(engine="extractive")
    first, second = s.summarize(seed_text), s.summarize(seed_text)
    assert (first.meta.cache_hit, second.meta.cache_hit) == (False, False)
    assert dump(first) == dump(second)
    assert not cdir.exists()


# -- failures are never stored -----------------------------------------------------------
def test_validation_failure_stores_nothing(
    llm_env: FakeOpenAI,
    seed_text: str,
    bad_answer: dict[str, Any],
    good_answer: dict[str, Any],
    cdir: Path,
) -> None:
    llm_env.push(completion(bad_answer), completion(bad_answer))
    with pytest.raises(ValidationFailed):
        Summarizer(max_retries=1, strict=True).summarize(seed_text)
    assert len(llm_env.requests) == 2
    assert entries(cdir) == 0
    llm_env.push(completion(good_answer))
    assert Summarizer(max_retries=1).summarize(seed_text).meta.cache_hit is False
    assert len(llm_env.requests) == 3 and entries(cdir) == 1


def test_degraded_result_is_not_stored(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], cdir: Path
) -> None:
    """A result with warnings (e.g. the chunk overview fell back) is retried next time."""
    llm_env.push(completion(good_answer))
    summary = Summarizer(cache=False).summarize(seed_text).summary
    warned = EngineOutput(summary, RunStats(attempts=1), warnings=["overview fell back"])
    degraded = Summarizer(engine_impl=FunctionEngine(lambda a, t: warned))
    assert degraded.summarize(seed_text).meta.warnings == ["overview fell back"]
    assert entries(cdir) == 0
    whole = Summarizer(engine_impl=FunctionEngine(lambda a, t: summary))
    assert not whole.summarize(seed_text).meta.warnings
    assert entries(cdir) == 1


def test_http_error_stores_nothing(llm_env: FakeOpenAI, seed_text: str, cdir: Path) -> None:
    llm_env.push(Reply(500, error_body("boom", typ="server_error")))
    with pytest.raises(ProviderError):
        Summarizer(transport_retries=0).summarize(seed_text)
    assert entries(cdir) == 0


def test_entry_that_no_longer_validates_is_a_miss(
    llm_env: FakeOpenAI,
    seed_text: str,
    good_answer: dict[str, Any],
    cdir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """E.g. grounding rules got stricter without a schema change: recompute, overwrite."""
    llm_env.push(completion(good_answer), completion(good_answer))
    s = Summarizer()
    s.summarize(seed_text)
    key = s.cache_key(seed_text)
    assert key is not None
    s.close()
    rc = ResultCache(cdir, 1 << 30)
    envelope = rc.get(key)
    assert envelope is not None
    envelope["summary"]["stances"][0]["evidence"] = ["a quote the article never had"]
    assert rc.put(key, {"summary": envelope["summary"], "meta": envelope["meta"]})
    rc.close()
    with caplog.at_level(logging.WARNING, logger="summarizer"):
        result = Summarizer().summarize(seed_text)
    assert result.meta.cache_hit is False and len(llm_env.requests) == 2
    assert "no longer validates" in caplog.text
    assert Summarizer().summarize(seed_text).meta.cache_hit is True  # overwritten


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"v": KEY_VERSION, "key": "b" * 64, "summary": {}, "meta": {}}),
    ],
)
def test_damaged_or_foreign_entry_is_a_miss(
    cdir: Path, caplog: pytest.LogCaptureFixture, raw: str
) -> None:
    import diskcache

    key = "a" * 64
    with diskcache.Cache(str(cdir)) as dc:
        dc.set(key, raw)
    rc = ResultCache(cdir, 1 << 30)
    with caplog.at_level(logging.WARNING, logger="summarizer"):
        assert rc.get(key) is None
    assert "damaged cache entry" in caplog.text
    assert rc.stats()["entries"] == 0  # discarded


# -- secrets -------------------------------------------------------------------------------
def test_api_key_never_reaches_cache_files(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], cdir: Path
) -> None:
    llm_env.push(completion(good_answer))
    s = Summarizer()
    s.summarize(seed_text)
    s.close()
    assert llm_env.requests[0].headers["authorization"] == f"Bearer {SENTINEL_KEY}"
    blob = files_bytes(cdir)
    assert blob and SENTINEL_KEY.encode() not in blob
    assert b"fake-model" in blob  # the search would have found plain text


# -- broken cache directories: warn, run uncached, never crash ------------------------------
def _break_as_file(cdir: Path) -> None:
    cdir.parent.mkdir(parents=True, exist_ok=True)
    cdir.write_text("I am a file, not a directory\n")


def _break_db(cdir: Path) -> None:
    cdir.mkdir(parents=True)
    (cdir / "cache.db").write_bytes(os.urandom(4096))


def _break_parent_is_file(cdir: Path) -> None:
    cdir.parent.mkdir(parents=True, exist_ok=True)
    blocker = cdir.parent / "blocker"
    blocker.write_text("x")
    os.environ["SUMMARIZER_CACHE_DIR"] = str(blocker / "cache")


BREAKERS = {"file": _break_as_file, "garbage-db": _break_db, "parent-file": _break_parent_is_file}


@pytest.mark.parametrize("breaker", sorted(BREAKERS))
def test_broken_cache_dir_library_warns_and_runs(
    llm_env: FakeOpenAI,
    seed_text: str,
    good_answer: dict[str, Any],
    cdir: Path,
    caplog: pytest.LogCaptureFixture,
    breaker: str,
) -> None:
    BREAKERS[breaker](cdir)
    llm_env.push(completion(good_answer), completion(good_answer))
    with caplog.at_level(logging.WARNING, logger="summarizer"):
        s = Summarizer()
        first = s.summarize(seed_text)
        second = s.summarize(seed_text)
        s.close()
    assert (first.meta.cache_hit, second.meta.cache_hit) == (False, False)
    assert len(llm_env.requests) == 2
    warnings = [r for r in caplog.records if "cache disabled" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING  # once per instance


@pytest.mark.parametrize("breaker", sorted(BREAKERS))
def test_broken_cache_dir_cli_warns_and_runs(
    llm_env: FakeOpenAI,
    seed_path: Path,
    good_answer: dict[str, Any],
    cdir: Path,
    breaker: str,
) -> None:
    BREAKERS[breaker](cdir)
    llm_env.push(completion(good_answer))
    result = cli("summarize", str(seed_path))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["meta"]["cache_hit"] is False
    assert "cache disabled" in result.stderr and "Traceback" not in result.stderr
    stats = cli("cache", "stats")
    assert stats.exit_code == 11 and "Traceback" not in stats.stderr
    assert stats.stderr.startswith("summarizer: error: cannot use the cache at")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root ignores directory permissions"
)
def test_unreadable_cache_dir_warns_and_runs(
    llm_env: FakeOpenAI,
    seed_text: str,
    good_answer: dict[str, Any],
    cdir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # pragma: no cover - CI runs as root here
    cdir.mkdir(parents=True)
    cdir.chmod(0)
    try:
        llm_env.push(completion(good_answer))
        with caplog.at_level(logging.WARNING, logger="summarizer"):
            assert Summarizer().summarize(seed_text).meta.cache_hit is False
        assert "cache" in caplog.text
    finally:
        cdir.chmod(0o755)


def test_database_locked_for_long_is_a_warning_not_a_hang(
    cdir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the write lock past the timeout: skip the write, go on."""
    import summarizer.cache as cache_mod

    monkeypatch.setattr(cache_mod, "SQLITE_TIMEOUT", 0.2)
    rc = ResultCache(cdir, 1 << 30)
    assert rc.get("0" * 64) is None  # creates the database
    holder = sqlite3.connect(cdir / "cache.db", timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="summarizer"):
            assert rc.put("1" * 64, {"summary": {}, "meta": {}}) is False
        assert "cache write failed" in caplog.text
    finally:
        holder.rollback()
        holder.close()
    assert rc.put("1" * 64, {"summary": {}, "meta": {}}) is True


# -- size limit --------------------------------------------------------------------------------
def test_size_limit_evicts_least_recently_used(cdir: Path) -> None:
    """diskcache culls (up to 10 least recently used entries) when a write goes over."""
    limit = 1024 * 1024
    rc = ResultCache(cdir, limit)
    blob = "x" * 40_000  # stored as a value file: counts fully towards the volume
    rc.put("keep", {"summary": {"blob": blob}, "meta": {}})
    largest = 0
    for i in range(60):
        assert rc.get("keep") is not None, i  # used before every write: never evicted
        assert rc.put(f"k{i:02d}", {"summary": {"blob": blob, "i": i}, "meta": {}})
        largest = max(largest, rc.stats()["size_bytes"])
    assert largest <= limit + 64 * 1024  # one entry over at most, before the cull
    assert rc.stats()["entries"] < 40
    assert rc.get("k59") is not None and rc.get("k00") is None


def test_size_limit_from_env_and_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_settings().cache_size_limit == 512 * 1024 * 1024
    monkeypatch.setenv("SUMMARIZER_CACHE_SIZE_LIMIT", "64MB")
    assert resolve_settings().cache_size_limit == 64 * 1024 * 1024
    assert resolve_settings(cache_size_limit="1GiB").cache_size_limit == 1024**3
    monkeypatch.setenv("SUMMARIZER_CACHE_SIZE_LIMIT", "lots")
    with pytest.raises(
        ConfigError,
        match="not a size, got 'lots': set --cache-size-limit / SUMMARIZER_CACHE_SIZE_LIMIT",
    ):
        resolve_settings()
    with pytest.raises(ConfigError, match="must be positive"):
        resolve_settings(env={}, cache_size_limit=0)
    monkeypatch.delenv("SUMMARIZER_CACHE_SIZE_LIMIT")
    result = cli("cache", "stats", "--cache-size-limit", "2MB")
    assert result.exit_code == 0 and "of 2.0 MiB limit" in result.stdout


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1024", 1024), ("512MB", 512 * 1024**2), ("1.5 KiB", 1536), ("2g", 2 * 1024**3)],
)
def test_parse_size(raw: str, expected: int) -> None:
    assert parse_size(raw) == expected


def test_format_size() -> None:
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(512 * 1024**2) == "512.0 MiB"
    assert format_size(3 * 1024**5) == "3072.0 TiB"


# -- CLI -------------------------------------------------------------------------------------
def test_cli_second_run_is_a_hit_and_stats_count_it(
    llm_env: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any], cdir: Path
) -> None:
    llm_env.push(completion(good_answer))
    first = cli("summarize", str(seed_path))
    second = cli("summarize", str(seed_path))
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert (a["meta"]["cache_hit"], b["meta"]["cache_hit"]) == (False, True)
    assert {k: v for k, v in a.items() if k != "meta"} == {
        k: v for k, v in b.items() if k != "meta"
    }
    assert len(llm_env.requests) == 1

    stats = cli("cache", "stats")
    assert stats.exit_code == 0, stats.stderr
    lines = dict(line.split(":", 1) for line in stats.stdout.strip().splitlines())
    assert lines["location"].strip() == str(cdir)
    assert lines["entries"].strip() == "1"
    assert lines["hits"].strip() == "1 (50% hit rate)" and lines["misses"].strip() == "1"
    assert "KiB of 512.0 MiB limit" in lines["size"]
    as_json = json.loads(cli("cache", "stats", "--json").stdout)
    assert as_json["entries"] == 1 and as_json["size_bytes"] > 0 and as_json["hits"] == 1

    cleared = cli("cache", "clear")
    assert cleared.exit_code == 0 and cleared.stdout.strip() == f"removed 1 entries from {cdir}"
    after = json.loads(cli("cache", "stats", "--json").stdout)
    assert (after["entries"], after["hits"], after["misses"]) == (0, 0, 0)
    llm_env.push(completion(good_answer))
    third = cli("summarize", str(seed_path))
    assert json.loads(third.stdout)["meta"]["cache_hit"] is False and len(llm_env.requests) == 2


def test_cli_no_cache_and_refresh(
    llm_env: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any], cdir: Path
) -> None:
    llm_env.push(*(completion(good_answer) for _ in range(4)))
    assert cli("summarize", str(seed_path), "--no-cache").exit_code == 0
    assert not cdir.exists()
    assert json.loads(cli("summarize", str(seed_path)).stdout)["meta"]["cache_hit"] is False
    no_cache = json.loads(cli("summarize", str(seed_path), "--no-cache").stdout)
    assert no_cache["meta"]["cache_hit"] is False
    assert len(llm_env.requests) == 3
    refreshed = json.loads(cli("summarize", str(seed_path), "--refresh").stdout)
    assert refreshed["meta"]["cache_hit"] is False
    assert len(llm_env.requests) == 4
    hit = json.loads(cli("summarize", str(seed_path)).stdout)
    assert hit["meta"]["cache_hit"] is True and len(llm_env.requests) == 4
    assert entries(cdir) == 1


def test_cli_cache_dir_flag_and_path(
    llm_env: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any], tmp_path: Path, cdir: Path
) -> None:
    other = tmp_path / "flag-cache"
    assert cli("cache", "path").stdout.strip() == str(cdir)
    assert cli("cache", "path", "--cache-dir", str(other)).stdout.strip() == str(other)
    llm_env.push(completion(good_answer))
    assert cli("summarize", str(seed_path), "--cache-dir", str(other)).exit_code == 0
    assert entries(other) == 1 and not cdir.exists()


def test_default_cache_dir_is_the_user_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUMMARIZER_CACHE_DIR")
    assert cache_dir(resolve_settings()) == default_cache_dir()
    assert default_cache_dir().name == "summarizer"
    if sys.platform.startswith("linux"):
        assert default_cache_dir() == Path(os.environ["XDG_CACHE_HOME"]) / "summarizer"
    assert cli("cache", "path").stdout.strip() == str(default_cache_dir())


def test_stats_and_clear_on_a_missing_dir_create_nothing(cdir: Path) -> None:
    stats = cli("cache", "stats")
    assert stats.exit_code == 0 and "entries:  0" in stats.stdout
    assert cli("cache", "clear").stdout.startswith("removed 0 entries")
    assert not cdir.exists()


# -- several processes on one cache directory ------------------------------------------------
def _hammer(directory: str, worker: int, rounds: int, barrier: Any, out: Any) -> None:
    """Put and get distinct and identical keys; report mismatches and logged warnings."""
    problems: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            problems.append(f"log: {record.getMessage()}")

    logging.getLogger("summarizer").addHandler(Collect(logging.WARNING))
    barrier.wait()
    rc = ResultCache(Path(directory), 1 << 30)
    for i in range(rounds):
        own, shared = f"own-{worker}-{i}", f"shared-{i % 5}"
        mine = {"summary": {"worker": worker, "i": i, "pad": "y" * (i * 300)}, "meta": {}}
        common = {"summary": {"shared": i % 5, "pad": "z" * 5000}, "meta": {"n": i % 5}}
        if not (rc.put(own, mine) and rc.put(shared, common)):
            problems.append(f"put failed at {i}")
        got = rc.get(own)
        if got is None or (got["summary"], got["key"]) != (mine["summary"], own):
            problems.append(f"own entry {own} wrong: {str(got)[:80]}")
        seen = rc.get(shared)
        if seen is None or (seen["summary"], seen["meta"], seen["key"]) != (
            common["summary"],
            common["meta"],
            shared,
        ):
            problems.append(f"shared entry {shared} wrong: {str(seen)[:80]}")
    rc.close()
    out.put((worker, problems))


def _summarize_once(directory: str, url: str, text: str, barrier: Any, out: Any) -> None:
    logging.basicConfig(level=logging.WARNING)
    barrier.wait()
    try:
        result = Summarizer(
            base_url=url, api_key="sk-worker", model="fake-model", cache_dir=directory
        ).summarize(text)
        out.put(("ok", result.summary.model_dump(mode="json"), result.meta.cache_hit))
    except Exception as exc:  # reported to the parent, which fails the test
        out.put(("error", f"{type(exc).__name__}: {exc}", False))


def _run_workers(target: Any, args: list[tuple[Any, ...]], timeout: float = 120) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    barrier = ctx.Barrier(len(args))
    procs = [ctx.Process(target=target, args=(*a, barrier, out)) for a in args]
    for p in procs:
        p.start()
    results = [out.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return results


@pytest.mark.slow
def test_eight_processes_share_one_cache_dir(cdir: Path) -> None:
    rounds = 40
    results = _run_workers(_hammer, [(str(cdir), w, rounds) for w in range(8)])
    assert sorted(w for w, _ in results) == list(range(8))
    assert [p for _, p in results] == [[]] * 8
    rc = ResultCache(cdir, 1 << 30)
    assert rc.stats()["entries"] == 8 * rounds + 5
    for w in range(8):
        for i in range(rounds):
            got = rc.get(f"own-{w}-{i}")
            assert got is not None and got["summary"]["worker"] == w and got["summary"]["i"] == i
    import diskcache

    with diskcache.Cache(str(cdir)) as dc:
        assert dc.check() == []  # SQLite integrity and value files consistent


@pytest.mark.slow
def test_eight_processes_summarize_the_same_article(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], cdir: Path
) -> None:
    fake.push(*(completion(good_answer) for _ in range(8)))
    results = _run_workers(_summarize_once, [(str(cdir), fake.url, seed_text) for _ in range(8)])
    assert [r[0] for r in results] == ["ok"] * 8, results
    assert all(r[1] == results[0][1] for r in results)
    assert 1 <= len(fake.requests) <= 8
    assert len(fake.requests) + sum(r[2] for r in results) == 8  # every call: request or hit
    assert entries(cdir) == 1
    fake.push(completion(good_answer))
    again = Summarizer(
        base_url=fake.url, api_key="sk-worker", model="fake-model", cache_dir=cdir
    ).summarize(seed_text)
    assert again.meta.cache_hit is True and dump(again) == results[0][1]


def test_a_size_limit_below_an_empty_database_is_a_config_error(
    cdir: Path, llm_env: FakeOpenAI, seed_text: str, tmp_path: Path
) -> None:
    """An empty diskcache database is 32 KiB: a smaller limit would keep nothing, silently."""
    from summarizer.cache import MIN_SIZE_LIMIT

    with pytest.raises(ConfigError, match=r"below the minimum of 1\.0 MiB"):
        ResultCache(cdir, 1000)
    ResultCache(cdir, MIN_SIZE_LIMIT)  # the minimum itself is fine
    with pytest.raises(ConfigError, match="--cache-size-limit"):
        Summarizer(cache_size_limit=20_000).summarize(seed_text)
    article = tmp_path / "a.txt"
    article.write_text(seed_text, encoding="utf-8")
    for command in (["summarize", str(article)], ["batch", str(article), "--no-progress"]):
        res = cli(*command, "--cache-size-limit", "16KB")
        assert res.exit_code == 2, res.output
        assert "below the minimum of 1.0 MiB" in res.stderr and res.stdout == ""
    assert cli("cache", "stats", "--cache-size-limit", "1").exit_code == 2
    assert llm_env.requests == []  # refused before anything was sent
    assert cli("summarize", str(article), "--no-cache", "--cache-size-limit", "16KB", "--engine",
               "extractive").exit_code == 0  # fmt: skip
