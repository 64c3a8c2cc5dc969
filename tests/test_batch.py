"""Batch: concurrency, mixed outcomes, JSONL output, ordering, resume, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.batch import BatchItem, expand_inputs
from summarizer.cli import app
from summarizer.core import Summarizer
from summarizer.errors import EXIT_INTERRUPTED, EXIT_SOME_FAILED
from tests.fakeserver import FakeOpenAI, Reply, error_body
from tests.routing import answer, article_of, route

ROOT = Path(__file__).resolve().parent.parent


def variant(seed: str, i: int) -> str:
    return f"{seed.strip()}\n\nThis is copy number {i} of the report."


def serve(fake: FakeOpenAI, good: dict[str, Any], delay: Any = 0.0) -> None:
    """Answer every article with the seed answer; 'FAIL-ME' articles get an HTTP 400."""

    def handler(body: dict[str, Any]) -> Reply:
        text = article_of(body)
        if "FAIL-ME" in text:
            return Reply(400, error_body("the fake model refuses this one"))
        wait = delay(text) if callable(delay) else delay
        return answer(good, delay=wait)

    route(fake, handler)


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_summarize_many_mixed_success_failure_cached(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer, delay=0.05)
    s = Summarizer()
    s.summarize(variant(seed_text, 0))  # warm the cache for item a0
    items: list[Any] = [(f"a{i}", variant(seed_text, i)) for i in range(6)]
    items.append(("bad", variant(seed_text, 99) + " FAIL-ME"))
    items.append(BatchItem("web", url="https://example.com/story"))
    outcomes = list(s.summarize_many(items, concurrency=4))
    by_id = {o.id: o for o in outcomes}
    assert sorted(by_id) == sorted(["a0", "a1", "a2", "a3", "a4", "a5", "bad", "web"])
    assert by_id["a0"].status == "cached"
    assert all(by_id[f"a{i}"].status == "ok" for i in range(1, 6))
    assert by_id["bad"].status == "failed" and by_id["bad"].error_dict()["exit_code"] >= 2
    web = by_id["web"].to_record()["error"]
    assert web["type"] == "InputError" and web["exit_code"] == 3 and "network" in web["message"]
    ok = by_id["a1"].to_record()
    assert ok["result"]["meta"]["engine"] == "llm" and ok["result"]["tldr"] == good_answer["tldr"]
    assert len(llm_env.requests) == 1 + 5 + 1  # warm-up, five misses, the failing one


def test_concurrency_overlaps_requests(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer, delay=0.3)
    items = [(str(i), variant(seed_text, i)) for i in range(8)]
    s = Summarizer(cache=False)
    list(s.summarize_many([variant(seed_text, 99)]))  # first call: imports and warm-up
    started = time.perf_counter()
    outcomes = list(s.summarize_many(items, concurrency=8))
    elapsed = time.perf_counter() - started
    assert all(o.status == "ok" for o in outcomes)
    assert elapsed < 8 * 0.3 / 2, f"8 requests of 0.3 s took {elapsed:.2f}s: not concurrent"


def test_completion_order_and_input_order(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    # item 0 is the slowest: completion order puts it last, ordered=True keeps it first
    serve(llm_env, good_answer, delay=lambda text: 0.4 if "number 0 " in text else 0.02)
    items = [(str(i), variant(seed_text, i)) for i in range(6)]
    s = Summarizer(cache=False)
    unordered = [o.id for o in s.summarize_many(items, concurrency=3)]
    assert unordered[-1] == "0" and sorted(unordered) == [str(i) for i in range(6)]
    ordered = [o.id for o in s.summarize_many(items, concurrency=3, ordered=True)]
    assert ordered == [str(i) for i in range(6)]
    indexes = [o.index for o in s.summarize_many(items, concurrency=3)]
    assert sorted(indexes) == list(range(6))


def test_async_form(llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]) -> None:
    serve(llm_env, good_answer)

    async def collect() -> list[str]:
        s = Summarizer(cache=False)
        return [o.id async for o in s.asummarize_many([variant(seed_text, i) for i in range(3)])]

    assert sorted(asyncio.run(collect())) == ["0", "1", "2"]


def _inputs(tmp_path: Path, seed_text: str) -> list[str]:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for i in range(3):
        (folder / f"d{i}.txt").write_text(variant(seed_text, i), encoding="utf-8")
    (folder / "sub" / "d3.txt").write_text(variant(seed_text, 3), encoding="utf-8")
    (folder / "notes.json").write_text("{}", encoding="utf-8")  # not an article suffix
    globbed = tmp_path / "g"
    globbed.mkdir()
    for i in (4, 5):
        (globbed / f"g{i}.txt").write_text(variant(seed_text, i), encoding="utf-8")
    listing = tmp_path / "list.jsonl"
    lines = [
        json.dumps({"id": "inline", "text": variant(seed_text, 6)}),
        json.dumps({"id": "rel", "path": "in/d0.txt"}),
        json.dumps({"id": "web", "url": "https://example.com/a"}),
        "{not json",
        json.dumps({"id": "failing", "text": variant(seed_text, 7) + " FAIL-ME"}),
        "",
    ]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [str(folder), str(globbed / "*.txt"), str(listing), str(tmp_path / "missing.txt")]


def test_expand_inputs_is_lazy_and_complete(tmp_path: Path, seed_text: str) -> None:
    items = list(expand_inputs(_inputs(tmp_path, seed_text)))
    ids = [i.id for i in items]
    assert len(ids) == 4 + 2 + 5 + 1
    assert ids[3].endswith(os.path.join("sub", "d3.txt"))
    assert "inline" in ids and "web" in ids and any(i.endswith("list.jsonl:4") for i in ids)
    rel = next(i for i in items if i.id == "rel")
    assert rel.path is not None and Path(rel.path).is_file()


def test_cli_batch_writes_one_valid_line_per_article(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer)
    out = tmp_path / "out.jsonl"
    args = ["batch", *_inputs(tmp_path, seed_text), "-o", str(out), "-j", "4", "--no-progress"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == EXIT_SOME_FAILED, res.output
    recs = records(out.read_text(encoding="utf-8"))
    assert len(recs) == 12 and len({r["id"] for r in recs}) == 12
    failed = {r["id"]: r["error"] for r in recs if "error" in r}
    assert set(failed) == {"web", "failing", str(tmp_path / "missing.txt")} | {
        r["id"] for r in recs if r["id"].endswith(":4")
    }
    assert all(set(e) == {"type", "message", "exit_code"} for e in failed.values())
    ok = [r for r in recs if "result" in r]
    assert all(r["result"]["meta"]["chunks"] == 1 for r in ok)
    assert "8 ok" in res.stderr and "4 failed" in res.stderr
    assert "[12/12]" in res.stderr  # plain progress lines when stderr is not a tty


def test_cli_batch_resume_and_retry_failed(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer)
    listing = tmp_path / "items.jsonl"
    rows = [{"id": f"n{i}", "text": variant(seed_text, i)} for i in range(5)]
    rows.append({"id": "flaky", "text": variant(seed_text, 9) + " FAIL-ME"})
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "n0", "result": {}}) + "\n" + '{"id": "n1", "res', "utf-8")
    base = ["batch", str(listing), "-o", str(out), "--no-cache", "--no-progress"]
    res = CliRunner().invoke(app, [*base, "--resume"])
    assert res.exit_code == EXIT_SOME_FAILED
    recs = records(out.read_text(encoding="utf-8"))  # the cut-short line was dropped
    assert sorted(r["id"] for r in recs) == ["flaky", "n0", "n1", "n2", "n3", "n4"]
    assert len(llm_env.requests) == 5 and "1 skipped" in res.stderr
    res = CliRunner().invoke(app, [*base, "--resume"])
    assert res.exit_code == 0 and len(llm_env.requests) == 5  # nothing left to do
    # --retry-failed runs the failed id again (now succeeding) and keeps one line per id
    rows[-1]["text"] = variant(seed_text, 9)
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    res = CliRunner().invoke(app, [*base, "--retry-failed"])
    assert res.exit_code == 0, res.stderr
    recs = records(out.read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in recs) == ["flaky", "n0", "n1", "n2", "n3", "n4"]
    assert all("result" in r for r in recs)


def test_cli_batch_ordered_to_stdout(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer, delay=lambda text: 0.3 if "number 0 " in text else 0.0)
    files = []
    for i in range(5):
        f = tmp_path / f"{i}.txt"
        f.write_text(variant(seed_text, i), encoding="utf-8")
        files.append(str(f))
    res = CliRunner().invoke(app, ["batch", *files, "--ordered", "-j", "3", "--no-progress"])
    assert res.exit_code == 0, res.stderr
    assert [r["id"] for r in records(res.stdout)] == files


def test_cli_batch_resume_needs_output() -> None:
    res = CliRunner().invoke(app, ["batch", "x.txt", "--resume", "--engine", "extractive"])
    assert res.exit_code == 2 and "--output" in res.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_ctrl_c_leaves_valid_jsonl_and_resume_finishes(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer, delay=0.25)
    listing = tmp_path / "items.jsonl"
    n = 40
    rows = [{"id": f"n{i}", "text": variant(seed_text, i)} for i in range(n)]
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-c", "from summarizer.cli import main; main()", "batch",
           str(listing), "-o", str(out), "-j", "4", "--no-cache"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if out.exists() and out.read_text(encoding="utf-8").count("\n") >= 6:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "interrupted" in stderr
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n")
    first = records(text)  # every line parses
    assert 6 <= len(first) < n
    res = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    ids = [r["id"] for r in records(out.read_text(encoding="utf-8"))]
    assert sorted(ids) == sorted(r["id"] for r in rows)
