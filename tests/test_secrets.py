"""The API key never leaks: not to stdout/stderr, logs, exceptions, the cache or the prompt.

The whole fault matrix of ``tests/test_faults.py`` runs again with the sentinel key,
through the library (every log record captured at DEBUG, every chained exception
inspected) and through the CLI with ``-v`` (retry logs and tracebacks on).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.errors import SummarizerError
from summarizer.testing.fake_openai import FakeOpenAI, Reply, error_body
from tests.conftest import SENTINEL_KEY
from tests.test_faults import (
    CASES,
    Fault,
    base_url,
    cli_args,
    make_summarizer,
)

#: The key, and the parts of it that are secret (OpenAI echoes "sk-test-****cdef").
NEEDLES = (SENTINEL_KEY, "SENTINEL-0123456789", "0123456789abcdef")
#: Faster than the matrix: timing is not what these tests check.
QUICK = {"retry_max_wait": 0.01}
LOGGERS = ("summarizer", "instructor", "openai", "httpx", "httpx2", "httpcore")
runner = CliRunner()


def leaks(text: str | bytes) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    return [n for n in NEEDLES if n.encode() in data]


def quick(case: Fault) -> Fault:
    settings = {**case.settings, **QUICK}
    if case.id.startswith("hang"):  # a hung server: time out sooner than the matrix does
        settings.update(timeout=0.2, deadline=0.5)
    return Fault(**{**case.__dict__, "settings": settings})


def exception_texts(exc: BaseException) -> Iterator[str]:
    """str/repr/args of ``exc`` and of every cause, context and failed re-ask, and the
    formatted traceback."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield str(cur)
        yield repr(cur)
        yield repr(cur.args)
        yield repr(getattr(cur, "details", ""))
        stack.extend(e for e in (cur.__cause__, cur.__context__) if e is not None)
        for failed in getattr(cur, "failed_attempts", None) or []:
            stack.append(failed.exception)
    yield "".join(traceback.format_exception(exc))


def files_under(root: Path) -> Iterator[Path]:
    return (p for p in root.rglob("*") if p.is_file())


def check_recording(fake: FakeOpenAI) -> None:
    """The key goes out only as the Authorization header; never in a body or elsewhere."""
    for request in fake.requests:
        assert request.headers["authorization"] == f"Bearer {SENTINEL_KEY}"
        others = {k: v for k, v in request.headers.items() if k != "authorization"}
        assert leaks(json.dumps(others)) == []
        assert leaks(json.dumps(request.body, ensure_ascii=False)) == []


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of ours and of the libraries under us, at DEBUG."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)
    return caplog


def test_needles_are_found_when_present() -> None:
    assert leaks(f"Bearer {SENTINEL_KEY}") and leaks(b"x" + SENTINEL_KEY.encode())
    assert leaks("Incorrect API key provided: sk-test-************cdef") == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_library_never_leaks_the_key(
    case: Fault,
    fake: FakeOpenAI,
    tmp_path: Path,
    seed_text: str,
    good_answer: dict[str, Any],
    bad_answer: dict[str, Any],
    all_logs: pytest.LogCaptureFixture,
) -> None:
    case = quick(case)
    fake.push(*case.replies(good_answer, bad_answer))
    summarizer = make_summarizer(case, base_url(case, fake), tmp_path / "cache")
    error: SummarizerError | None = None
    try:
        result = summarizer.summarize(seed_text)
        assert leaks(result.model_dump_json()) == []
        assert leaks(repr(result)) == [] and leaks(repr(summarizer.settings)) == []
    except SummarizerError as exc:
        error = exc
    finally:
        summarizer.close()
    assert (error is None) == (case.error is None)
    if error is not None:
        for text in exception_texts(error):
            assert leaks(text) == [], text
    assert all_logs.records, "nothing was logged: the capture is not working"
    for record in all_logs.records:
        assert leaks(record.getMessage()) == [], record.getMessage()
        assert leaks(repr(record.args)) == []
    assert leaks(all_logs.text) == []
    for path in files_under(tmp_path):  # the cache, whatever else a run wrote
        assert leaks(path.read_bytes()) == [], path
    check_recording(fake)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_verbose_never_leaks_the_key(
    case: Fault,
    fake: FakeOpenAI,
    tmp_path: Path,
    seed_path: Path,
    good_answer: dict[str, Any],
    bad_answer: dict[str, Any],
) -> None:
    case = quick(case)
    fake.push(*case.replies(good_answer, bad_answer))
    args, env = cli_args(case, base_url(case, fake))
    cache_dir = tmp_path / "cli-cache"
    result = runner.invoke(
        app, ["summarize", str(seed_path), "-v", "--cache-dir", str(cache_dir), *args], env=env
    )
    assert result.exit_code == (0 if case.error is None else case.error.exit_code)
    if case.error is not None:
        assert "Traceback" in result.stderr  # -v really printed the chained causes
    assert leaks(result.stdout) == [] and leaks(result.stderr) == []
    for path in files_under(tmp_path):
        assert leaks(path.read_bytes()) == [], path
    check_recording(fake)


HOSTILE = [
    Reply(400, error_body(f"Invalid Authorization header 'Bearer {SENTINEL_KEY}'")),
    Reply(500, error_body(f"upstream rejected key {SENTINEL_KEY}", typ="server_error")),
]


@pytest.mark.parametrize("reply", HOSTILE, ids=["400", "500"])
def test_a_server_echoing_the_whole_key_is_redacted(
    reply: Reply, fake: FakeOpenAI, seed_path: Path, seed_text: str
) -> None:
    """A proxy that quotes the full key: our messages and the CLI still never show it.

    (The third-party exceptions chained under ours keep the server's text verbatim.)
    """
    fake.push(reply)
    case = Fault("hostile", lambda g, b: [], None, 1, settings={"transport_retries": 0})
    summarizer = make_summarizer(case, fake.url, Path("unused"))
    summarizer.settings = summarizer.settings.with_overrides(cache=False)
    with pytest.raises(SummarizerError) as info:
        summarizer.summarize(seed_text)
    assert "***" in str(info.value) and leaks(str(info.value)) == []

    for verbose in ([], ["-v"]):
        fake.push(reply)
        args, env = cli_args(case, fake.url)
        result = runner.invoke(
            app, ["summarize", str(seed_path), "--no-cache", *verbose, *args], env=env
        )
        assert result.exit_code == 4
        assert leaks(result.stderr) == [] and leaks(result.stdout) == []
        assert "***" in result.stderr


def test_a_list_from_elsewhere_never_sends_a_server_file_to_the_model(
    fake: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    """A JSONL list from a request (``allow_paths=False``): a `path` to a file holding a
    key never reaches the model; the request's own `text` items run as usual."""
    import io

    from summarizer.api import Summarizer
    from summarizer.batch.inputs import read_jsonl
    from summarizer.testing.fake_openai import completion

    fake.push(completion(good_answer))
    secrets = tmp_path / "server" / ".env"
    secrets.parent.mkdir()
    secrets.write_text(
        f"The deploy notes say the production key is {SENTINEL_KEY} and must stay secret.",
        encoding="utf-8",
    )
    body = "\n".join(
        json.dumps(row)
        for row in (
            {"id": "steal", "path": str(secrets)},
            {"id": "climb", "path": "../server/.env"},
            {"id": "ok", "text": seed_text},
        )
    )
    items = read_jsonl(io.BytesIO(body.encode()), "request", base=tmp_path, allow_paths=False)
    summarizer = Summarizer(base_url=fake.url, api_key="sk-other-key-for-this-test", cache=False)
    outcomes = {o.id: o for o in summarizer.summarize_many(items)}
    assert outcomes["ok"].status == "ok"
    for name in ("steal", "climb"):
        record = outcomes[name].to_record()
        assert record["error"]["type"] == "InputError" and "path" not in record
    assert len(fake.requests) == 1
    sent = json.dumps([r.body for r in fake.requests], ensure_ascii=False)
    assert leaks(sent) == [] and "deploy notes" not in sent
