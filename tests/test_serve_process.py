"""``summarizer serve`` as a real process: kill -9 mid-job then restart; SIGTERM drains."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion
from tests.conftest import ROOT, SENTINEL_KEY
from tests.routing import article_of, route

pytest.importorskip("uvicorn")
pytestmark = pytest.mark.slow


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(fake: FakeOpenAI, tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SUMMARIZER_BASE_URL=fake.url,
        SUMMARIZER_API_KEY=SENTINEL_KEY,
        SUMMARIZER_MODEL="fake-model",
        SUMMARIZER_CACHE_DIR=str(tmp_path / "cache"),
        SUMMARIZER_STATE_DIR=str(tmp_path / "state"),
    )
    code = "from summarizer.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / f"server-{port}-{time.time_ns()}.log", "wb"),  # noqa: SIM115
    )
    end = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            raise AssertionError("the server did not start")
        time.sleep(0.1)


def _items(seed_text: str, n: int) -> list[dict[str, Any]]:
    return [{"id": f"item-{i}", "text": seed_text, "title": f"Story {i}"} for i in range(n)]


def test_kill_9_mid_job_then_restart_finishes_each_item_once(
    fake: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    titles: list[str] = []
    lock = threading.Lock()

    def reply(body: dict[str, Any]) -> Reply:
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        with lock:
            titles.append(next(t for t in (f"Story {i}" for i in range(8)) if t in user))
        assert article_of(body)
        return Reply(200, completion(good_answer), delay=0.4)

    route(fake, reply)
    port = _port()
    server = _start(fake, tmp_path, port, "--max-inflight", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        r = httpx.post(f"{base}/v1/jobs", json={"items": _items(seed_text, 8)}, timeout=10)
        assert r.status_code == 202
        location = base + r.headers["location"]
        end = time.monotonic() + 60
        while httpx.get(location, timeout=5).json()["counts"]["done"] < 3:
            assert time.monotonic() < end
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
    import sqlite3

    db = sqlite3.connect(tmp_path / "state" / "jobs.sqlite3")
    records = [json.loads(line) for (line,) in db.execute("SELECT line FROM results")]
    db.close()
    done_before: set[str] = {
        str(r["id"]) for r in records if r["result"]["meta"]["cache_hit"] is False
    }
    assert len(done_before) >= 3
    sent_before = Counter(titles)

    server = _start(fake, tmp_path, port)
    try:
        end = time.monotonic() + 60
        while (state := httpx.get(location, timeout=5).json())["status"] != "completed":
            assert time.monotonic() < end, state
            time.sleep(0.05)
        lines = httpx.get(location + "/results", timeout=5).text.splitlines()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    ids = [json.loads(line)["id"] for line in lines]
    assert sorted(ids) == sorted(f"item-{i}" for i in range(8))  # every item exactly once
    assert (state["counts"]["done"], state["counts"]["failed"]) == (8, 0)
    sent = Counter(titles)
    for item in done_before:
        story = f"Story {item.removeprefix('item-')}"
        assert sent[story] == 1, (story, sent)  # answered before the kill: never sent again
    assert sum(sent_before.values()) < 8  # the restart did the rest
    assert sum(sent.values()) <= 8 + 2  # at most the two in flight at the kill went twice


def test_sigterm_drains_in_flight_requests(
    fake: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    route(fake, lambda body: Reply(200, completion(good_answer), delay=1.5))
    port = _port()
    server = _start(fake, tmp_path, port, "--grace", "20")
    got: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: got.append(
            httpx.post(
                f"http://127.0.0.1:{port}/v1/summaries", json={"text": seed_text}, timeout=30
            )
        )
    )
    try:
        worker.start()
        end = time.monotonic() + 20
        while not fake.requests:  # the model call is in flight
            assert time.monotonic() < end
            time.sleep(0.02)
        server.send_signal(signal.SIGTERM)
        worker.join(30)
        code = server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
    assert got and got[0].status_code == 200 and got[0].json()["tldr"] == good_answer["tldr"]
    assert code == 0


def _requests_total(text: str) -> float:
    prefix = 'summarizer_http_requests_total{method="POST",route="/v1/summaries",status="200"}'
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


def test_metrics_of_several_workers_are_summed(
    fake: FakeOpenAI, tmp_path: Path, seed_text: str
) -> None:
    """With --workers 2 any worker may answer /metrics: each answer counts every worker's
    requests, not only its own. Fresh connections spread the requests over both."""
    port = _port()
    proc = _start(fake, tmp_path, port, "--workers", "2", "--engine", "extractive")
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(20):
            with httpx.Client(timeout=30) as c:  # a new connection: either worker accepts it
                assert c.post(base + "/v1/summaries", json={"text": seed_text}).status_code == 200
        totals = []
        for _ in range(8):
            with httpx.Client(timeout=30) as c:
                totals.append(_requests_total(c.get(base + "/metrics").text))
        assert totals == [20.0] * 8
        shared = tmp_path / "state" / f"metrics-{port}"
        assert len({p.stem.rsplit("_", 1)[1] for p in shared.glob("counter_*.db")}) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
