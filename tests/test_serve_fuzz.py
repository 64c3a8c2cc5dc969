"""Schemathesis against the OpenAPI schema, in-process: nothing a client sends is a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from summarizer.config import resolve_settings  # noqa: E402
from summarizer.serve.app import create_app  # noqa: E402
from summarizer.serve.config import ServeConfig, ServeOptions  # noqa: E402
from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion  # noqa: E402
from tests.routing import route  # noqa: E402
from tests.serving import SERVER_KEY, auth  # noqa: E402

EXAMPLES = 12  # per operation and auth state: the whole file stays well under a minute


def _app(tmp_path: Path, **flags: Any) -> Any:
    from pydantic import SecretStr

    config = ServeConfig(
        resolve_settings(**flags),
        ServeOptions(max_body=200_000, max_job_items=50).check(),
        (SecretStr(SERVER_KEY),),
        tmp_path / "state",
    )
    return create_app(config)


@pytest.fixture
def extractive_schema(tmp_path: Path) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", _app(tmp_path, engine="extractive"))


@pytest.fixture
def llm_schema(tmp_path: Path, llm_env: FakeOpenAI, good_answer: dict[str, Any]) -> Iterator[Any]:
    route(llm_env, lambda body: Reply(200, completion(good_answer)))
    yield schemathesis.openapi.from_asgi("/openapi.json", _app(tmp_path, cache=False))


def _check(case: Any, authorized: bool) -> None:
    response = case.call(headers=auth() if authorized else None)
    assert response.status_code != 500, (case.method, case.path, response.text[:500])
    assert response.status_code < 600
    if response.status_code >= 400:
        ctype = response.headers.get("content-type") or [""]
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith("application/problem+json"), (case.path, response.status_code)
        assert response.json()["status"] == response.status_code


def _fuzz(schema: Any, authorized: bool, examples: int = EXAMPLES) -> int:
    """Every operation, ``examples`` generated cases each; returns how many were sent."""
    from hypothesis import given

    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            nonlocal sent
            sent += 1
            _check(case, authorized)

        run()
    return sent


def test_extractive_never_500(extractive_schema: Any) -> None:
    assert _fuzz(extractive_schema, authorized=True) >= 8 * EXAMPLES // 2


def test_without_a_key_never_500(extractive_schema: Any) -> None:
    assert _fuzz(extractive_schema, authorized=False, examples=3) >= 8


def test_llm_never_500(llm_schema: Any) -> None:
    assert _fuzz(llm_schema, authorized=True) >= 8 * EXAMPLES // 2
