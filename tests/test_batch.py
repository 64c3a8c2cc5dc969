"""Batch: concurrency, mixed outcomes, JSONL output, ordering, resume, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.api import Summarizer
from summarizer.batch import BatchItem, BatchOutcome, expand_inputs
from summarizer.cli import app
from summarizer.errors import EXIT_INTERRUPTED, EXIT_SOME_FAILED
from summarizer.testing import FunctionEngine
from summarizer.testing.fake_openai import FakeOpenAI, Reply, error_body
from tests.conftest import SENTINEL_KEY
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
    items.append(BatchItem("web", url="http://127.0.0.1:9/story"))  # fetched, and refused
    outcomes = list(s.summarize_many(items, concurrency=4))
    by_id = {o.id: o for o in outcomes}
    assert sorted(by_id) == sorted(["a0", "a1", "a2", "a3", "a4", "a5", "bad", "web"])
    assert by_id["a0"].status == "cached"
    assert all(by_id[f"a{i}"].status == "ok" for i in range(1, 6))
    assert by_id["bad"].status == "failed" and by_id["bad"].error_dict()["exit_code"] >= 2
    web = by_id["web"].to_record()["error"]
    assert web["type"] == "InputError" and web["exit_code"] == 3 and "loopback" in web["message"]
    ok = by_id["a1"].to_record()
    assert ok["result"]["meta"]["engine"] == "llm" and ok["result"]["tldr"] == good_answer["tldr"]
    assert len(llm_env.requests) == 1 + 5 + 1  # warm-up, five misses, the failing one


def test_concurrency_overlaps_requests(seed_text: str, good_answer: dict[str, Any]) -> None:
    """Counted, not timed: the engine sees exactly ``concurrency`` articles at once."""
    in_flight, peak = 0, 0

    async def slow(article: str, title: str | None) -> dict[str, Any]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return good_answer

    items = [(str(i), variant(seed_text, i)) for i in range(20)]
    s = Summarizer(engine_impl=FunctionEngine(slow), cache=False)
    outcomes = list(s.summarize_many(items, concurrency=8))
    assert all(o.status == "ok" for o in outcomes) and len(outcomes) == 20
    assert peak == 8
    peak = 0
    list(s.summarize_many(items[:5], concurrency=3))
    assert peak == 3


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
    missing = tmp_path / "more.jsonl"  # a missing file inside a list fails as its own line
    missing.write_text(json.dumps({"id": "gone", "path": "missing.txt"}) + "\n", "utf-8")
    return [str(folder), str(globbed / "*.txt"), str(listing), str(missing)]


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
    assert set(failed) == {"web", "failing", "gone"} | {
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


def test_cli_batch_missing_argument_fails_before_anything_runs(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer)
    real = tmp_path / "real.txt"
    real.write_text(seed_text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    typo, nomatch = str(tmp_path / "rael.txt"), str(tmp_path / "nothing" / "*.txt")
    res = CliRunner().invoke(app, ["batch", str(real), typo, nomatch, "-o", str(out)])
    assert res.exit_code == 3, res.output
    assert res.stderr.count("\n") == 1 and typo in res.stderr and nomatch in res.stderr
    assert str(real) not in res.stderr and "nothing was run" in res.stderr
    assert llm_env.requests == [] and not out.exists()


def test_cli_batch_ids_that_are_not_utf8_are_written_and_resumed(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    """A lone surrogate in an id (a JSON escape, or a file name that is not UTF-8) is
    written as a \\u escape instead of crashing the batch, and --resume reads it back."""
    serve(llm_env, good_answer)
    listing = tmp_path / "items.jsonl"
    rows = [json.dumps({"id": "odd-\ud800", "text": variant(seed_text, 1)})]
    rows.append(json.dumps({"id": "plain-é", "text": variant(seed_text, 2)}))
    listing.write_text("\n".join(rows) + "\n", encoding="utf-8")
    inputs = [str(listing)]
    if sys.platform.startswith("linux"):
        folder = tmp_path / "latin"
        folder.mkdir()
        name = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
        with open(name, "wb") as fh:
            fh.write(variant(seed_text, 3).encode("utf-8"))
        inputs.append(str(folder))
    out = tmp_path / "out.jsonl"
    base = ["batch", *inputs, "-o", str(out), "--no-cache", "--no-progress"]
    res = CliRunner().invoke(app, base)
    assert res.exit_code == 0, res.output
    recs = records(out.read_text(encoding="utf-8"))
    ids = {r["id"] for r in recs}
    assert "odd-\ud800" in ids and "plain-é" in ids and all("result" in r for r in recs)
    assert len(recs) == len(inputs) + 1 == len(llm_env.requests)
    res = CliRunner().invoke(app, [*base, "--resume"])
    assert res.exit_code == 0 and len(llm_env.requests) == len(recs)  # all skipped
    assert f"{len(recs)} skipped" in res.stderr


def test_cli_batch_duplicate_ids_are_kept_apart_and_resumed(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    serve(llm_env, good_answer)
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(variant(seed_text, 0), encoding="utf-8")
    listing = tmp_path / "items.jsonl"
    rows = [{"id": "x", "text": variant(seed_text, i)} for i in (1, 2, 3)]
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    # one earlier, interrupted run finished the first "x" only
    out.write_text(json.dumps({"id": "x", "result": {}}) + "\n", encoding="utf-8")
    args = ["batch", str(folder), str(folder / "*.txt"), str(listing), "-o", str(out)]
    res = CliRunner().invoke(app, [*args, "--no-cache", "--no-progress", "--resume"])
    assert res.exit_code == 0, res.output
    ids = [r["id"] for r in records(out.read_text(encoding="utf-8"))]
    assert sorted(ids) == sorted(["x", "x#2", "x#3", str(folder / "a.txt")])
    assert len(llm_env.requests) == 3  # a.txt once (listed twice), x#2, x#3
    assert "[3/3]" in res.stderr and "1 skipped" in res.stderr
    assert "renamed x#2" in res.stderr and "listed twice" in res.stderr
    # nothing left to run: the notes are still given
    res = CliRunner().invoke(app, [*args, "--no-cache", "--no-progress", "--resume"])
    assert res.exit_code == 0 and len(llm_env.requests) == 3 and "4 skipped" in res.stderr
    assert "renamed x#2" in res.stderr and "listed twice" in res.stderr


def test_batch_error_lines_never_carry_the_key(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    """A model that echoes the key into a quote fails validation; the error line says so
    without the key (the same holds for any message a server or library produced)."""
    bad = json.loads(json.dumps(good_answer))
    bad["stances"][0]["evidence"] = [f"my key is {SENTINEL_KEY}"]
    route(llm_env, lambda body: answer(bad))
    listing = tmp_path / "items.jsonl"
    listing.write_text(json.dumps({"id": "k", "text": seed_text}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    flags = ["--max-retries", "0", "--no-progress", "--strict"]  # strict: the answer fails
    res = CliRunner().invoke(app, ["batch", str(listing), "-o", str(out), *flags])
    assert res.exit_code == EXIT_SOME_FAILED
    (rec,) = records(out.read_text(encoding="utf-8"))
    assert rec["error"]["type"] == "ValidationFailed" and "***" in rec["error"]["message"]
    for text in (out.read_text(encoding="utf-8"), res.stdout, res.stderr):
        assert SENTINEL_KEY not in text and "SENTINEL-0123456789" not in text
    outcome = BatchOutcome(0, "x", error=RuntimeError(f"boom {SENTINEL_KEY}"))
    outcome.scrub = Summarizer().scrub
    assert SENTINEL_KEY not in json.dumps(outcome.to_record())


def test_jsonl_lists_decode_line_by_line(tmp_path: Path, seed_text: str) -> None:
    """A BOM is fine; one line that is not UTF-8 fails alone instead of the whole list."""
    listing = tmp_path / "items.jsonl"
    good = json.dumps({"id": "a", "text": seed_text}).encode("utf-8")
    listing.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + b'{"id": "b", "text": "caf\xe9"}\n' + good)
    items = list(expand_inputs([str(listing)]))
    assert [i.id for i in items] == ["a", f"{listing}:2", "a"]
    assert items[0].error is None and items[2].error is None
    assert items[1].error is not None and "not UTF-8" in str(items[1].error)


def test_cli_batch_reads_a_list_with_a_bom_from_stdin(tmp_path: Path, seed_text: str) -> None:
    data = "\ufeff" + json.dumps({"id": "s1", "text": seed_text}) + "\n"
    res = CliRunner().invoke(
        app, ["batch", "-", "--engine", "extractive", "--no-progress"], input=data.encode("utf-8")
    )
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in records(res.stdout)] == ["s1"]


def test_cli_batch_reports_a_legacy_encoding(tmp_path: Path, seed_text: str) -> None:
    path = tmp_path / "cp1252.txt"
    path.write_bytes(seed_text.replace("\u201c", "\u2018").encode("cp1252", "replace"))
    res = CliRunner().invoke(app, ["batch", str(path), "--engine", "extractive", "--no-progress"])
    assert res.exit_code == 0, res.output
    (rec,) = records(res.stdout)
    assert any("Windows-1252" in w for w in rec["result"]["meta"]["warnings"])
    assert "warning" in res.stderr and "Windows-1252" in res.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and SIGINT")
def test_a_fifo_fails_alone_and_ctrl_c_stays_prompt_while_stdin_blocks(
    tmp_path: Path, seed_text: str
) -> None:
    """A FIFO among the inputs is an error line, not a hang; with the next list line
    still unwritten (a reader blocked on stdin), Ctrl-C exits 130 at once, with every
    finished result written."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(variant(seed_text, 1), encoding="utf-8")
    os.mkfifo(folder / "b.txt")  # nobody ever writes to it
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-c", "from summarizer.cli import main; main()", "batch",
           str(folder), "-", "-o", str(out), "--engine", "extractive", "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"id": "s1", "text": variant(seed_text, 2)}) + "\n")
        proc.stdin.flush()  # and keep stdin open: the next line never comes
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            out.exists() and out.read_text(encoding="utf-8").count("\n") >= 3
        ):
            time.sleep(0.05)
        assert out.exists() and out.read_text(encoding="utf-8").count("\n") == 3
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "interrupted after 3 article(s)" in stderr and "Fatal Python error" not in stderr
    recs = {r["id"]: r for r in records(out.read_text(encoding="utf-8"))}
    assert set(recs) == {str(folder / "a.txt"), str(folder / "b.txt"), "s1"}
    fifo = recs[str(folder / "b.txt")]["error"]
    assert (
        fifo["exit_code"] == 3 and "is a named pipe (FIFO), not an article file" in fifo["message"]
    )
    assert "result" in recs["s1"] and "result" in recs[str(folder / "a.txt")]


def test_ready_outcomes_are_yielded_while_the_next_item_is_still_being_read(
    seed_text: str,
) -> None:
    """Items come from a source that blocks (a pipe): what is done is yielded meanwhile."""
    blocked, release, resumed = threading.Event(), threading.Event(), threading.Event()

    def slow_source() -> Iterator[tuple[str, str]]:
        yield "a", variant(seed_text, 1)
        yield "b", variant(seed_text, 2)
        blocked.set()
        release.wait(timeout=10)  # a reader waiting for the next line
        resumed.set()
        yield "c", variant(seed_text, 3)

    seen: list[tuple[str, bool]] = []
    for outcome in Summarizer(engine="extractive").summarize_many(slow_source(), concurrency=4):
        seen.append((outcome.id, resumed.is_set()))
        if len(seen) == 2:
            assert blocked.is_set()
            release.set()
    assert sorted(seen[:2]) == [("a", False), ("b", False)]  # while the source was blocked
    assert seen[2] == ("c", True)


def test_resume_cuts_a_partial_last_line_without_reading_the_file_whole(tmp_path: Path) -> None:
    import tracemalloc

    from summarizer.batch.output import done_ids

    out = tmp_path / "out.jsonl"
    with out.open("wb") as fh:
        fh.write(json.dumps({"id": "n0", "result": {}}).encode() + b"\n")
        fh.write(b'{"id": "n1", "result": {"tldr": "' + b"x" * 30_000_000)  # killed mid-line
    tracemalloc.start()
    try:
        ids = done_ids(out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ids == {"n0"} and out.read_bytes().endswith(b"}\n")
    assert peak < 5_000_000, f"peak {peak:,} bytes: the output file was read whole"


def test_the_batch_loop_does_not_wait_for_a_stuck_engine_thread_at_exit() -> None:
    """`asyncio.run` joins its default executor's threads on the way out; with
    DaemonThreads (what `summarizer batch` installs) a call still running (the extractive
    engine on a huge article) is abandoned, so Ctrl-C exits at once."""
    from summarizer.batch.scheduler import DaemonThreads

    release = threading.Event()
    workers: list[threading.Thread] = []

    def engine() -> None:
        workers.append(threading.current_thread())
        release.wait(30)

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(DaemonThreads())
        stuck = asyncio.ensure_future(asyncio.to_thread(engine))
        while not workers:
            await asyncio.sleep(0.01)
        stuck.cancel()  # what Ctrl-C does to the batch's tasks

    try:
        asyncio.run(main())
        (worker,) = workers
        assert worker.is_alive() and worker.daemon  # not joined: asyncio.run did not wait
    finally:
        release.set()
