"""Per-call CPU cuts keep behaviour: the SDK's post sends what ``create`` sends, and the
memoized async-validator check refuses what instructor's own refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import openai
import pytest
from instructor.v2.validation.async_validators import async_field_validator
from pydantic import BaseModel

from summarizer import Summarizer
from summarizer.engines.llm.chat import chat_completions
from summarizer.engines.llm.instructor_patch import (
    memoize_async_validator_check,
    memoized_check,
)
from summarizer.testing.fake_openai import FakeOpenAI, Recorded, completion
from tests.conftest import SENTINEL_KEY

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "ArticleSummary",
            "description": "A summary.",
            "parameters": {"type": "object", "properties": {"tldr": {"type": "string"}}},
        },
    }
]
CHOICE = {"type": "function", "function": {"name": "ArticleSummary"}}
REASK = [
    {"role": "system", "content": "Summarize."},
    {"role": "user", "content": "The article \u201cquoted\u201d \u2014 text."},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "ArticleSummary", "arguments": '{"tldr": 1}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "name": "ArticleSummary", "content": "fix it"},
]
BODIES: dict[str, dict[str, Any]] = {
    "tools": {
        "model": "fake-model",
        "messages": REASK[:2],
        "tools": TOOLS,
        "tool_choice": CHOICE,
        "temperature": 0.0,
        "max_tokens": 900,
        "seed": 7,
    },
    "re-ask": {"model": "fake-model", "messages": REASK, "tools": TOOLS, "tool_choice": CHOICE},
    "json_schema": {
        "model": "fake-model",
        "messages": REASK[:2],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "S", "schema": {"type": "object"}, "strict": False},
        },
        "top_p": 0.5,
    },
    "not given": {
        "model": "fake-model",
        "messages": REASK[:2],
        "seed": openai.NOT_GIVEN,
        "top_p": openai.omit,
        "timeout": openai.NOT_GIVEN,
    },
    "extras": {
        "model": "fake-model",
        "messages": REASK[:2],
        "extra_headers": {"X-Team": "news"},
        "extra_query": {"api-version": "2024-06-01"},
        "extra_body": {"reasoning_effort": "low"},
        "timeout": 5.0,
    },
}


def _sent(fake: FakeOpenAI, call: Callable[[], Any]) -> Recorded:
    fake.push(completion({"tldr": "One sentence here."}))
    before = len(fake.requests)
    asyncio.run(call())
    assert len(fake.requests) == before + 1
    return fake.requests[-1]


@pytest.mark.parametrize("case", list(BODIES))
def test_the_post_sends_what_create_sends(fake: FakeOpenAI, case: str) -> None:
    def both(make: Callable[[openai.AsyncOpenAI], Any]) -> Recorded:
        async def go() -> Any:
            async with openai.AsyncOpenAI(
                base_url=fake.url, api_key=SENTINEL_KEY, max_retries=0
            ) as client:
                return await make(client)(**dict(BODIES[case]))

        return _sent(fake, go)

    via_sdk = both(lambda client: client.chat.completions.create)
    via_post = both(chat_completions)
    assert via_post.path == via_sdk.path
    assert via_post.body == via_sdk.body
    volatile = {"x-stainless-retry-count", "x-stainless-read-timeout"}
    assert {k: v for k, v in via_post.headers.items() if k not in volatile} == {
        k: v for k, v in via_sdk.headers.items() if k not in volatile
    }
    assert via_post.headers["authorization"] == f"Bearer {SENTINEL_KEY}"


def test_a_pydantic_response_format_still_meets_the_sdks_check(fake: FakeOpenAI) -> None:
    class Shape(BaseModel):
        tldr: str

    async def go() -> None:
        async with openai.AsyncOpenAI(base_url=fake.url, api_key=SENTINEL_KEY) as client:
            await chat_completions(client)(model="m", messages=REASK[:2], response_format=Shape)

    with pytest.raises(TypeError, match="parse"):
        asyncio.run(go())
    assert fake.requests == []


def test_summarize_skips_the_sdks_body_transform(
    fake: FakeOpenAI,
    seed_text: str,
    good_answer: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openai.resources.chat.completions.completions as sdk

    calls: list[object] = []
    original = vars(sdk)["async_maybe_transform"]

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return await original(*args, **kwargs)

    monkeypatch.setattr(sdk, "async_maybe_transform", counted)
    fake.push(completion({"tldr": 3}), completion(good_answer))  # one re-ask
    s = Summarizer(base_url=fake.url, api_key=SENTINEL_KEY, model="fake-model", cache=False)
    result = s.summarize(seed_text)
    assert result.meta.attempts == 2
    assert calls == []
    assert fake.requests[1].body["messages"][-1]["role"] == "tool"


class _Async(BaseModel):
    name: str

    @async_field_validator("name")
    async def _check(self, v: str) -> str:
        return v


class _Nested(BaseModel):
    inner: list[_Async]


class _Plain(BaseModel):
    name: str


def test_memoized_check_walks_a_class_once_and_refuses_every_time() -> None:
    from instructor.v2.validation.async_validators import reject_async_validators

    walks: list[Any] = []

    def original(model: Any) -> None:
        walks.append(model)
        reject_async_validators(model)

    check = memoized_check(original)
    check(_Plain)
    check(_Plain)
    assert walks == [_Plain]
    for _ in range(2):
        with pytest.raises(ValueError, match="async validators"):
            check(_Nested)
    expected: list[Any] = [_Plain, _Nested, _Nested]
    assert walks == expected
    check(list[_Plain])  # not a class: walked every time
    check(list[_Plain])
    assert walks[-2:] == [list[_Plain], list[_Plain]]


def test_the_memoized_check_is_what_instructor_calls() -> None:
    import instructor.v2.core.patch as patch
    import instructor.v2.validation.async_validators as checks

    assert memoize_async_validator_check()
    assert memoize_async_validator_check()  # idempotent
    assert checks.reject_async_validators is vars(patch)["reject_async_validators"]
    assert getattr(checks.reject_async_validators, "__wrapped__", None) is not None
    with pytest.raises(ValueError, match="async validators"):
        checks.reject_async_validators(_Nested)
