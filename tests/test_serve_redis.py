"""The shared cache in Redis: same keys and envelopes as the directory, shared by replicas."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer.api import Summarizer
from summarizer.cache import ResultCache
from summarizer.testing.fake_openai import FakeOpenAI, completion

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS is None, reason="redis-server is not installed (apt-get install redis-server)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("redis")
    port = _free_port()
    assert REDIS is not None
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        end = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > end or proc.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_replicas_share_one_cache(
    redis_url: str,
    llm_env: FakeOpenAI,
    tmp_path: Path,
    seed_text: str,
    good_answer: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import redis

    monkeypatch.setenv("SUMMARIZER_CACHE_URL", redis_url)
    llm_env.push(completion(good_answer))
    one = Summarizer(cache_dir=str(tmp_path / "a"))
    first = one.summarize(seed_text)
    one.close()
    two = Summarizer(cache_dir=str(tmp_path / "b"))  # another replica, another disk
    second = two.summarize(seed_text)
    two.close()
    assert not first.meta.cache_hit and second.meta.cache_hit
    assert len(llm_env.requests) == 1
    assert second.to_dict()["stances"] == first.to_dict()["stances"]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()

    # the same key and the same envelope as the diskcache backend
    client = redis.Redis.from_url(redis_url)
    (key,) = [k.decode() for k in client.scan_iter(match="[0-9a-f]" * 64)]
    raw = client.get(key)
    assert isinstance(raw, (bytes, str))
    entry = json.loads(raw)
    disk = ResultCache(tmp_path / "disk", 10**8, url="")
    assert disk.put(key, {"summary": entry["summary"], "meta": entry["meta"]})
    on_disk = disk.get(key)
    disk.close()
    assert on_disk is not None
    assert set(entry) == set(on_disk) and entry["key"] == on_disk["key"] == key
    assert entry["v"] == on_disk["v"] and entry["summary"] == on_disk["summary"]

    shared = ResultCache(tmp_path, 10**8, url=redis_url)
    stats = shared.stats()
    assert (stats["entries"], stats["hits"], stats["path"]) == (1, 1, redis_url)
    assert shared.clear() == 1 and shared.stats()["entries"] == 0
    shared.close()


def test_damaged_entry_is_a_miss(redis_url: str, tmp_path: Path) -> None:
    import redis

    cache = ResultCache(tmp_path, 10**8, url=redis_url)
    key = "ab" * 32
    redis.Redis.from_url(redis_url).set(key, b'{"v": 2, "key": "other"}')
    assert cache.get(key) is None
    assert redis.Redis.from_url(redis_url).get(key) is None  # discarded
    cache.close()


def test_unreachable_redis_runs_uncached(
    llm_env: FakeOpenAI,
    seed_text: str,
    good_answer: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUMMARIZER_CACHE_URL", f"redis://127.0.0.1:{_free_port()}/0")
    llm_env.push(completion(good_answer), completion(good_answer))
    with Summarizer() as s:
        assert not s.summarize(seed_text).meta.cache_hit
        assert not s.summarize(seed_text).meta.cache_hit
    assert len(llm_env.requests) == 2


def test_two_servers_share_redis(
    redis_url: str,
    llm_env: FakeOpenAI,
    tmp_path: Path,
    seed_text: str,
    good_answer: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.serving import client

    monkeypatch.setenv("SUMMARIZER_CACHE_URL", redis_url)
    llm_env.push(completion(good_answer))
    with client(tmp_path / "one") as a, client(tmp_path / "two") as b:
        assert a.get("/readyz").json()["cache"] == "redis"
        first = a.post("/v1/summaries", json={"text": seed_text}).json()
        second = b.post("/v1/summaries", json={"text": seed_text}).json()
    assert not first["meta"]["cache_hit"] and second["meta"]["cache_hit"]
    assert len(llm_env.requests) == 1
