"""The library never prints, and nothing it logs (or lets instructor log) carries a key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion, error_body
from tests.conftest import SENTINEL_KEY

#: A library user's script: the key given in code, no logging configured (or root's).
SCRIPT = """
import logging, sys
if sys.argv[3] == "root":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from summarizer import Summarizer
from summarizer.errors import SummarizerError
s = Summarizer(base_url=sys.argv[1], api_key=sys.argv[2], model="m", cache=False,
               transport_retries=0)
try:
    s.summarize(open(sys.argv[4], encoding="utf-8").read())
except SummarizerError as exc:
    print("caught", type(exc).__name__)
"""


def _run(fake: FakeOpenAI, seed_path: Path, logging_mode: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, fake.url, SENTINEL_KEY, logging_mode, str(seed_path)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _echoing_error() -> Reply:
    # a server that quotes the key back in its error text, as some proxies do
    return Reply(400, error_body(f"invalid request from key {SENTINEL_KEY}: model unknown"))


def test_a_library_user_without_logging_sees_nothing_on_stderr(
    fake: FakeOpenAI, seed_path: Path
) -> None:
    fake.push(_echoing_error())
    proc = _run(fake, seed_path, "none")
    assert proc.stdout.strip() == "caught ProviderError"
    assert proc.stderr == ""  # instructor's ERROR records found a NullHandler, not stderr


def test_a_library_user_with_root_logging_never_sees_the_key(
    fake: FakeOpenAI, seed_path: Path
) -> None:
    fake.push(_echoing_error())
    proc = _run(fake, seed_path, "root")
    assert proc.stdout.strip() == "caught ProviderError"
    assert "instructor" in proc.stderr  # their records still reach the user's handler...
    assert SENTINEL_KEY not in proc.stderr and SENTINEL_KEY[:12] not in proc.stderr  # ...clean


def test_verbose_reask_lines_blank_a_key_the_model_wrote(
    fake: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any]
) -> None:
    leaky = json.loads(json.dumps(good_answer))
    leaky["stances"][0]["evidence"] = [f"the key is {SENTINEL_KEY}"]
    fake.push(completion(leaky), completion(good_answer))
    result = CliRunner().invoke(
        app,
        ["summarize", str(seed_path), "--no-cache", "-v", "--base-url", fake.url],
        env={"SUMMARIZER_API_KEY": SENTINEL_KEY},
    )
    assert result.exit_code == 0, result.stderr
    reasks = [line for line in result.stderr.splitlines() if "validation re-ask" in line]
    assert len(reasks) == 1
    assert SENTINEL_KEY not in result.stderr and SENTINEL_KEY[:12] not in result.stderr
