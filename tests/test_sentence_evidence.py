"""Cite by sentence (issue 16, part 3): the prompt numbers the article's sentences, the model
cites ids, the library copies the sentences: the result is exactly as in quote mode."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer import Summarizer
from summarizer.citations import CitedSummary, numbered_sentences, sentence_number
from summarizer.cli import app
from summarizer.errors import ValidationFailed
from summarizer.prompts import load_prompts
from summarizer.schema import ArticleSummary, schema_dict
from summarizer.sentences import split_sentences
from summarizer.testing import cite_sentences
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import SENTINEL_KEY


def _llm(fake: FakeOpenAI, **kw: Any) -> Summarizer:
    options: dict[str, Any] = {"cache": False, "evidence": "sentences", **kw}
    return Summarizer(base_url=fake.url, api_key=SENTINEL_KEY, model="fake-model", **options)


def _cited(answer: dict[str, Any], article: str) -> dict[str, Any]:
    return completion(cite_sentences(answer, article), name="CitedSummary")


def test_numbering_is_the_projects_one_splitter(seed_text: str) -> None:
    numbered = numbered_sentences(seed_text)
    split = split_sentences(seed_text)
    assert [n.text for n in numbered] == [s.text for s in split]
    assert [n.id for n in numbered][:3] == ["S1", "S2", "S3"]
    assert all(seed_text[n.start : n.end] == n.text for n in numbered)


@pytest.mark.parametrize("ref", ["S4", "s4", "[S4]", " S 4 ", "4", 4])
def test_sentence_ids_as_models_write_them(ref: Any) -> None:
    assert sentence_number(ref) == 4


def test_sentence_mode_end_to_end(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    fake.push(_cited(good_answer, seed_text))
    with _llm(fake) as summarizer:
        result = summarizer.summarize(seed_text)

    assert len(fake.requests) == 1
    body = fake.requests[0].body
    prompt = body["messages"][1]["content"]
    sentences = numbered_sentences(seed_text)
    assert f"[S1] {sentences[0].text}\n" in prompt and f"[S{len(sentences)}] " in prompt
    assert body["tool_choice"]["function"]["name"] == "CitedSummary"
    assert '"sentence"' in json.dumps(body["tools"])
    # the evidence is the cited sentence, verbatim, and its offsets point at it
    for stance in result.summary.stances:
        for text, span in zip(stance.evidence, stance.evidence_spans, strict=True):
            assert seed_text[span.start : span.end] == text
            assert any(s.start == span.start and s.end == span.end for s in sentences)
    assert result.summary.stances[0].evidence == [
        '"This is a huge threat of further escalation of Russian aggression against Ukraine," '
        "he said."
    ]
    # the same output contract as quote mode: a plain ArticleSummary
    assert type(result.summary) is ArticleSummary
    assert set(result.summary.model_dump()) == set(schema_dict()["properties"])
    assert result.meta.prompt_hash == load_prompts(None, "sentences").hash
    assert result.meta.prompt_hash != load_prompts(None, "quotes").hash


def test_a_sub_quote_inside_the_sentence_is_the_evidence(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    answer = cite_sentences(good_answer, seed_text)
    rutte = answer["stances"][2]["evidence"][0]
    rutte["quote"] = "he could not confirm reports of North Koreans actively participating"
    barrot = answer["stances"][3]["evidence"][0]
    barrot["quote"] = "a quote this sentence does not hold"
    fake.push(completion(answer, name="CitedSummary"))
    with _llm(fake) as summarizer:
        result = summarizer.summarize(seed_text)
    assert len(fake.requests) == 1
    span = result.summary.stances[2].evidence_spans[0]
    assert seed_text[span.start : span.end] == rutte["quote"]
    cited = next(s for s in numbered_sentences(seed_text) if s.id == barrot["sentence"])
    assert result.summary.stances[3].evidence == [cited.text]  # the whole sentence
    assert any("is not in that sentence" in w for w in result.meta.warnings)


def test_an_unknown_sentence_id_is_re_asked_with_the_ids_that_exist(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    bad = cite_sentences(good_answer, seed_text)
    bad["stances"][0]["evidence"] = [{"sentence": "S999"}]
    fake.push(completion(bad, name="CitedSummary"), _cited(good_answer, seed_text))
    with _llm(fake, max_retries=1) as summarizer:
        result = summarizer.summarize(seed_text)
    assert len(fake.requests) == 2 and result.meta.attempts == 2 and result.meta.dropped == 0
    feedback = json.dumps(fake.requests[1].body["messages"][2:])
    last = len(numbered_sentences(seed_text))
    assert "'S999'" in feedback and f"S1 to S{last}" in feedback


def test_an_unknown_id_on_the_last_answer_drops_the_stance(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    bad = cite_sentences(good_answer, seed_text)
    bad["stances"][0]["evidence"] = [{"sentence": "S999"}]
    fake.push(completion(bad, name="CitedSummary"))
    with _llm(fake, max_retries=0) as summarizer:
        result = summarizer.summarize(seed_text)
    assert result.meta.dropped == 1 and len(result.summary.stances) == 3
    fake.push(completion(bad, name="CitedSummary"))
    with _llm(fake, max_retries=0, strict=True) as summarizer, pytest.raises(ValidationFailed):
        summarizer.summarize(seed_text)


def test_a_quote_mode_answer_is_no_citation(seed_text: str, good_answer: dict[str, Any]) -> None:
    from summarizer.schema import grounded_in

    with grounded_in(seed_text), pytest.raises(ValueError, match="does not exist"):
        CitedSummary.model_validate(copy.deepcopy(good_answer))


def test_the_cache_key_includes_the_evidence_mode(fake: FakeOpenAI, seed_text: str) -> None:
    keys = set()
    for mode in ("quotes", "sentences"):
        with _llm(fake, cache=True, evidence=mode) as summarizer:
            key = summarizer.cache_key(seed_text)
            keys.add(key)
            assert summarizer.engine.cache_material()["evidence"] == mode
    assert len(keys) == 2


def test_cli_flag_and_environment(
    llm_env: FakeOpenAI,
    seed_path: Any,
    seed_text: str,
    good_answer: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    llm_env.push(_cited(good_answer, seed_text))
    out = runner.invoke(app, ["summarize", str(seed_path), "--evidence", "sentences", "--no-cache"])
    assert out.exit_code == 0, out.output
    assert "[S1] " in llm_env.requests[-1].body["messages"][1]["content"]
    monkeypatch.setenv("SUMMARIZER_EVIDENCE", "sentences")
    llm_env.push(_cited(good_answer, seed_text))
    out = runner.invoke(app, ["summarize", str(seed_path), "--no-cache"])
    assert out.exit_code == 0, out.output
    assert "[S1] " in llm_env.requests[-1].body["messages"][1]["content"]
    bad = runner.invoke(app, ["summarize", str(seed_path), "--evidence", "words"])
    assert bad.exit_code == 2


def test_a_long_article_cites_sentences_chunk_by_chunk(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    """Each chunk is numbered from S1 on its own; the merged evidence is whole-article text."""
    from summarizer.config import resolve_settings
    from summarizer.testing import FunctionModel, ModelRequest
    from tests.test_chunking import OVERVIEW, check_grounded, chunk_answer, long_article

    article = long_article(seed_text, sections=6)

    def model(request: ModelRequest) -> dict[str, Any]:
        if request.response_model == "Overview":
            return OVERVIEW
        assert request.response_model == "CitedSummary"
        assert "[S1] " in request.messages[1]["content"]
        return cite_sentences(chunk_answer(request.article, good_answer, 6), request.article)

    settings = resolve_settings(
        engine="llm", base_url="http://x.invalid/v1", chunk_tokens=1000, chunk_overlap=100,
        evidence="sentences",
    )  # fmt: skip
    engine = FunctionModel(model, settings)
    result = Summarizer(settings, engine_impl=engine, cache=False).summarize(article)
    assert result.meta.chunks >= 3 and result.meta.warnings == []
    check_grounded(result, article)
    sentences = {s.text for s in numbered_sentences(article)}
    assert result.summary.stances
    assert all(e in sentences for s in result.summary.stances for e in s.evidence)


def test_strict_re_asks_a_sub_quote_outside_its_sentence(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    answer = cite_sentences(good_answer, seed_text)
    answer["stances"][3]["evidence"][0]["quote"] = "a quote this sentence does not hold"
    fake.push(completion(answer, name="CitedSummary"), _cited(good_answer, seed_text))
    with _llm(fake, max_retries=1, strict=True) as summarizer:
        result = summarizer.summarize(seed_text)
    assert len(fake.requests) == 2 and result.meta.warnings == []
    assert "is not in sentence" in json.dumps(fake.requests[1].body["messages"][2:])


def test_the_provider_batch_refuses_sentence_mode(fake: FakeOpenAI) -> None:
    """Its requests and its parsing are quote mode's: a sentence-mode run would mix them."""
    from summarizer.batch.provider import ProviderBatch
    from summarizer.errors import ConfigError

    with _llm(fake, cache=True) as summarizer, pytest.raises(ConfigError, match="quotes only"):
        ProviderBatch(summarizer)
