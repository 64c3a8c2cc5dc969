"""``actors[].mentions``: where the article names each actor, computed by the library."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from summarizer.grounding import find_mentions
from summarizer.schema import ArticleSummary, schema_dict

ARTICLE = (
    "North Korea sent troops. North Korean officers followed, and Pyongyang denied it. "
    "NORTH KOREA's envoy spoke; Kim said little, but Kim Jong Un later said more. "
    "South Korea’s spy agency agreed."
)


def _texts(article: str, names: list[str]) -> list[str]:
    return [article[s:e] for s, e in find_mentions(article, names)]


def test_whole_words_only_case_folded() -> None:
    assert _texts(ARTICLE, ["North Korea"]) == ["North Korea", "NORTH KOREA"]
    assert _texts("Barroton met Barrot and ABarrot (Barrot).", ["Barrot"]) == ["Barrot"] * 2


def test_longer_name_wins_and_spans_never_overlap() -> None:
    spans = find_mentions(ARTICLE, ["Kim", "Kim Jong Un", "Jong Un"])
    assert [ARTICLE[s:e] for s, e in spans] == ["Kim", "Kim Jong Un"]
    assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_typography_is_folded_and_offsets_slice_the_original() -> None:
    # the alias is typed with a straight apostrophe; the article has a curly one
    assert _texts(ARTICLE, ["South Korea's spy agency"]) == ["South Korea’s spy agency"]


def test_offsets_survive_nfd_text_before_the_name() -> None:
    article = "Mu\u0308ller met Barrot; Barrot left."
    assert _texts(article, ["barrot"]) == ["Barrot", "Barrot"]


def test_actor_mentions_are_in_the_result_and_the_schema(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    summary = ArticleSummary.model_validate(good_answer, context={"article": seed_text})
    dumped = summary.model_dump(mode="json")
    barrot = next(a for a in dumped["actors"] if a["name"] == "Jean-Noël Barrot")
    assert len(barrot["mentions"]) >= 3
    for mention in barrot["mentions"]:
        assert seed_text[mention["start"] : mention["end"]] == mention["text"]
        assert mention["text"] in ("Jean-Noël Barrot", "Barrot")
    actor_schema = schema_dict()["$defs"]["Actor"]
    assert "mentions" in actor_schema["properties"]
    assert "mentions" in actor_schema["required"]
    # the model never sees it: the schema sent to the model has no mentions
    assert "mentions" not in json.dumps(ArticleSummary.model_json_schema())


def test_mentions_need_the_article() -> None:
    data = {
        "tldr": "Something happened in the capital today.",
        "summary": "Something happened in the capital today, officials said.",
        "key_points": ["a", "b", "c"],
        "actors": [{"name": "Barrot", "type": "person", "role": "minister"}],
    }
    assert ArticleSummary.model_validate(data).actors[0].mentions == []
