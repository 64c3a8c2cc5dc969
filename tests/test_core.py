"""The core slice through the library API: instructor really runs against a fake server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from summarizer import ArticleSummary, Summarizer, summarize
from summarizer.engines.llm.engine import LLMEngine
from summarizer.errors import ConfigError, InputError, ValidationFailed
from summarizer.grounding import find_span
from summarizer.prompts import load_prompts
from summarizer.schema import schema_hash
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import SENTINEL_KEY


def _llm(fake: FakeOpenAI, **kw: Any) -> Summarizer:
    return Summarizer(
        base_url=fake.url, api_key=SENTINEL_KEY, model="fake-model", cache=False, **kw
    )


def test_happy_path_on_seed(fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]) -> None:
    fake.push(completion(good_answer, prompt_tokens=1200, completion_tokens=400))
    result = _llm(fake).summarize(seed_text)

    assert isinstance(result.summary, ArticleSummary)
    assert result.summary.tldr == good_answer["tldr"]
    assert [a.name for a in result.summary.actors][:2] == ["Andrii Sybiha", "Jean-Noël Barrot"]
    # offsets are added by the library and point at the quote in the original article
    for stance in result.summary.stances:
        assert len(stance.evidence_spans) == len(stance.evidence)
        for span in stance.evidence_spans:
            assert span.end > span.start
            assert find_span(seed_text[span.start : span.end], span.quote) is not None
    meta = result.meta
    assert meta.engine == "llm" and meta.model == "fake-model" and meta.mode == "tools"
    assert meta.endpoint == fake.url
    assert meta.attempts == 1 and meta.requests == 1 and meta.cache_hit is False
    assert meta.usage.total_tokens == 1600
    assert meta.prompt_hash == load_prompts().hash and meta.schema_hash == schema_hash()

    # The request: system prompt first, the article delimited in the user turn, forced tool.
    body = fake.requests[0].body
    assert fake.requests[0].path == "/v1/chat/completions"
    assert body["model"] == "fake-model" and body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "<article>\n" + seed_text.strip() + "\n</article>" in body["messages"][1]["content"]
    assert body["tool_choice"]["function"]["name"] == "ArticleSummary"
    assert "evidence_spans" not in json.dumps(body["tools"])  # the model never counts


def test_fabricated_quote_is_reasked_with_the_validation_message(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], bad_answer: dict[str, Any]
) -> None:
    fake.push(
        completion(bad_answer, prompt_tokens=1000, completion_tokens=300),
        completion(good_answer, prompt_tokens=1400, completion_tokens=350),
    )
    result = _llm(fake, max_retries=2).summarize(seed_text)

    assert len(fake.requests) == 2
    assert result.meta.attempts == 2
    assert result.meta.usage.total_tokens == 1000 + 300 + 1400 + 350  # failed attempt counted
    reask = fake.requests[1].body["messages"]
    feedback = " ".join(str(m.get("content") or "") for m in reask[2:])
    assert "North Korea has declared war on Europe" in feedback
    assert "is not in the article" in feedback and "character-for-character" in feedback


def test_reasks_exhausted_is_a_clear_error(
    fake: FakeOpenAI, seed_text: str, bad_answer: dict[str, Any]
) -> None:
    fake.push(*[completion(bad_answer) for _ in range(3)])
    with pytest.raises(ValidationFailed) as info:  # strict: no item is dropped
        _llm(fake, max_retries=1, strict=True).summarize(seed_text)
    assert len(fake.requests) == 2  # first answer + one re-ask
    message = str(info.value)
    assert "\n" not in message
    assert "2 attempt(s)" in message and "not in the article" in message
    assert info.value.__cause__ is not None  # chained


def test_stance_actor_must_be_listed(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    bad = json.loads(json.dumps(good_answer))
    bad["stances"][0]["actor"] = "Emmanuel Macron"
    fake.push(completion(bad), completion(good_answer))
    result = _llm(fake).summarize(seed_text)
    assert result.meta.attempts == 2
    assert "is not a listed actor" in json.dumps(fake.requests[1].body["messages"])


def test_alias_as_stance_actor_is_canonicalized(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    answer = json.loads(json.dumps(good_answer))
    answer["stances"][0]["actor"] = "sybiha"
    fake.push(completion(answer))
    result = _llm(fake).summarize(seed_text)
    assert result.summary.stances[0].actor == "Andrii Sybiha"
    assert result.meta.attempts == 1


@pytest.mark.parametrize("mode", ["json", "md_json", "json_schema"])
def test_other_modes(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], mode: str
) -> None:
    content_mode = "md_json" if mode == "md_json" else "json"
    fake.push(completion(good_answer, mode=content_mode))
    result = _llm(fake, mode=mode).summarize(seed_text)
    assert result.meta.mode == mode
    assert result.summary.tldr == good_answer["tldr"]
    body = fake.requests[0].body
    assert "tools" not in body
    if mode == "json_schema":
        assert body["response_format"]["type"] == "json_schema"


def test_async_summarize(fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]) -> None:
    fake.push(completion(good_answer))
    result = asyncio.run(_llm(fake).asummarize(seed_text))
    assert result.summary.stances[1].position == "deny"
    assert result.meta.attempts == 1


def test_summarize_function_reads_env(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    llm_env.push(completion(good_answer))
    result = summarize(seed_text, cache=False)
    assert result.meta.model == "fake-model"
    assert llm_env.requests[0].headers["authorization"] == f"Bearer {SENTINEL_KEY}"


def test_llm_engine_without_endpoint_is_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        Summarizer(engine="llm")


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_input_error(text: str) -> None:
    with pytest.raises(InputError):
        Summarizer(engine="extractive").summarize(text)


def test_result_json_shape(fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]) -> None:
    fake.push(completion(good_answer))
    data = _llm(fake).summarize(seed_text).to_dict()
    assert set(data) == {
        "tldr",
        "summary",
        "key_points",
        "actors",
        "stances",
        "open_questions",
        "meta",
    }
    assert set(data["stances"][0]) == {"actor", "target", "position", "evidence", "evidence_spans"}
    assert SENTINEL_KEY not in json.dumps(data)


def test_summarizer_is_a_context_manager(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    fake.push(*[completion(good_answer) for _ in range(3)])
    with _llm(fake) as s:
        assert s.summarize(seed_text).meta.attempts == 1
        engine = s.engine
        assert isinstance(engine, LLMEngine) and engine.open_clients == 1
        assert s.summarize(seed_text + "\nMore.").meta.attempts == 1
        assert engine.open_clients == 1  # one HTTP client per engine and loop, reused
    assert engine.open_clients == 0  # closed on exit

    async def run() -> None:
        async with _llm(fake) as a:
            await a.asummarize(seed_text)
            assert isinstance(a.engine, LLMEngine) and a.engine.open_clients == 1
        assert isinstance(a.engine, LLMEngine) and a.engine.open_clients == 0

    asyncio.run(run())
