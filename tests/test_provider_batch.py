"""``batch --provider-batch``: the provider's Batch API against the fake's /v1/files and
/v1/batches: identical requests, validation, re-asks, errors, expiry, resume."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.api import Summarizer
from summarizer.batch.provider import ProviderBatch, state_path
from summarizer.cli import app
from summarizer.cli.batch import run_command
from summarizer.cli.batch_provider import ProviderOptions
from summarizer.config import resolve_settings
from summarizer.errors import EXIT_INTERRUPTED, EXIT_SOME_FAILED
from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion
from tests.conftest import SENTINEL_KEY, article_files

Answer = dict[str, Any]
runner = CliRunner()


def _run(args: list[str]) -> Any:
    return runner.invoke(app, ["batch", *args, "--provider-batch", "--poll-interval", "0.01"])


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_batch_request_is_the_synchronous_request(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    fake.push(completion(good_answer))
    settings = resolve_settings(base_url=fake.url, api_key=SENTINEL_KEY, model="fake-model")
    with Summarizer(settings) as s:
        s.summarize(seed_text, title="A title")
        sent = fake.requests[-1].body
        batch = ProviderBatch(s)

        async def job() -> Any:
            from summarizer.batch.inputs import BatchItem

            return [j async for j in batch.split([BatchItem("x", text=seed_text + "\n\nNew.")])]

        import asyncio

        (one,) = asyncio.run(job())
        line = one.line(settings, s)
        assert line["custom_id"] == s.cache_key(seed_text + "\n\nNew.")
    assert line["url"] == "/v1/chat/completions" and line["method"] == "POST"
    body = line["body"]
    assert set(body) == set(sent)
    assert body["tools"] == sent["tools"] and body["tool_choice"] == sent["tool_choice"]
    assert body["messages"][0] == sent["messages"][0]  # the same system prompt
    for name in ("model", "temperature", "max_tokens"):
        assert body[name] == sent[name]


def test_request_line_equals_the_body_sent_for_the_same_article(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer, tmp_path: Path
) -> None:
    """Byte for byte (as JSON): --write-requests, then the same article synchronously."""
    (path,) = article_files(tmp_path, seed_text, 1)
    requests = tmp_path / "requests.jsonl"
    env = {"SUMMARIZER_BASE_URL": fake.url, "SUMMARIZER_API_KEY": SENTINEL_KEY}
    env["SUMMARIZER_MODEL"] = "fake-model"
    result = runner.invoke(
        app, ["batch", path, "--provider-batch", "--write-requests", str(requests)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "nothing was sent" in result.output and not fake.requests
    (line,) = _lines(requests)
    fake.push(completion(good_answer))
    result = runner.invoke(app, ["summarize", path], env=env)
    assert result.exit_code == 0, result.output
    assert line["body"] == fake.requests[-1].body


def test_happy_path_lands_in_the_cache(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    paths = article_files(tmp_path, seed_text, 2)
    llm_env.push(completion(good_answer), completion(good_answer))
    out = tmp_path / "out.jsonl"
    result = _run([*paths, "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    lines = _lines(out)
    assert len(lines) == 2
    assert all("result" in line for line in lines)
    assert llm_env.batch_api.created == 1 and not llm_env.requests  # no chat request sent
    assert "provider batch batch_1: completed 2/2" in result.output
    assert not state_path(out).exists()
    with Summarizer() as s:  # a later summarize of the same article is a cache hit
        again = s.summarize(Path(paths[0]).read_text(encoding="utf-8"))
    assert again.meta.cache_hit and not llm_env.requests


def test_batch_discount_in_cost(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(
        '[[price]]\nmodel = "fake-model"\ninput = 2.0\noutput = 10.0\nbatch_discount = 0.5\n',
        encoding="utf-8",
    )
    llm_env.push(completion(good_answer, prompt_tokens=1000, completion_tokens=500))
    out = tmp_path / "out.jsonl"
    paths = article_files(tmp_path, seed_text, 1)
    result = _run([*paths, "-o", str(out), "--no-progress", "--prices", str(prices)])
    assert result.exit_code == 0, result.output
    assert _lines(out)[0]["result"]["meta"]["cost_usd"] == pytest.approx(0.0035)


@pytest.mark.parametrize("end", ["expired", "failed"])
def test_expired_or_failed_batch(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer, end: str
) -> None:
    llm_env.batch_api.script = ["validating", "in_progress", end]
    llm_env.batch_api.expire_after = 1  # an expired batch still answered its first line
    llm_env.push(completion(good_answer))
    out = tmp_path / "out.jsonl"
    result = _run([*article_files(tmp_path, seed_text, 2), "-o", str(out), "--no-progress"])
    assert result.exit_code == EXIT_SOME_FAILED, result.output
    lines = _lines(out)
    failed = [line for line in lines if "error" in line]
    if end == "expired":
        assert len(failed) == 1 and "expired" in failed[0]["error"]["message"]
    else:
        assert len(failed) == 2
        assert all(
            "batch_1 failed: fake: the batch failed" in f["error"]["message"] for f in failed
        )


def test_an_error_line_is_a_failed_article(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    llm_env.push(Reply(action="error", body="the model is overloaded"), completion(good_answer))
    out = tmp_path / "out.jsonl"
    result = _run([*article_files(tmp_path, seed_text, 2), "-o", str(out), "--no-progress"])
    assert result.exit_code == EXIT_SOME_FAILED, result.output
    lines = _lines(out)
    failed = [line for line in lines if "error" in line]
    assert len(failed) == 1 and len(lines) == 2
    assert "could not run this request: the model is overloaded" in failed[0]["error"]["message"]


def test_invalid_answer_is_reasked_synchronously(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer, bad_answer: Answer
) -> None:
    llm_env.push(completion(bad_answer), completion(good_answer))  # batch answer, then re-ask
    out = tmp_path / "out.jsonl"
    result = _run([*article_files(tmp_path, seed_text, 1), "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    (line,) = _lines(out)
    assert line["result"]["meta"]["attempts"] == 2 and line["result"]["meta"]["requests"] == 2
    (reask,) = llm_env.requests  # one synchronous request: the re-ask
    text = json.dumps(reask.body["messages"])
    assert "North Korea has declared war on Europe" in text  # the bad answer went back


def test_no_reask_writes_a_failed_line(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, bad_answer: Answer
) -> None:
    llm_env.push(completion(bad_answer))
    out = tmp_path / "out.jsonl"
    args = [*article_files(tmp_path, seed_text, 1), "-o", str(out), "--no-progress", "--no-reask"]
    result = _run(args)
    assert result.exit_code == EXIT_SOME_FAILED, result.output
    (line,) = _lines(out)
    assert line["error"]["type"] == "ValidationFailed" and not llm_env.requests


def test_resume_after_interruption_never_submits_twice(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    paths = article_files(tmp_path, seed_text, 2)
    out = tmp_path / "out.jsonl"
    settings = resolve_settings()
    polls: list[float] = []

    async def interrupted(seconds: float) -> None:
        polls.append(seconds)
        raise KeyboardInterrupt

    options = ProviderOptions(sleep=interrupted)
    err = io.StringIO()
    code = run_command(settings, paths, out, provider=options, err=err, progress=False)
    assert code == EXIT_INTERRUPTED and polls
    saved = json.loads(state_path(out).read_text(encoding="utf-8"))
    assert saved["batch_id"] == "batch_1"
    llm_env.push(completion(good_answer), completion(good_answer))

    async def no_wait(seconds: float) -> None:
        return None

    err = io.StringIO()
    options = ProviderOptions(sleep=no_wait)
    code = run_command(settings, paths, out, provider=options, err=err, progress=False)
    assert code == 0, err.getvalue()
    assert "resuming provider batch batch_1" in err.getvalue()
    assert llm_env.batch_api.created == 1  # never paid twice
    assert len([line for line in _lines(out) if "result" in line]) == 2
    assert not state_path(out).exists()


def test_read_responses_validates_a_finished_output_file(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    """The vLLM run_batch round trip: write the requests, answer them elsewhere, read."""
    paths = article_files(tmp_path, seed_text, 2)
    requests = tmp_path / "requests.jsonl"
    assert _run([*paths, "--write-requests", str(requests)]).exit_code == 0
    answers = tmp_path / "responses.jsonl"
    with answers.open("w", encoding="utf-8") as fh:
        for n, line in enumerate(_lines(requests)):
            response = {"status_code": 200, "request_id": f"r{n}", "body": completion(good_answer)}
            record = {"id": f"vllm-{n}", "custom_id": line["custom_id"], "response": response}
            fh.write(json.dumps({**record, "error": None}) + "\n")
    out = tmp_path / "out.jsonl"
    result = _run([*paths, "--read-responses", str(answers), "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert len([line for line in _lines(out) if "result" in line]) == 2
    assert not llm_env.requests and llm_env.batch_api.created == 0
