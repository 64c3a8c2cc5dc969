"""Salvage (issue 16, part 2): after the re-asks, list items that still fail are dropped
and named in meta.warnings; --strict fails instead; format slips are mended, never re-asked."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer import Summarizer
from summarizer.cli import app
from summarizer.errors import ValidationFailed
from summarizer.testing import FunctionModel, ModelRequest
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import SENTINEL_KEY


def _llm(fake: FakeOpenAI, **kw: Any) -> Summarizer:
    options: dict[str, Any] = {"cache": False, **kw}
    return Summarizer(base_url=fake.url, api_key=SENTINEL_KEY, model="fake-model", **options)


def _with(answer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(answer)
    out.update(changes)
    return out


def test_a_stance_that_still_fails_is_dropped_and_named(
    fake: FakeOpenAI, seed_text: str, bad_answer: dict[str, Any]
) -> None:
    fake.push(completion(bad_answer), completion(bad_answer))
    result = _llm(fake, max_retries=1).summarize(seed_text)

    assert len(fake.requests) == 2  # the re-ask was still sent: salvage comes after it
    stances = [(s.actor, s.target) for s in result.summary.stances]
    assert ("Andrii Sybiha", "North Korean troops in Russia's war") not in stances
    assert len(stances) == len(bad_answer["stances"]) - 1
    assert result.meta.dropped == 1
    [warning] = [w for w in result.meta.warnings if w.startswith("dropped")]
    assert "stance of 'Andrii Sybiha'" in warning
    assert "North Korea has declared war on Europe" in warning and "not in the article" in warning
    assert "Copy the passage" not in warning  # what was wrong, not the advice to the model


def test_the_first_answer_is_re_asked_not_salvaged(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], bad_answer: dict[str, Any]
) -> None:
    fake.push(completion(bad_answer), completion(good_answer))
    result = _llm(fake, max_retries=1).summarize(seed_text)
    assert len(fake.requests) == 2
    assert result.meta.dropped == 0 and result.meta.warnings == []
    assert len(result.summary.stances) == len(good_answer["stances"])


def test_strict_keeps_the_failure(
    fake: FakeOpenAI, seed_text: str, bad_answer: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.push(completion(bad_answer), completion(bad_answer))
    with pytest.raises(ValidationFailed, match="not in the article"):
        _llm(fake, max_retries=1, strict=True).summarize(seed_text)
    monkeypatch.setenv("SUMMARIZER_STRICT", "1")
    fake.push(completion(bad_answer))
    with pytest.raises(ValidationFailed):
        _llm(fake, max_retries=0).summarize(seed_text)


def test_an_actor_not_in_the_text_goes_with_its_stances(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    answer = copy.deepcopy(good_answer)
    answer["actors"].append({"name": "Emmanuel Macron", "type": "person", "role": "president"})
    answer["stances"].append(
        {
            "actor": "Emmanuel Macron",
            "target": "the war",
            "position": "concern",
            "evidence": ["This is a huge threat of further escalation"],
        }
    )
    answer["open_questions"][0]["related_actors"].append("Emmanuel Macron")
    fake.push(completion(answer))
    result = _llm(fake, max_retries=0).summarize(seed_text)

    assert "Emmanuel Macron" not in [a.name for a in result.summary.actors]
    assert all(s.actor != "Emmanuel Macron" for s in result.summary.stances)
    assert result.summary.open_questions[0].related_actors == [
        "North Korea",
        "Russia",
        "Mark Rutte",
    ]
    assert result.meta.dropped == 3  # the actor, its stance, the related actor
    dropped = [w for w in result.meta.warnings if w.startswith("dropped")]
    assert any("actor 'Emmanuel Macron'" in w and "does not appear" in w for w in dropped)
    assert any("stance of 'Emmanuel Macron'" in w and "not a listed actor" in w for w in dropped)
    assert any("related actor 'Emmanuel Macron'" in w for w in dropped)


def test_a_salvaged_result_is_not_cached(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], bad_answer: dict[str, Any]
) -> None:
    with _llm(fake, max_retries=0, cache=True) as summarizer:
        fake.push(completion(bad_answer))
        assert summarizer.summarize(seed_text).meta.dropped == 1
        fake.push(completion(good_answer))
        again = summarizer.summarize(seed_text)  # tried again, not served from the cache
        assert len(fake.requests) == 2 and not again.meta.cache_hit and again.meta.dropped == 0
        assert summarizer.summarize(seed_text).meta.cache_hit  # the full answer is cached


def test_an_error_in_the_top_level_fields_still_fails(
    fake: FakeOpenAI, seed_text: str, bad_answer: dict[str, Any]
) -> None:
    answer = _with(bad_answer, key_points=["only one point"])
    fake.push(completion(answer))
    with pytest.raises(ValidationFailed, match="key_points"):
        _llm(fake, max_retries=0).summarize(seed_text)


def test_a_two_sentence_tldr_is_mended_without_a_re_ask(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    extra = "Moscow and Pyongyang deny it."
    answer = _with(good_answer, tldr=f"{good_answer['tldr']} {extra}")
    with _llm(fake, max_retries=2, cache=True) as summarizer:
        fake.push(completion(answer))
        result = summarizer.summarize(seed_text)
        assert len(fake.requests) == 1 and result.meta.attempts == 1
        assert result.summary.tldr == good_answer["tldr"]
        assert result.summary.summary == f"{extra} {good_answer['summary']}"
        assert result.meta.dropped == 0
        assert any("tldr had more than one sentence" in w for w in result.meta.warnings)
        # a mended answer is the same answer every time: it is cached, note included
        hit = summarizer.summarize(seed_text)
        assert hit.meta.cache_hit and hit.meta.warnings == result.meta.warnings


def test_a_mend_noted_for_a_failed_answer_is_not_reported(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], bad_answer: dict[str, Any]
) -> None:
    first = _with(bad_answer, tldr=f"{bad_answer['tldr']} Moscow denies it.")
    fake.push(completion(first), completion(good_answer))
    result = _llm(fake, max_retries=1).summarize(seed_text)
    assert result.meta.attempts == 2 and result.meta.warnings == []


def test_function_model_salvages_like_the_http_engine(
    seed_text: str, bad_answer: dict[str, Any]
) -> None:
    def model(request: ModelRequest) -> dict[str, Any]:
        return bad_answer

    engine = FunctionModel(model)
    with Summarizer(engine_impl=engine, cache=False) as summarizer:
        result = summarizer.summarize(seed_text)
    assert len(engine.requests) == 3  # max_retries 2: the last of three answers is salvaged
    assert result.meta.dropped == 1


def test_cli_exit_codes(
    llm_env: FakeOpenAI, seed_path: Any, bad_answer: dict[str, Any], tmp_path: Any
) -> None:
    runner = CliRunner()
    llm_env.push(completion(bad_answer))
    ok = runner.invoke(app, ["summarize", str(seed_path), "--max-retries", "0", "--no-cache"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["meta"]["dropped"] == 1
    llm_env.push(completion(bad_answer))
    strict = runner.invoke(
        app, ["summarize", str(seed_path), "--max-retries", "0", "--no-cache", "--strict"]
    )
    assert strict.exit_code == ValidationFailed.exit_code == 10


def test_a_dropped_item_never_carries_the_key(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    """The warning quotes the model; a model that echoes the key must not put it in output."""
    bad = copy.deepcopy(good_answer)
    bad["stances"][0]["evidence"] = [f"my key is {SENTINEL_KEY}"]
    fake.push(completion(bad))
    result = _llm(fake, max_retries=0).summarize(seed_text)
    assert result.meta.dropped == 1
    assert SENTINEL_KEY not in json.dumps(result.to_dict())
    assert any("my key is ***" in w for w in result.meta.warnings)


def test_strict_mends_nothing_either(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    """--strict is the all-or-nothing validation of before: a two-sentence tldr is re-asked."""
    answer = _with(good_answer, tldr=f"{good_answer['tldr']} Moscow denies it.")
    fake.push(completion(answer), completion(good_answer))
    result = _llm(fake, max_retries=1, strict=True).summarize(seed_text)
    assert len(fake.requests) == 2 and result.meta.warnings == []
    assert "exactly one sentence" in json.dumps(fake.requests[1].body["messages"][2:])


def test_the_service_salvages_too(
    llm_env: FakeOpenAI, tmp_path: Any, seed_text: str, bad_answer: dict[str, Any]
) -> None:
    from tests.serving import client

    llm_env.push(completion(bad_answer))
    with client(tmp_path) as c:
        r = c.post("/v1/summaries", json={"text": seed_text, "options": {"max_retries": 0}})
    assert r.status_code == 200
    assert r.json()["meta"]["dropped"] == 1
