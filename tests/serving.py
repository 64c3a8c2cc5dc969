"""Helpers for the server tests: an app on the test's state dir, its TestClient."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from summarizer.config import resolve_settings
from summarizer.serve.app import create_app
from summarizer.serve.config import ServeConfig, ServeOptions

SERVER_KEY = "srv-SENTINEL-token-0123456789abcdef"


def client(
    tmp_path: Path,
    *,
    keys: tuple[str, ...] = (),
    clock: Callable[[], float] | None = None,
    flags: dict[str, Any] | None = None,
    **options: Any,
) -> TestClient:
    settings = resolve_settings(**(flags or {}))
    config = ServeConfig(
        settings,
        ServeOptions(**options).check(),
        tuple(SecretStr(k) for k in keys),
        tmp_path / "state",
    )
    app = create_app(config, clock=clock) if clock else create_app(config)
    return TestClient(app, raise_server_exceptions=False)


def auth(token: str = SERVER_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
