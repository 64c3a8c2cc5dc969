"""The CLI: thin, documented exit codes, one-line errors, JSON that matches schemas/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from summarizer import __version__
from summarizer.cli import app
from summarizer.errors import ConfigError, InputError, ValidationFailed
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import ROOT, SENTINEL_KEY

runner = CliRunner()


def _run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def test_version() -> None:
    result = _run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"summarizer {__version__}"


def test_help_lists_commands() -> None:
    result = _run("--help")
    assert result.exit_code == 0
    for cmd in ("summarize", "schema", "cache"):
        assert cmd in result.stdout


def test_summarize_json_validates_against_committed_schema(
    llm_env: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer))
    result = _run("summarize", str(seed_path), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    schema = json.loads((ROOT / "schemas" / "article_summary.json").read_text())
    jsonschema.validate({k: v for k, v in data.items() if k != "meta"}, schema)
    assert data["meta"]["engine"] == "llm" and data["meta"]["cache_hit"] is False
    assert SENTINEL_KEY not in result.stdout + result.stderr


def test_flags_override_env(
    llm_env: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer))
    result = _run(
        "summarize", str(seed_path), "--model", "flag-model", "--temperature", "0.3",
        "--max-retries", "0", "--timeout", "5", "--mode", "tools", "--no-cache",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    body = llm_env.requests[0].body
    assert body["model"] == "flag-model" and body["temperature"] == 0.3
    assert json.loads(result.stdout)["meta"]["model"] == "flag-model"


def test_base_url_flag(fake: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any]) -> None:
    fake.push(completion(good_answer))
    result = _run("summarize", str(seed_path), "--base-url", fake.url, "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert len(fake.requests) == 1


def test_markdown_report(
    llm_env: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any], tmp_path: Path
) -> None:
    llm_env.push(completion(good_answer))
    out = tmp_path / "report.md"
    result = _run("summarize", str(seed_path), "--format", "markdown", "-o", str(out), "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    report = out.read_text(encoding="utf-8")
    for heading in ("## Key points", "## Actors", "## Stances", "## Open questions"):
        assert heading in report
    assert "**Kremlin**" not in report
    assert "> “This is a huge threat of further escalation" in report
    assert "| Jean-Noël Barrot | person |" in report
    # the headline (first line, no final punctuation) titles the report
    assert report.startswith(
        "# North Korean forces in Ukraine war mean “huge” risk of escalation\n"
    )


def test_stdin(llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]) -> None:
    llm_env.push(completion(good_answer))
    result = _run("summarize", "-", "--no-cache", input=seed_text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tldr"] == good_answer["tldr"]


def test_no_endpoint_is_one_line_and_exit_code(seed_path: Path) -> None:
    result = _run("summarize", str(seed_path), "--engine", "llm")
    assert result.exit_code == ConfigError.exit_code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "OPENAI_API_KEY" in lines[0] and "--base-url" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_verbose_shows_traceback(seed_path: Path) -> None:
    result = _run("summarize", str(seed_path), "--engine", "llm", "-v")
    assert result.exit_code == ConfigError.exit_code
    assert "Traceback" in result.stderr


def test_reasks_exhausted_exit_code(
    llm_env: FakeOpenAI, seed_path: Path, bad_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(bad_answer), completion(bad_answer))
    result = _run("summarize", str(seed_path), "--max-retries", "1", "--no-cache", "--strict")
    assert result.exit_code == ValidationFailed.exit_code
    assert len(result.stderr.strip().splitlines()) == 1
    assert "failed validation after 2 attempt(s)" in result.stderr


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "whitespace"])
def test_bad_input_one_line(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_text("")
    elif kind == "whitespace":
        path.write_text("  \n\n\t  \n")
    result = _run("summarize", str(path), "--engine", "extractive")
    assert result.exit_code == InputError.exit_code
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_flag_value_is_config_error(seed_path: Path) -> None:
    result = _run("summarize", str(seed_path), "--temperature", "9")
    assert result.exit_code == ConfigError.exit_code
    assert "temperature" in result.stderr


def test_schema_command_prints_committed_schema() -> None:
    result = _run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(
        (ROOT / "schemas" / "article_summary.json").read_text()
    )
    assert "meta" not in json.loads(result.stdout)["properties"]


def test_unwritable_output_is_one_line(seed_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.json"
    result = _run("summarize", str(seed_path), "--engine", "extractive", "-o", str(target))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "out.json" in lines[0] and "Traceback" not in result.stderr


def test_auto_engine_without_model_says_so_and_runs_extractive(seed_path: Path) -> None:
    result = _run("summarize", str(seed_path))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["meta"]["engine"] == "extractive"
    assert "no model configured" in result.stderr and "SUMMARIZER_BASE_URL" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--timeout", "nan"], {}, "timeout must be a finite number"),
        (["--deadline", "inf"], {}, "deadline must be a finite number"),
        (["--temperature", "nan"], {}, "temperature must be a finite number"),
        ([], {"SUMMARIZER_TIMEOUT": "inf"}, "timeout must be a finite number"),
        ([], {"SUMMARIZER_RETRY_MAX_WAIT": "nan"}, "retry-max-wait must be a finite number"),
        (["--base-url", "http://127.0.0.1:99999/v1"], {}, "port '99999'"),
        (["--base-url", "http://host:abc/v1"], {}, "port 'abc'"),
        ([], {"SUMMARIZER_BASE_URL": "http://127.0.0.1:99999/v1"}, "port '99999'"),
    ],
)
def test_bad_numbers_and_ports_are_one_line_config_errors(
    seed_path: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    env = {"SUMMARIZER_BASE_URL": "http://127.0.0.1:9/v1", **env}  # closed: never reached
    cmd = ["summarize", str(seed_path), "--engine", "llm", "--transport-retries", "0", *args]
    result = runner.invoke(app, cmd, env=env)
    assert result.exit_code == ConfigError.exit_code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("summarizer: error: ") and says in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_small_chunk_size_from_the_environment_runs(seed_path: Path) -> None:
    result = runner.invoke(
        app,
        ["summarize", str(seed_path), "--engine", "extractive"],
        env={"SUMMARIZER_CHUNK_TOKENS": "400"},
    )
    assert result.exit_code == 0, result.stderr
