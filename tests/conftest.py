"""Shared fixtures: every test runs offline, with state and cache dirs under tmp_path."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer.testing.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "evals" / "articles" / "000_seed_nk_troops.txt"
SEED_SHARED = ROOT.parent / "shared" / "seeds" / "000_c2546c2f973c6345.txt"
SENTINEL_KEY = "sk-test-SENTINEL-0123456789abcdef"

_ENV_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
)


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No real config, no shared cache, no network beyond loopback."""
    import os

    for var in list(os.environ):
        if var.startswith("SUMMARIZER_") or var in _ENV_VARS:
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or self.family == socket.AF_UNIX
        ):
            raise OSError(f"network blocked in tests: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    from summarizer.engines.llm.limits import reset_limits

    reset_limits()  # rate limits are process-wide: each test starts with none
    yield


def article_files(folder: Path, seed_text: str, n: int) -> list[str]:
    """``n`` distinct article files (the seed plus a numbered line) in ``folder``."""
    paths = []
    for i in range(n):
        path = folder / f"a{i}.txt"
        path.write_text(f"{seed_text}\n\nCopy {i}.", encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.fixture
def seed_text() -> str:
    path = SEED if SEED.exists() else SEED_SHARED
    return path.read_text(encoding="utf-8")


@pytest.fixture
def seed_path(seed_text: str) -> Path:
    return SEED if SEED.exists() else SEED_SHARED


@pytest.fixture
def good_answer() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "tests" / "data" / "seed_answer.json").read_text(encoding="utf-8")
    )
    data.pop("_comment", None)
    return data


@pytest.fixture
def bad_answer(good_answer: dict[str, Any]) -> dict[str, Any]:
    """The good answer with one fabricated quote."""
    bad = copy.deepcopy(good_answer)
    bad["stances"][0]["evidence"] = ["North Korea has declared war on Europe"]
    return bad


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch, fake: FakeOpenAI) -> FakeOpenAI:
    """Point the environment at the fake server, with a sentinel key."""
    monkeypatch.setenv("SUMMARIZER_BASE_URL", fake.url)
    monkeypatch.setenv("SUMMARIZER_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("SUMMARIZER_MODEL", "fake-model")
    return fake
