"""The fault matrix: every way the endpoint can fail, over real loopback sockets.

Each case states how many HTTP requests reach the server, which error (and exit code)
comes out, a phrase of its one-line message, how long it may take, and that nothing was
cached. The same cases run through the library (sync and async) and the CLI.
``tests/test_secrets.py`` replays them to check that the API key never leaks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.api import Summarizer
from summarizer.cache import ResultCache
from summarizer.cli import app
from summarizer.config import resolve_settings
from summarizer.engines.llm.engine import LLMEngine
from summarizer.engines.llm.transport import ModelTransport
from summarizer.errors import (
    AuthenticationError,
    BudgetExceeded,
    ContextLengthError,
    ModelNotFoundError,
    ProviderError,
    SummarizerError,
    TruncatedOutputError,
    ValidationFailed,
)
from summarizer.testing import VirtualTime
from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion, error_body
from tests.conftest import SENTINEL_KEY

Answer = dict[str, Any]
Replies = Callable[[Answer, Answer], Sequence[Reply | dict[str, Any]]]

#: Small limits so the whole matrix stays fast; cases override what they exercise.
FAST: dict[str, Any] = {
    "timeout": 0.5,
    "transport_retries": 2,
    "max_retries": 1,
    "retry_max_wait": 0.05,
    "deadline": 10.0,
}
OPENAI_401 = "Incorrect API key provided: sk-test-************cdef. You can find your API key at"


LLAMA_CPP_CONTEXT = {  # llama.cpp server (tools/server), HTTP 400
    "error": {
        "code": 400,
        "message": "the request exceeds the available context size, try increasing it",
        "type": "exceed_context_size_error",
    }
}
LLAMA_CPP_PYTHON_CONTEXT = "Requested tokens (9000) exceed context window of 4096"


def _err(
    status: int,
    message: str,
    code: str | None = None,
    typ: str = "invalid_request_error",
    **headers: str,
) -> Reply:
    return Reply(status, error_body(message, code=code, typ=typ), headers=dict(headers))


def _no_choices(good: Answer) -> dict[str, Any]:
    body = completion(good)
    body["choices"] = []
    return body


@dataclass(frozen=True)
class Fault:
    id: str
    replies: Replies
    error: type[SummarizerError] | None  # None: the run succeeds
    requests: int  # HTTP requests the server must see
    says: str = ""  # a phrase of the one-line message
    retries: int = 0  # "transport retry" log lines expected
    max_seconds: float = 4.0
    min_seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    closed_port: bool = False  # point at a port nobody listens on
    attempts: int = 1  # model answers used, for successful cases

    def config(self) -> dict[str, Any]:
        return {**FAST, **self.settings}


CASES: list[Fault] = [
    # -- retried, then given up -------------------------------------------------------
    Fault(
        "429-no-retry-after",
        lambda g, b: [_err(429, "Rate limit reached for requests")] * 3,
        ProviderError, 3, "kept rate-limiting (HTTP 429)", retries=2,
    ),
    Fault(
        "429-retry-after-honoured",
        lambda g, b: [_err(429, "slow down", **{"Retry-After": "1"}), completion(g)],
        None, 2, retries=1, min_seconds=0.95, settings={"retry_max_wait": 5.0},
    ),
    Fault(
        "429-retry-after-ms",
        lambda g, b: [_err(429, "slow down", **{"retry-after-ms": "300"}), completion(g)],
        None, 2, retries=1, min_seconds=0.28, settings={"retry_max_wait": 5.0},
    ),
    Fault(
        "429-retry-after-capped",
        lambda g, b: [_err(429, "slow down", **{"Retry-After": "120"}), completion(g)],
        None, 2, retries=1, max_seconds=3.0, settings={"retry_max_wait": 0.2},
    ),
    Fault(
        "429-retry-after-past-deadline",
        lambda g, b: [_err(429, "slow down", **{"Retry-After": "5"})],
        ProviderError, 1, "would pass --deadline=1s", max_seconds=1.0,
        settings={"retry_max_wait": 30.0, "deadline": 1.0},
    ),
    Fault(
        "429-insufficient-quota",
        lambda g, b: [_err(429, "You exceeded your current quota", code="insufficient_quota")],
        ProviderError, 1, "quota is used up",
    ),
    *(
        Fault(
            f"{status}-exhausted",
            (lambda s: lambda g, b: [_err(s, "upstream trouble")] * 3)(status),
            ProviderError, 3, f"failed with HTTP {status}", retries=2,
        )
        for status in (500, 502, 503, 504)
    ),
    Fault(
        "500-transport-retries-0",
        lambda g, b: [_err(500, "boom")],
        ProviderError, 1, "failed with HTTP 500", settings={"transport_retries": 0},
    ),
    Fault(
        "hang-past-timeout",
        lambda g, b: [Reply(action="hang")] * 2,
        ProviderError, 2, "did not answer in time", retries=1, min_seconds=0.55,
        settings={"timeout": 0.3, "transport_retries": 1},
    ),
    Fault(
        "hang-past-deadline",
        lambda g, b: [Reply(action="hang")],
        ProviderError, 1, "--deadline=0.5s", min_seconds=0.45, max_seconds=1.5,
        settings={"timeout": 5.0, "deadline": 0.5},
    ),
    Fault(
        "connection-refused",
        lambda g, b: [],
        ProviderError, 0, "cannot reach", retries=2, closed_port=True,
    ),
    Fault(
        "connection-reset-mid-response",
        lambda g, b: [Reply(action="reset")] * 3,
        ProviderError, 3, "connection failed", retries=2,
    ),
    Fault(
        "connection-closed-without-answer",
        lambda g, b: [Reply(action="close")] * 3,
        ProviderError, 3, "connection failed", retries=2,
    ),
    # -- recovered -------------------------------------------------------------------
    Fault(
        "recovery-503-503-200",
        lambda g, b: [_err(503, "busy"), _err(503, "busy"), completion(g)],
        None, 3, retries=2,
    ),
    Fault(
        "recovery-reset-500-200",
        lambda g, b: [Reply(action="reset"), _err(500, "boom"), completion(g)],
        None, 3, retries=2,
    ),
    Fault(
        "reask-and-transport-are-separate",
        lambda g, b: [_err(503, "busy"), completion(b), _err(502, "bad gw"), completion(g)],
        None, 4, retries=2, attempts=2,
    ),
    # -- malformed answers: not retried by transport ----------------------------------
    Fault(
        "200-not-json-text",
        lambda g, b: [Reply(200, "<html><body>Welcome to nginx!</body></html>")],
        ProviderError, 1, "not a chat completion",
    ),
    Fault(
        "200-not-json-declared-json",
        lambda g, b: [Reply(200, "{oops", headers={"Content-Type": "application/json"})],
        ProviderError, 1, "not a chat completion",
    ),
    Fault(
        "tool-arguments-not-json",
        lambda g, b: [completion("{not json"), completion("{still not json")],
        ValidationFailed, 2, "failed validation after 2 attempt(s)",
    ),
    Fault(
        "tool-call-wrong-function",
        lambda g, b: [completion(g, name="get_weather")],
        ProviderError, 1, "instead of 'ArticleSummary'",
    ),
    Fault("empty-choices", lambda g, b: [_no_choices(g)], ProviderError, 1, "no choices"),
    Fault(
        "finish-reason-length",
        lambda g, b: [completion(g, finish_reason="length")],
        TruncatedOutputError, 1, "raise --max-tokens",
    ),
    Fault(
        "token-budget",
        lambda g, b: [completion(b, prompt_tokens=100, completion_tokens=50)] * 2,
        BudgetExceeded, 2, "300 of 200 tokens", settings={"token_budget": 200, "max_retries": 3},
    ),
    # -- never retried ---------------------------------------------------------------
    Fault(
        "401-bad-key",
        lambda g, b: [_err(401, OPENAI_401, code="invalid_api_key")],
        AuthenticationError, 1, "rejected the API key",
    ),
    Fault(
        "403-forbidden",
        lambda g, b: [_err(403, "Project does not have access")],
        AuthenticationError, 1, "rejected the API key (HTTP 403)",
    ),
    Fault(
        "404-model-not-found",
        lambda g, b: [_err(404, "The model `fake-model` does not exist", "model_not_found")],
        ModelNotFoundError, 1, "model 'fake-model' was not found",
    ),
    Fault(
        "400-context-length",
        lambda g, b: [
            _err(
                400,
                "This model's maximum context length is 8192 tokens. However, your messages "
                "resulted in 9000 tokens.",
                "context_length_exceeded",
            )
        ],
        ContextLengthError, 1, "does not fit the context window of 'fake-model'",
    ),
    Fault(  # llama.cpp server: matched by its message and by its error type
        "400-llama-cpp-context-size",
        lambda g, b: [Reply(400, LLAMA_CPP_CONTEXT)],
        ContextLengthError, 1, "does not fit the context window of 'fake-model'",
    ),
    Fault(  # newer llama.cpp server wording, with token counts
        "400-llama-cpp-context-size-counts",
        lambda g, b: [
            Reply(
                400,
                {"error": {"code": 400, "type": "exceed_context_size_error",
                           "message": "request (9000 tokens) exceeds the available context "
                                      "size (4096 tokens), try increasing it",
                           "n_prompt_tokens": 9000, "n_ctx": 4096}},
            )
        ],
        ContextLengthError, 1, "does not fit the context window of 'fake-model'",
    ),
    Fault(  # the error type alone is enough, whatever the message says
        "400-context-by-error-type",
        lambda g, b: [
            Reply(400, {"error": {"code": 400, "message": "prompt rejected",
                                  "type": "exceed_context_size_error"}})
        ],
        ContextLengthError, 1, "does not fit the context window of 'fake-model'",
    ),
    Fault(  # ...and so is OpenAI's error code
        "400-context-by-error-code",
        lambda g, b: [_err(400, "prompt rejected", "context_length_exceeded")],
        ContextLengthError, 1, "does not fit the context window of 'fake-model'",
    ),
    Fault(  # llama-cpp-python when its formatter rewrote the message to OpenAI's
        "400-llama-cpp-python-context-window",
        lambda g, b: [_err(400, LLAMA_CPP_PYTHON_CONTEXT)],
        ContextLengthError, 1, "does not fit the context window of 'fake-model'",
    ),
    Fault(  # llama-cpp-python's raw ValueError is wrapped as a 500: not retried either
        "500-llama-cpp-python-context-window",
        lambda g, b: [_err(500, LLAMA_CPP_PYTHON_CONTEXT, typ="internal_server_error")],
        ContextLengthError, 1, "exceed context window of 4096",
    ),
    Fault(  # Ollama (some versions answer 500)
        "500-ollama-context-length",
        lambda g, b: [Reply(500, {"error": "the input length exceeds the context length"})],
        ContextLengthError, 1, "exceeds the context length",
    ),
    Fault(
        "400-vllm-max-model-length",
        lambda g, b: [
            _err(
                400,
                "The decoder prompt (length 9000) is longer than the maximum model length of "
                "4096. Make sure that `max_model_len` is no smaller than the number of text "
                "tokens.",
                typ="BadRequestError",
            )
        ],
        ContextLengthError, 1, "maximum model length of 4096",
    ),
    Fault(
        "400-vllm-max-context-length",
        lambda g, b: [
            _err(
                400,
                "This model's maximum context length is 4096 tokens. However, you requested "
                "2048 output tokens and your prompt contains at least 3000 input tokens, for a "
                "total of at least 5048 tokens.",
                typ="BadRequestError",
            )
        ],
        ContextLengthError, 1, "maximum context length is 4096",
    ),
    Fault(
        "400-bad-request",
        lambda g, b: [_err(400, "Invalid value for 'temperature'")],
        ProviderError, 1, "rejected the request (HTTP 400)",
    ),
    Fault(
        "422-unprocessable",
        lambda g, b: [_err(422, "Unprocessable Entity")],
        ProviderError, 1, "rejected the request (HTTP 422)",
    ),
]  # fmt: skip
BY_ID = {c.id: c for c in CASES}
ASYNC_IDS = (
    "429-retry-after-ms",
    "503-exhausted",
    "hang-past-deadline",
    "connection-reset-mid-response",
    "200-not-json-text",
    "200-not-json-declared-json",
    "finish-reason-length",
    "401-bad-key",
    "recovery-503-503-200",
)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def base_url(case: Fault, fake: FakeOpenAI) -> str:
    return closed_port_url() if case.closed_port else fake.url


def cache_entries(cache_dir: Path) -> int:
    cache = ResultCache(cache_dir, 1 << 30)
    try:
        return int(cache.stats()["entries"])
    finally:
        cache.close()


def make_summarizer(
    case: Fault, url: str, cache_dir: Path, time_source: VirtualTime | None = None
) -> Summarizer:
    """The case's summarizer; with ``time_source``, its transport sleeps virtually."""
    settings = resolve_settings(
        base_url=url,
        api_key=SENTINEL_KEY,
        model="fake-model",
        cache_dir=str(cache_dir),
        **case.config(),
    )
    if time_source is None:
        return Summarizer(settings)
    transport = ModelTransport(sleep=time_source.sleep, clock=time_source.clock)
    return Summarizer(settings, engine_impl=LLMEngine(settings, transport=transport))


def cli_args(case: Fault, url: str) -> tuple[list[str], dict[str, str]]:
    """The case's settings as CLI flags (and env for what has no flag)."""
    flags = {
        "timeout": "--timeout",
        "transport_retries": "--transport-retries",
        "max_retries": "--max-retries",
        "deadline": "--deadline",
        "token_budget": "--token-budget",
    }
    args = ["--base-url", url, "--model", "fake-model"]
    env = {"SUMMARIZER_API_KEY": SENTINEL_KEY}
    for name, value in case.config().items():
        if name in flags:
            args += [flags[name], str(value)]
        else:
            env[f"SUMMARIZER_{name.upper()}"] = str(value)
    return args, env


@pytest.fixture
def retry_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="summarizer")
    return caplog


def _retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("summarizer.") and r.getMessage().startswith("transport retry")
    ]


def _check_outcome(
    case: Fault,
    run: Callable[[], Any],
    fake: FakeOpenAI,
    cache_dir: Path,
    time_source: VirtualTime | None = None,
) -> SummarizerError | None:
    """Run the case; its bounds count real time plus the waits slept virtually."""
    started = time.monotonic()
    error: SummarizerError | None = None
    if case.error is None:
        result = run()
        assert result.meta.requests == case.requests
        assert result.meta.attempts == case.attempts
    else:
        with pytest.raises(case.error) as info:
            run()
        error = info.value
        assert type(error) is case.error, f"{type(error).__name__}: {error}"
        message = str(error)
        assert case.says in message
        assert "\n" not in message and len(message) < 400
    elapsed = time.monotonic() - started + (time_source.offset if time_source else 0.0)
    assert case.min_seconds <= elapsed <= case.max_seconds, f"took {elapsed:.2f}s"
    assert len(fake.requests) == case.requests
    assert not fake.queue, "queued replies left unused"
    assert cache_entries(cache_dir) == (1 if case.error is None else 0)
    return error


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_library(
    case: Fault,
    fake: FakeOpenAI,
    tmp_path: Path,
    seed_text: str,
    good_answer: Answer,
    bad_answer: Answer,
    retry_log: pytest.LogCaptureFixture,
) -> None:
    fake.push(*case.replies(good_answer, bad_answer))
    cache_dir = tmp_path / "lib-cache"
    clock = VirtualTime()
    summarizer = make_summarizer(case, base_url(case, fake), cache_dir, clock)
    try:
        run = lambda: summarizer.summarize(seed_text)  # noqa: E731
        error = _check_outcome(case, run, fake, cache_dir, clock)
    finally:
        summarizer.close()
    assert len(clock.sleeps) == case.retries  # every retry waited, virtually
    lines = _retry_lines(retry_log)
    assert len(lines) == case.retries, lines
    for n, line in enumerate(lines, 1):  # each retry says which one, why, and the wait
        assert line.startswith(f"transport retry {n}: ") and "waiting" in line
    if case.closed_port:
        assert error is not None and "gave up after 3 attempt(s)" in str(error)


@pytest.mark.parametrize("case_id", ASYNC_IDS)
def test_fault_async(
    case_id: str,
    fake: FakeOpenAI,
    tmp_path: Path,
    seed_text: str,
    good_answer: Answer,
    bad_answer: Answer,
) -> None:
    case = BY_ID[case_id]
    fake.push(*case.replies(good_answer, bad_answer))
    cache_dir = tmp_path / "async-cache"
    clock = VirtualTime()
    summarizer = make_summarizer(case, base_url(case, fake), cache_dir, clock)

    async def run() -> Any:
        async with summarizer:
            return await summarizer.asummarize(seed_text)

    try:
        _check_outcome(case, lambda: asyncio.run(run()), fake, cache_dir, clock)
    finally:
        summarizer.close()


runner = CliRunner()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_cli(
    case: Fault,
    fake: FakeOpenAI,
    tmp_path: Path,
    seed_path: Path,
    good_answer: Answer,
    bad_answer: Answer,
) -> None:
    fake.push(*case.replies(good_answer, bad_answer))
    args, env = cli_args(case, base_url(case, fake))
    cache_dir = tmp_path / "cli-cache"
    started = time.monotonic()
    result = runner.invoke(
        app, ["summarize", str(seed_path), "--cache-dir", str(cache_dir), *args], env=env
    )
    elapsed = time.monotonic() - started
    assert elapsed <= case.max_seconds + 1.0, f"took {elapsed:.2f}s"
    assert len(fake.requests) == case.requests
    if case.error is None:
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["meta"]["requests"] == case.requests
        assert result.stderr == ""
        assert cache_entries(cache_dir) == 1
        return
    assert result.exit_code == case.error.exit_code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("summarizer: error: ") and case.says in lines[0]
    assert "Traceback" not in result.stderr
    assert cache_entries(cache_dir) == 0


def test_cli_verbose_logs_every_retry_with_its_reason(
    fake: FakeOpenAI, tmp_path: Path, seed_path: Path, good_answer: Answer, bad_answer: Answer
) -> None:
    case = BY_ID["reask-and-transport-are-separate"]
    fake.push(*case.replies(good_answer, bad_answer))
    args, env = cli_args(case, fake.url)
    result = runner.invoke(app, ["summarize", str(seed_path), "--no-cache", "-v", *args], env=env)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any("transport retry 1: HTTP 503 on attempt 1 of 3" in line for line in lines)
    assert any("transport retry 2: HTTP 502 on attempt 1 of 3" in line for line in lines)
    reask = [line for line in lines if "validation re-ask 1 of 1" in line]
    assert len(reask) == 1 and "is not in the article" in reask[0]
    assert all(line.startswith("summarizer: INFO: ") for line in lines), lines


def test_cli_verbose_failure_shows_traceback_and_retries(
    fake: FakeOpenAI, tmp_path: Path, seed_path: Path, good_answer: Answer, bad_answer: Answer
) -> None:
    case = BY_ID["503-exhausted"]
    fake.push(*case.replies(good_answer, bad_answer))
    args, env = cli_args(case, fake.url)
    result = runner.invoke(app, ["summarize", str(seed_path), "--no-cache", "-v", *args], env=env)
    assert result.exit_code == ProviderError.exit_code
    assert "Traceback" in result.stderr
    assert result.stderr.count("summarizer: INFO: transport retry") == 2
    assert result.stderr.rstrip().splitlines()[-1].startswith("summarizer: error: ")


def test_deadline_flag_and_env_reach_the_settings(seed_path: Path, fake: FakeOpenAI) -> None:
    fake.push(Reply(action="hang"))
    started = time.monotonic()
    result = runner.invoke(
        app,
        ["summarize", str(seed_path), "--base-url", fake.url, "--no-cache", "--deadline", "0.6"],
        env={"SUMMARIZER_TIMEOUT": "30", "SUMMARIZER_RETRY_MAX_WAIT": "0.01"},
    )
    assert time.monotonic() - started < 3.0
    assert result.exit_code == ProviderError.exit_code
    assert "--deadline=0.6s" in result.stderr and len(fake.requests) == 1


def test_openai_sdk_retries_are_off() -> None:
    from summarizer.config import resolve_settings
    from summarizer.engines.llm.engine import client_options

    kwargs = client_options(resolve_settings(base_url="http://127.0.0.1:9/v1"))
    assert kwargs["max_retries"] == 0


@pytest.mark.parametrize("case_id", ["401-bad-key", "503-exhausted"])
def test_real_process_prints_exactly_one_line(
    case_id: str, fake: FakeOpenAI, tmp_path: Path, seed_path: Path, good_answer: Answer
) -> None:
    """Outside pytest's log capture, a library logging to the root logger would reach
    stderr through logging's last-resort handler: only a real process shows that."""
    import os
    import subprocess
    import sys

    case = BY_ID[case_id]
    fake.push(*case.replies(good_answer, good_answer))
    args, env = cli_args(case, fake.url)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    proc = subprocess.run(
        [sys.executable, "-c", "from summarizer.cli import main; main()", "summarize",
         str(seed_path), "--no-cache", *args],
        env={**keep, **env}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == case.error.exit_code if case.error else 0
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()], proc.stderr
    assert proc.stderr.startswith("summarizer: error: ") and case.says in proc.stderr
    assert SENTINEL_KEY not in proc.stderr


def test_budget_stops_further_attempts_but_keeps_a_valid_answer(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer, bad_answer: Answer
) -> None:
    """The budget is checked before each attempt: a valid answer that crossed it is
    kept (its tokens are spent either way); a re-ask after crossing it is not sent."""
    fake.push(completion(bad_answer, prompt_tokens=100, completion_tokens=20))
    fake.push(completion(good_answer, prompt_tokens=100, completion_tokens=20))
    s = Summarizer(base_url=fake.url, model="fake-model", cache=False, token_budget=200)
    result = s.summarize(seed_text)
    assert result.meta.usage.total_tokens == 240 and result.meta.attempts == 2

    fake.requests.clear()
    fake.push(*[completion(bad_answer, prompt_tokens=100, completion_tokens=20)] * 3)
    with pytest.raises(BudgetExceeded) as info:
        s.summarize(seed_text)
    assert len(fake.requests) == 2 and info.value.details["tokens"] == 240
    assert "240 of 200 tokens spent over 2 attempt(s)" in str(info.value)
    assert "--token-budget" in str(info.value)
    fake.queue.clear()


def test_retry_policies_come_from_the_environment(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, seed_text: str, bad_answer: Answer
) -> None:
    monkeypatch.setenv("SUMMARIZER_TRANSPORT_RETRIES", "1")
    monkeypatch.setenv("SUMMARIZER_MAX_RETRIES", "0")
    monkeypatch.setenv("SUMMARIZER_RETRY_MAX_WAIT", "0.01")
    monkeypatch.setenv("SUMMARIZER_STRICT", "true")
    fake.push(_err(503, "busy"), completion(bad_answer))
    s = Summarizer(base_url=fake.url, model="fake-model", cache=False)
    with pytest.raises(ValidationFailed, match="after 1 attempt"):
        s.summarize(seed_text)
    assert len(fake.requests) == 2  # 1 transport retry, 0 re-asks


class _Exc(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("x")
        self.response = type("R", (), {"headers": headers})()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": "-3"}, None),  # negative: no request, so the normal backoff applies
        ({"retry-after": "soon"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    from summarizer.engines.llm.failures import retry_after

    assert retry_after(_Exc(headers)) == expected


def test_retry_after_http_date_in_the_future() -> None:
    import email.utils

    from summarizer.engines.llm.failures import retry_after

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = retry_after(_Exc({"retry-after": when}))
    assert wait is not None and 25 <= wait <= 31


# -- time bounds that bound (a server dripping a valid answer byte by byte) -------------
def _warm(s: Summarizer, fake: FakeOpenAI, seed_text: str, answer: Answer) -> None:
    """One quick call first, so the bounds below time the request, not the imports."""
    fake.push(completion(answer))
    s.summarize(seed_text + "\nWarm-up.")
    fake.requests.clear()


def _dripping(answer: Answer) -> Reply:
    return Reply(200, completion(answer), action="drip", drip_every=0.05)  # ~minutes whole


def test_timeout_bounds_a_whole_request_not_each_read(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    """Every byte used to reset a per-read timeout: 176 s for --timeout 5 --deadline 10."""
    s = Summarizer(base_url=fake.url, model="fake-model", cache=False, timeout=0.8,
                   deadline=30, transport_retries=1, retry_max_wait=0.01)  # fmt: skip
    _warm(s, fake, seed_text, good_answer)
    fake.push(_dripping(good_answer), _dripping(good_answer))
    started = time.monotonic()
    with pytest.raises(ProviderError, match="did not answer in time"):
        s.summarize(seed_text)
    assert time.monotonic() - started < 0.8 * 2 + 1.5  # two whole-request timeouts
    assert len(fake.requests) == 2
    s.close()


def test_deadline_bounds_all_attempts_of_a_dripping_server(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    s = Summarizer(base_url=fake.url, model="fake-model", cache=False, timeout=60,
                   deadline=1.0, transport_retries=4, retry_max_wait=0.01)  # fmt: skip
    _warm(s, fake, seed_text, good_answer)
    fake.push(*[_dripping(good_answer) for _ in range(5)])
    started = time.monotonic()
    with pytest.raises(ProviderError, match="did not answer in time"):
        s.summarize(seed_text)
    assert time.monotonic() - started < 1.0 + 1.5
    s.close()
    fake.queue.clear()


def test_batch_of_dripping_answers_ends_within_its_bounds(
    fake: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(seed_text + f"\nVariant {i}.", encoding="utf-8")
    fake.push(*[_dripping(good_answer) for _ in range(3)])
    started = time.monotonic()
    result = runner.invoke(
        app,
        ["batch", str(folder), "--base-url", fake.url, "--no-cache", "--timeout", "0.8",
         "--deadline", "1", "--transport-retries", "0", "-j", "3"],
    )  # fmt: skip
    assert result.exit_code == 13, result.stderr
    assert time.monotonic() - started < 1.0 + 3.0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and all("did not answer in time" in x["error"]["message"] for x in lines)
