"""The output contract: committed schema in sync, validators strict and helpful."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from summarizer.prompts import data_dir
from summarizer.schema import ArticleSummary, schema_dict
from tests.conftest import ROOT

SCHEMA_FILE = ROOT / "schemas" / "article_summary.json"


def test_committed_schema_matches_models() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == schema_dict(), "run `summarizer schema --write` and commit schemas/"


def test_packaged_schema_dir_is_the_repo_one_in_a_checkout() -> None:
    assert (data_dir("schemas") / "article_summary.json").read_text() == SCHEMA_FILE.read_text()


def test_every_field_has_a_description_for_the_model() -> None:
    schema = ArticleSummary.model_json_schema()
    missing: list[str] = []
    for name, prop in schema["properties"].items():
        if "description" not in prop:
            missing.append(name)
    for def_name, definition in schema["$defs"].items():
        for name, prop in definition.get("properties", {}).items():
            if "description" not in prop:
                missing.append(f"{def_name}.{name}")
    assert not missing


def _validate(data: dict[str, Any], article: str) -> ArticleSummary:
    return ArticleSummary.model_validate(data, context={"article": article})


def test_quotes_match_across_curly_and_straight_marks(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    data = json.loads(json.dumps(good_answer))
    # the article has “…” here; the model typed straight quotes and a line break
    data["stances"][0]["evidence"] = [
        '"A Russian victory would be a consecration for the law of the strongest\nand would push'
        ' the international order toward chaos."'
    ]
    summary = _validate(data, seed_text)
    span = summary.stances[0].evidence_spans[0]
    assert seed_text[span.start : span.end].startswith("A Russian victory")
    assert seed_text[span.end - 6 : span.end] == "chaos."


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["stances"][0].update(evidence=["Sybiha praised North Korea"]),
            "is not in the article",
        ),
        (lambda d: d["stances"][0].update(evidence=[]), "at least 1"),
        (lambda d: d["stances"][0].update(position="angry"), "support"),
        (
            lambda d: d["actors"][0].update(name="Boris Johnson", aliases=[]),
            "does not appear in the article",
        ),
        (lambda d: d["actors"].append(dict(d["actors"][0])), "listed twice"),
        (lambda d: d["actors"][1].update(aliases=["Barrot", "Sybiha"]), "merge them"),
        (lambda d: d["actors"][0].update(type="spy"), "person"),
        (lambda d: d.update(key_points=["one", "two"]), "at least 3"),
        (lambda d: d.update(key_points=[f"p{i}" for i in range(8)]), "at most 7"),
        (lambda d: d.update(tldr="Ukraine warns of escalation. France agrees."), "one sentence"),
        (
            lambda d: d["open_questions"][0].update(related_actors=["Donald Trump"]),
            "not a listed actor",
        ),
    ],
)
def test_validation_errors_say_what_to_fix(
    seed_text: str, good_answer: dict[str, Any], mutate: Any, message: str
) -> None:
    data = json.loads(json.dumps(good_answer))
    mutate(data)
    with pytest.raises(ValidationError, match=message):
        _validate(data, seed_text)


def test_ungrounded_aliases_are_dropped(seed_text: str, good_answer: dict[str, Any]) -> None:
    data = json.loads(json.dumps(good_answer))
    data["actors"][0]["aliases"] = ["Sybiha", "Mr Sybiha of Kyiv"]
    assert _validate(data, seed_text).actors[0].aliases == ["Sybiha"]


def test_title_abbreviations_do_not_split_the_tldr(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    data = json.loads(json.dumps(good_answer))
    data["tldr"] = "U.S. officials and Mr. Barrot discuss North Korean troops in Russia."
    assert _validate(data, seed_text).tldr.startswith("U.S.")


def test_without_context_no_grounding_is_checked(good_answer: dict[str, Any]) -> None:
    summary = ArticleSummary.model_validate(good_answer)
    assert summary.stances[0].evidence_spans == []
