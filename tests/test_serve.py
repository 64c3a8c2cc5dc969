"""The HTTP service in-process: contract, bad input, keys, limits, jobs, metrics, secrets."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from summarizer.cli import app as cli_app
from summarizer.errors import EXIT_CODES, SummarizerError
from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion, error_body
from tests.conftest import SENTINEL_KEY
from tests.serving import SERVER_KEY, auth, client

pytest.importorskip("fastapi")
EXTRACTIVE = {"engine": "extractive"}


class _Collect(logging.Handler):
    """Keeps every record it handles, rendered by ``render``."""

    def __init__(self, into: list[str], render: Callable[[logging.LogRecord], str]) -> None:
        super().__init__()
        self.into, self.render = into, render

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.render(record))


def _strip_latency(data: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    data["meta"].pop("latency_ms")
    return data


def _wait(predicate: Any, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def _finished(c: TestClient, location: str, headers: dict[str, str] | None = None) -> Any:
    _wait(lambda: c.get(location, headers=headers).json()["status"] in ("completed", "cancelled"))
    return c.get(location, headers=headers).json()


@pytest.fixture
def ex(tmp_path: Path) -> Iterator[TestClient]:
    with client(tmp_path, flags=EXTRACTIVE) as c:
        yield c


# -- the contract ----------------------------------------------------------------------
def test_summary_is_what_the_cli_prints(ex: TestClient, seed_path: Path, seed_text: str) -> None:
    cli = CliRunner().invoke(cli_app, ["summarize", str(seed_path), "--engine", "extractive"])
    assert cli.exit_code == 0, cli.output
    r = ex.post("/v1/summaries", json={"text": seed_text})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert _strip_latency(r.json()) == _strip_latency(json.loads(cli.stdout))


def test_llm_summary_and_options(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer), completion(good_answer))
    with client(tmp_path) as c:
        r = c.post("/v1/summaries", json={"text": seed_text, "title": "T"})
        assert r.status_code == 200, r.text
        assert r.json()["meta"]["engine"] == "llm" and r.json()["tldr"] == good_answer["tldr"]
        again = c.post("/v1/summaries", json={"text": seed_text, "title": "T"})
        assert again.json()["meta"]["cache_hit"] is True
        opts = {"temperature": 0.5, "max_tokens": 300, "model": "other-model", "cache": False}
        r = c.post("/v1/summaries", json={"text": seed_text, "options": opts})
        assert r.status_code == 200, r.text
    sent = llm_env.requests[-1].body
    assert (sent["temperature"], sent["max_tokens"], sent["model"]) == (0.5, 300, "other-model")
    assert len(llm_env.requests) == 2  # the second call was a cache hit


def test_html_input(ex: TestClient, seed_text: str) -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in seed_text.split("\n\n"))
    html = f"<html><head><title>T</title></head><body><article>{paragraphs}</article></body></html>"
    r = ex.post("/v1/summaries", json={"html": html})
    assert r.status_code == 200, r.text
    assert "North Korea" in r.json()["summary"]


def test_schema_health_ready_and_root(ex: TestClient) -> None:
    from summarizer.schema import schema_json

    assert ex.get("/v1/schema").json() == json.loads(schema_json())
    assert ex.get("/healthz").json() == {"status": "ok"}
    ready = ex.get("/readyz")
    assert ready.status_code == 200 and ready.json()["engine"] == "extractive"
    assert ex.get("/").headers["content-type"].startswith("text/html")  # the web page
    assert "/v1/jobs" in ex.get("/openapi.json").json()["paths"]
    assert ex.get("/docs").status_code == 200


def test_readyz_fails_when_the_cache_is_unusable(
    llm_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(blocker / "cache"))
    with client(tmp_path) as c:
        r = c.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "not ready"


# -- 1. keys -----------------------------------------------------------------------------
def test_keys_required_on_v1(tmp_path: Path, seed_text: str) -> None:
    with client(tmp_path, keys=(SERVER_KEY,), flags=EXTRACTIVE) as c:
        for headers in ({}, auth("wrong-token-0123456789abcdef"), {"Authorization": SERVER_KEY}):
            r = c.post("/v1/summaries", json={"text": seed_text}, headers=headers)
            assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
            assert r.headers["content-type"] == "application/problem+json"
            assert c.get("/v1/jobs/x", headers=headers).status_code == 401
        assert c.post("/v1/summaries", json={"text": seed_text}, headers=auth()).status_code == 200
        assert c.get("/healthz").status_code == 200  # operational endpoints stay open


def test_keys_file_and_env(tmp_path: Path) -> None:
    from summarizer.errors import ConfigError
    from summarizer.serve.auth import load_keys, matches

    f = tmp_path / "keys"
    f.write_text("# ops\nfile-key-0123456789abcdef\n\n", encoding="utf-8")
    keys = load_keys(
        {"SUMMARIZER_SERVER_KEYS": f"{SERVER_KEY}, ", "SUMMARIZER_SERVER_KEYS_FILE": str(f)}
    )
    assert [k.get_secret_value() for k in keys] == [SERVER_KEY, "file-key-0123456789abcdef"]
    assert matches("file-key-0123456789abcdef", keys) and not matches("file-key", keys)
    assert SERVER_KEY not in repr(keys)
    with pytest.raises(ConfigError):
        load_keys({"SUMMARIZER_SERVER_KEYS": "short"})


def test_non_loopback_without_keys_is_refused() -> None:
    from summarizer.cli import serve as serve_cli
    from summarizer.serve.config import ServeOptions

    r = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--engine", "extractive"])
    assert r.exit_code == 2 and "--no-auth" in r.output
    started: list[Any] = []

    class Stop(Exception):
        pass

    def fake_config(*args: Any, **kw: Any) -> Any:
        started.append(kw)
        raise Stop

    import uvicorn

    mp = pytest.MonkeyPatch()
    mp.setattr(uvicorn, "Config", fake_config)
    records: list[str] = []
    handler = _Collect(records, lambda rec: rec.getMessage())
    logging.getLogger("summarizer.serve").addHandler(handler)
    try:
        with pytest.raises(Stop):
            serve_cli.run_server(ServeOptions(host="0.0.0.0", no_auth=True))
    finally:
        mp.undo()
        logging.getLogger("summarizer.serve").removeHandler(handler)
    assert started and started[0]["host"] == "0.0.0.0"
    assert any("--no-auth" in m for m in records)


def test_without_the_extra_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a)
    )
    r = CliRunner().invoke(cli_app, ["serve"])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "summarizer: error: serving needs the extra: pip install 'summarizer[serve]'"
    ]


# -- 2. bad input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 422, "JSON"),
        (b'{"text": 5}', 422, "string"),
        (b'{"text": "a b c d e f", "html": "<p>x</p>"}', 422, "exactly one"),
        (b'{"title": "x"}', 422, "exactly one"),
        (b'{"text": "short"}', 422, "no article text"),
        (b'{"text": "a b c d e f g", "options": {"api_key": "x"}}', 422, "Extra inputs"),
        (b'{"text": "a b c d e f g", "options": {"base_url": "http://x"}}', 422, "Extra"),
        (b'{"text": "a b c d e f g", "options": {"engine": "llm"}}', 422, "no model endpoint"),
        (b'{"text": "a b c d e f g", "options": {"temperature": 9}}', 422, "temperature"),
        (b'{"text": "\\ud800 a b c d e f"}', 422, "Unicode"),
        (b"[1, 2]", 422, "object"),
    ],
)
def test_bad_input_is_a_problem(ex: TestClient, body: bytes, status: int, needle: str) -> None:
    r = ex.post("/v1/summaries", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["status"] == status and needle.lower() in problem["detail"].lower()
    assert {"type", "title", "detail", "error", "exit_code"} <= set(problem)


def test_library_error_keeps_its_class_and_exit_code(ex: TestClient) -> None:
    r = ex.post("/v1/summaries", json={"text": "only three words"})
    assert r.json()["error"] == "InputError" and r.json()["exit_code"] == 3


def test_every_error_class_has_an_http_status() -> None:
    for cls in EXIT_CODES:
        assert issubclass(cls, SummarizerError) and 400 <= cls.http_status <= 599


def test_provider_errors_map_to_statuses(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, bad_answer: dict[str, Any]
) -> None:
    llm_env.push(Reply(401, error_body("Incorrect API key provided", code="invalid_api_key")))
    llm_env.push(Reply(404, error_body("The model `nope` does not exist", code="model_not_found")))
    llm_env.push(*[completion(bad_answer)] * 3)
    with client(tmp_path) as c:
        r = c.post("/v1/summaries", json={"text": seed_text})
        assert (r.status_code, r.json()["error"], r.json()["exit_code"]) == (
            502, "AuthenticationError", 5,
        )  # fmt: skip
        r = c.post("/v1/summaries", json={"text": seed_text, "options": {"model": "nope"}})
        assert (r.status_code, r.json()["error"]) == (422, "ModelNotFoundError")
        strict = {"max_retries": 2, "strict": True}  # else the failing stance is dropped
        r = c.post("/v1/summaries", json={"text": seed_text, "options": strict})
        assert (r.status_code, r.json()["error"], r.json()["exit_code"]) == (
            502, "ValidationFailed", 10,
        )  # fmt: skip


def test_body_over_the_limit_is_413(tmp_path: Path, seed_text: str) -> None:
    with client(tmp_path, flags=EXTRACTIVE, max_body=2000) as c:
        r = c.post("/v1/summaries", json={"text": seed_text})
        assert r.status_code == 413 and "2,000 byte limit" in r.json()["detail"]
        chunks = (seed_text[i : i + 500].encode() for i in range(0, len(seed_text), 500))
        r = c.post("/v1/summaries", content=chunks, headers={"content-type": "application/json"})
        assert r.status_code == 413  # streamed, no Content-Length
        assert c.post("/v1/summaries", json={"text": seed_text[:1500]}).status_code == 200


# -- 4. load -----------------------------------------------------------------------------
def test_overload_is_503_with_retry_after(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    llm_env.push(Reply(200, completion(good_answer), delay=1.5))
    with client(tmp_path, max_inflight=1, max_queue=0) as c:
        pool = c.app.state.server.pool  # type: ignore[attr-defined]
        first: list[int] = []
        worker = threading.Thread(
            target=lambda: first.append(
                c.post("/v1/summaries", json={"text": seed_text}).status_code
            )
        )
        worker.start()
        _wait(lambda: pool.inflight == 1)
        r = c.post("/v1/summaries", json={"text": seed_text + " More."})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        worker.join()
        assert first == [200]
        assert (
            'summarizer_http_requests_total{method="POST",route="/v1/summaries",status="503"} 1.0'
            in (c.get("/metrics").text)
        )


def test_rate_limit_per_key_is_429(tmp_path: Path, seed_text: str) -> None:
    now = [1000.0]
    other = "other-key-0123456789abcdef"
    with client(
        tmp_path, keys=(SERVER_KEY, other), clock=lambda: now[0], rate_limit=2, flags=EXTRACTIVE
    ) as c:
        body = {"text": seed_text}
        codes = [c.post("/v1/summaries", json=body, headers=auth()).status_code for _ in range(2)]
        assert codes == [200, 200]
        r = c.post("/v1/summaries", json=body, headers=auth())
        assert r.status_code == 429 and r.headers["retry-after"] == "30"
        assert c.post("/v1/summaries", json=body, headers=auth(other)).status_code == 200
        now[0] += 30
        assert c.post("/v1/summaries", json=body, headers=auth()).status_code == 200


def test_model_calls_share_one_pool(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    from tests.routing import route

    seen: list[int] = []
    with client(tmp_path, max_inflight=2, max_queue=50, flags={"cache": False}) as c:
        pool = c.app.state.server.pool  # type: ignore[attr-defined]

        def reply(body: dict[str, Any]) -> Reply:
            seen.append(pool.inflight)
            return Reply(200, completion(good_answer), delay=0.2)

        route(llm_env, reply)
        job = c.post(
            "/v1/jobs", json={"items": [{"id": str(i), "text": seed_text} for i in range(4)]}
        )
        threads = [
            threading.Thread(target=lambda: c.post("/v1/summaries", json={"text": seed_text}))
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _finished(c, job.headers["location"])
    assert len(seen) == 7 and max(seen) <= 2 and max(seen) == 2


# -- jobs --------------------------------------------------------------------------------
def test_job_lines_are_what_batch_writes(ex: TestClient, tmp_path: Path, seed_text: str) -> None:
    items = [
        {"id": "a", "text": seed_text},
        {"id": "b", "text": "too short"},
        {"id": "a", "text": seed_text, "title": "T"},
    ]
    listing = tmp_path / "list.jsonl"
    listing.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    cli = CliRunner().invoke(
        cli_app, ["batch", str(listing), "-o", str(out), "--engine", "extractive", "--ordered"]
    )
    assert cli.exit_code == 13, cli.output
    expected = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}

    r = ex.post("/v1/jobs", json={"items": items})
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running")
    assert r.headers["location"] == f"/v1/jobs/{r.json()['id']}"
    done = _finished(ex, r.headers["location"])
    assert done["status"] == "completed"
    assert done["counts"] == {"done": 3, "cached": 0, "failed": 1, "total": 3}
    lines = ex.get(r.headers["location"] + "/results").text.splitlines()
    got = {rec["id"]: rec for rec in map(json.loads, lines)}
    assert set(got) == set(expected) == {"a", "b", "a#2"}
    for key in got:
        if "result" in got[key]:
            got[key]["result"]["meta"].pop("latency_ms")
            expected[key]["result"]["meta"].pop("latency_ms")
    assert got == expected
    rest = ex.get(r.headers["location"] + "/results", params={"after": 2})
    assert rest.text.splitlines() == lines[2:] and rest.headers["x-next-after"] == "3"


def test_job_as_ndjson(ex: TestClient, seed_text: str) -> None:
    body = (
        "\ufeff"
        + json.dumps({"id": 1, "text": seed_text})
        + "\n\n"
        + json.dumps({"id": "x", "text": seed_text})
        + "\n"
    )
    r = ex.post("/v1/jobs", content=body.encode(), headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 202, r.text
    done = _finished(ex, r.headers["location"])
    assert done["counts"]["done"] == 2
    bad = ex.post(
        "/v1/jobs",
        content=b'{"id": "x", "text": 1}\n',
        headers={"content-type": "application/x-ndjson"},
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("line 1.text")


def test_a_key_sees_only_its_own_jobs(tmp_path: Path, seed_text: str) -> None:
    other = "other-key-0123456789abcdef"
    with client(tmp_path, keys=(SERVER_KEY, other), flags=EXTRACTIVE) as c:
        r = c.post("/v1/jobs", json={"items": [{"id": "a", "text": seed_text}]}, headers=auth())
        assert r.status_code == 202, r.text
        location = r.headers["location"]
        done = _finished(c, location, auth())
        assert done["counts"]["done"] == 1
        for path in ("", "/results", "/events", "/reviews/1"):
            assert c.get(location + path, headers=auth(other)).status_code == 404, path
        assert c.delete(location, headers=auth(other)).status_code == 404
        assert c.get(location + "/results", headers=auth()).text.count("\n") == 1
        assert c.get(location + "/reviews/1", headers=auth()).status_code == 200


def test_a_key_lists_its_own_jobs_newest_first_in_pages(tmp_path: Path, seed_text: str) -> None:
    other = "other-key-0123456789abcdef"
    with client(tmp_path, keys=(SERVER_KEY, other), flags=EXTRACTIVE) as c:
        body = {"items": [{"id": "a", "text": seed_text}]}
        mine = [c.post("/v1/jobs", json=body, headers=auth()).json()["id"] for _ in range(3)]
        theirs = c.post("/v1/jobs", json=body, headers=auth(other)).json()["id"]
        first = c.get("/v1/jobs", params={"limit": 2}, headers=auth()).json()
        assert [j["id"] for j in first["jobs"]] == mine[::-1][:2]
        assert first["next_before"] == first["jobs"][-1]["created_at"]
        rest = c.get(
            "/v1/jobs", params={"limit": 2, "before": first["next_before"]}, headers=auth()
        ).json()
        assert [j["id"] for j in rest["jobs"]] == [mine[0]] and rest["next_before"] is None
        assert [j["id"] for j in c.get("/v1/jobs", headers=auth(other)).json()["jobs"]] == [theirs]
        assert c.get("/v1/jobs", params={"limit": 0}, headers=auth()).status_code == 422
        assert c.get("/v1/jobs").status_code == 401


def test_finished_jobs_are_forgotten_after_keep_jobs_days(tmp_path: Path, seed_text: str) -> None:
    with client(tmp_path, keep_jobs=7, flags=EXTRACTIVE) as c:
        server = c.app.state.server  # type: ignore[attr-defined]
        r = c.post("/v1/jobs", json={"items": [{"id": "a", "text": seed_text}]})
        location = r.headers["location"]
        _finished(c, location)
        job = location.rsplit("/", 1)[1]
        queued = server.jobs.store.create([{"id": "q", "text": seed_text}], {})  # never run
        now = time.time()
        assert server.purge_old_jobs(now + 6 * 86400) == 0  # not yet 7 days old
        assert server.purge_old_jobs(now + 8 * 86400) == 1
        assert c.get(location).status_code == 404
        assert server.jobs.store.lines(job) == [] and server.jobs.store.pending(job) == []
        assert server.jobs.store.get(queued) is not None  # an unfinished job stays
        assert server.jobs.store.set_status(queued, "cancelled")
        later = now + 8 * 86400
        assert server.purge_old_jobs(later + 60) == 0  # at most once an hour
        assert server.purge_old_jobs(later + 3601) == 1


def test_keep_jobs_zero_keeps_jobs_forever(tmp_path: Path, seed_text: str) -> None:
    with client(tmp_path, keep_jobs=0, flags=EXTRACTIVE) as c:
        r = c.post("/v1/jobs", json={"items": [{"id": "a", "text": seed_text}]})
        _finished(c, r.headers["location"])
        server = c.app.state.server  # type: ignore[attr-defined]
        assert server.purge_old_jobs(time.time() + 10_000 * 86400) == 0
        assert c.get(r.headers["location"]).status_code == 200


def test_a_jobs_file_from_before_keys_owned_jobs_still_opens(tmp_path: Path) -> None:
    import sqlite3

    from summarizer.serve.jobs import JobStore

    path = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(path) as db:  # the old table, without the client column
        db.execute(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, options TEXT NOT "
            "NULL, total INTEGER NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, "
            "owner INTEGER NOT NULL)"
        )
        db.execute("INSERT INTO jobs VALUES ('old', 'completed', '{}', 0, 1.0, 2.0, 1)")
    store = JobStore(path)
    old = store.get("old")
    assert old is not None and old.client == ""
    new = store.get(store.create([], {}, "abc"))
    assert new is not None and new.client == "abc"


@pytest.mark.parametrize(
    "item", [{"id": "p", "path": "/etc/passwd"}, {"id": "p", "text": "x", "path": "a.txt"}]
)
def test_job_item_with_a_path_is_refused(ex: TestClient, item: dict[str, Any]) -> None:
    r = ex.post("/v1/jobs", json={"items": [item]})
    assert r.status_code == 422 and "never reads its own files" in r.json()["detail"]
    nd = ex.post(
        "/v1/jobs",
        content=json.dumps(item).encode(),
        headers={"content-type": "application/x-ndjson"},
    )
    assert nd.status_code == 422 and "never reads its own files" in nd.json()["detail"]


def test_job_refusals(ex: TestClient, tmp_path: Path, seed_text: str) -> None:
    assert ex.post("/v1/jobs", json={"items": []}).status_code == 422
    assert ex.post("/v1/jobs", json={"items": [{"text": seed_text}]}).status_code == 422  # no id
    r = ex.post(
        "/v1/jobs", json={"items": [{"id": "a", "text": seed_text}], "options": {"engine": "llm"}}
    )
    assert r.status_code == 422 and r.json()["error"] == "ConfigError"
    assert ex.get("/v1/jobs/nope").status_code == 404
    assert ex.get("/v1/jobs/nope/results").status_code == 404
    assert ex.delete("/v1/jobs/nope").status_code == 404
    with client(tmp_path / "small", flags=EXTRACTIVE, max_job_items=2) as c:
        items = [{"id": str(i), "text": seed_text} for i in range(3)]
        assert c.post("/v1/jobs", json={"items": items}).status_code == 413


def test_job_events_and_cancel(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    from tests.routing import route

    route(llm_env, lambda body: Reply(200, completion(good_answer), delay=0.3))
    with client(tmp_path, flags={"concurrency": 1, "cache": False}) as c:
        items = [{"id": str(i), "text": seed_text} for i in range(30)]
        r = c.post("/v1/jobs", json={"items": items})
        location = r.headers["location"]
        events: list[str] = []
        with c.stream("GET", location + "/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    events.append(line.split(":", 1)[1].strip())
                if events.count("progress") == 3:
                    cancelled = c.delete(location)
                if line.startswith("event: end"):
                    break
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert events[-1] == "end" and events.count("progress") >= 3
        state = c.get(location).json()
        assert state["status"] == "cancelled" and state["counts"]["done"] < 30
        done = state["counts"]["done"]
        time.sleep(0.5)
        assert c.get(location).json()["counts"]["done"] == done  # nothing runs after a cancel


def test_url_items_in_jobs_are_checked(ex: TestClient) -> None:
    r = ex.post("/v1/jobs", json={"items": [{"id": "u", "url": "http://127.0.0.1:9/x"}]})
    _finished(ex, r.headers["location"])
    line = json.loads(ex.get(r.headers["location"] + "/results").text)
    assert line["error"]["type"] == "InputError" and "loopback" in line["error"]["message"]


# -- metrics -----------------------------------------------------------------------------
def test_metrics(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer, prompt_tokens=111, completion_tokens=22))
    llm_env.push(Reply(429, error_body("slow down"), headers={"Retry-After": "0"}))
    llm_env.push(completion(good_answer, prompt_tokens=1, completion_tokens=1))
    logging.getLogger("summarizer").setLevel(logging.INFO)
    with client(tmp_path) as c:
        c.post("/v1/summaries", json={"text": seed_text})
        c.post("/v1/summaries", json={"text": seed_text})
        c.post(
            "/v1/summaries", json={"text": seed_text + " And more.", "options": {"cache": False}}
        )
        c.get("/v1/jobs/none")
        text = c.get("/metrics").text
    assert (
        'summarizer_http_requests_total{method="POST",route="/v1/summaries",status="200"} 3.0'
        in text
    )
    assert 'route="/v1/jobs/{job_id}",status="404"' in text
    assert (
        'summarizer_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/summaries"}'
        in text
    )
    assert 'summarizer_model_tokens_total{kind="prompt"} 112.0' in text
    assert "summarizer_cache_hits_total 1.0" in text
    assert "summarizer_provider_rate_limited_total 1.0" in text
    assert "summarizer_model_calls_in_flight 0.0" in text and "summarizer_queue_depth 0.0" in text


# -- 6. secrets --------------------------------------------------------------------------
def test_secrets_never_leave(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    echo = f"Incorrect API key provided: {SENTINEL_KEY}"
    llm_env.push(Reply(401, error_body(echo, code="invalid_api_key")))
    llm_env.push(
        Reply(500, error_body(f"boom {SENTINEL_KEY}")), *[Reply(500, error_body(echo))] * 6
    )
    llm_env.push(completion(good_answer))
    records: list[str] = []
    handler = _Collect(records, logging.Formatter().format)
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("summarizer", "summarizer.serve", "uvicorn", "")]
    for lg in loggers:
        lg.addHandler(handler)
    logging.getLogger("summarizer").setLevel(logging.DEBUG)
    bodies: list[str] = []
    try:
        with client(
            tmp_path, keys=(SERVER_KEY,), flags={"transport_retries": 1, "retry_max_wait": 0}
        ) as c:
            h = auth()
            bodies.append(c.post("/v1/summaries", json={"text": seed_text}, headers=h).text)
            r = c.post(
                "/v1/jobs",
                json={
                    "items": [
                        {"id": "k", "text": seed_text},
                        {"id": "j", "text": seed_text, "title": "x"},
                    ]
                },
                headers=h,
            )
            bodies.append(r.text)
            _finished(c, r.headers["location"], h)
            bodies.append(c.get(r.headers["location"] + "/results", headers=h).text)
            bodies.append(c.get(r.headers["location"], headers=h).text)
            bodies.append(c.get("/metrics").text)
            bodies.append(c.get("/readyz").text)
            bodies.append(c.get("/openapi.json").text)
            bodies.append(c.post("/v1/summaries", json={"text": SERVER_KEY}, headers=h).text)
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    assert "AuthenticationError" in bodies[0] and "InternalServerError" not in bodies[0]
    assert '"error"' in bodies[2]  # a failed item's line was written (and scrubbed)
    state = tmp_path / "state"
    files = b"".join(p.read_bytes() for p in state.iterdir())
    assert b"North Korea" in files  # the job file was read
    for secret in (SENTINEL_KEY, SERVER_KEY):
        assert all(secret not in b for b in bodies)
        assert all(secret not in r for r in records)
        assert secret.encode() not in files


def test_cancel_from_another_worker_stops_the_job(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    """Workers share the job file: a DELETE served by another process stops the runner."""
    from summarizer.serve.jobs import JobStore
    from tests.routing import route

    route(llm_env, lambda body: Reply(200, completion(good_answer), delay=0.2))
    with client(tmp_path, flags={"concurrency": 1, "cache": False}) as c:
        items = [{"id": str(i), "text": seed_text} for i in range(30)]
        r = c.post("/v1/jobs", json={"items": items})
        job, location = r.json()["id"], r.headers["location"]
        _wait(lambda: c.get(location).json()["counts"]["done"] >= 2)
        other = JobStore(tmp_path / "state" / "jobs.sqlite3")  # another process's handle
        assert other.set_status(job, "cancelled")
        other.close()
        _wait(lambda: c.app.state.server.jobs.running == 0)  # type: ignore[attr-defined]
        sent = len(llm_env.requests)
        assert c.get(location).json()["status"] == "cancelled"
    assert sent < 10
