"""Library misuse and untrusted servers end in the library's own errors, never another."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from summarizer import Summarizer
from summarizer.errors import ConfigError, InputError, ProviderError, ValidationFailed
from summarizer.secrets import redact
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import SENTINEL_KEY


def _llm(fake: FakeOpenAI, **extra: Any) -> Summarizer:
    return Summarizer(base_url=fake.url, model="fake-model", cache=False, **extra)


# -- wrong arguments --------------------------------------------------------------------------
@pytest.mark.parametrize("title", [42, b"bytes", ["a list"]])
def test_a_title_that_is_not_text_is_an_input_error(seed_text: str, title: Any) -> None:
    with pytest.raises(InputError, match="title must be a str"):
        Summarizer(engine="extractive").summarize(seed_text, title=title)


@pytest.mark.parametrize("where", ["article", "title"])
def test_a_lone_surrogate_is_an_input_error(seed_text: str, where: str) -> None:
    text, title = (seed_text + " \ud800", None) if where == "article" else (seed_text, "T \udfff")
    with pytest.raises(InputError, match=f"{where} contains a lone surrogate"):
        Summarizer(engine="extractive").summarize(text, title=title)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"temperature": "hot"}, "temperature"),
        ({"max_retries": [1]}, "max-retries"),
        ({"timeout": -1}, "timeout must be positive"),
        ({"engine": "gpt"}, "unknown engine"),
        ({"colour": "blue"}, "unknown setting"),
    ],
)
def test_wrongly_typed_settings_are_config_errors(kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        Summarizer(**kwargs)


def test_settings_of_the_wrong_kind_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"must be a summarizer\.Settings"):
        Summarizer({"model": "x"})  # type: ignore[arg-type]


@pytest.mark.parametrize("concurrency", [0, -2, "8", 2.5])
def test_a_bad_concurrency_is_a_config_error(seed_text: str, concurrency: Any) -> None:
    with pytest.raises(ConfigError, match="concurrency"):
        list(Summarizer(engine="extractive").summarize_many([seed_text], concurrency=concurrency))


def test_summarize_many_inside_a_running_loop_is_a_config_error(seed_text: str) -> None:
    async def inside() -> None:
        list(Summarizer(engine="extractive").summarize_many([seed_text]))

    with pytest.raises(ConfigError, match="asummarize_many"):
        asyncio.run(inside())


# -- untrusted servers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": -5000, "completion_tokens": 10, "total_tokens": -4990},
        {"prompt_tokens": "100", "completion_tokens": 10, "total_tokens": 110},
        {"prompt_tokens": 1.5, "completion_tokens": 10, "total_tokens": 11},
        "lots",
    ],
)
def test_impossible_token_counts_are_a_provider_error_and_not_cached(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], usage: Any
) -> None:
    body = completion(good_answer)
    body["usage"] = usage
    fake.push(body)
    s = Summarizer(base_url=fake.url, model="fake-model", token_budget=1000)
    with pytest.raises(ProviderError, match="token"):
        s.summarize(seed_text)
    assert len(fake.requests) == 1  # not retried, not re-asked
    s.close()


def test_a_huge_invalid_answer_is_not_resent_in_a_reask(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    huge = copy.deepcopy(good_answer)
    huge["summary"] = "x " * 200_000  # far more than max_tokens allows
    fake.push(completion(huge), completion(good_answer))
    with pytest.raises(ProviderError, match="more than --max-tokens"):
        _llm(fake, max_tokens=1024).summarize(seed_text)
    assert len(fake.requests) == 1
    fake.queue.clear()


def test_an_ordinary_invalid_answer_is_still_reasked(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], bad_answer: dict[str, Any]
) -> None:
    fake.push(completion(bad_answer), completion(bad_answer))
    with pytest.raises(ValidationFailed):
        _llm(fake, max_retries=1, strict=True).summarize(seed_text)
    assert len(fake.requests) == 2


def test_the_base_url_query_is_sent_as_a_query_not_mangled_into_the_path(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    fake.push(completion(good_answer))
    result = Summarizer(
        base_url=f"{fake.url}?api-version=2024-10-21", model="m", cache=False
    ).summarize(seed_text)
    assert fake.requests[0].path == "/v1/chat/completions?api-version=2024-10-21"
    assert result.meta.endpoint == fake.url and "api-version" not in json.dumps(result.to_dict())


# -- redaction --------------------------------------------------------------------------------
def test_a_short_key_is_blanked_only_as_a_whole_word() -> None:
    text = "abc failed: key abc rejected; abcdef and xabc stay"
    assert redact(text, ["abc"]) == "*** failed: key *** rejected; abcdef and xabc stay"


def test_a_long_key_and_its_echoed_prefix_are_blanked_anywhere() -> None:
    text = f"got {SENTINEL_KEY}; OpenAI says {SENTINEL_KEY[:12]}****cdef and x{SENTINEL_KEY}y"
    clean = redact(text, [SENTINEL_KEY])
    assert SENTINEL_KEY not in clean and SENTINEL_KEY[:12] not in clean
