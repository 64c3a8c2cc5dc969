"""The hand-labeled gold set is internally consistent and checkable against its articles."""

from __future__ import annotations

import pytest

from summarizer.evals.dataset import HARD_CASES, GoldItem, load_gold_set, repo_evals_dir
from summarizer.evals.metrics import fact_covered
from summarizer.grounding import contains_name, find_span
from summarizer.schema import ACTOR_TYPES, POSITIONS

ITEMS = load_gold_set()
IDS = [item.id for item in ITEMS]


def test_at_least_twenty_seven_articles() -> None:
    """Issue 17 doubled the set (13 -> 29); removing articles must be deliberate."""
    assert len(ITEMS) >= 27


def test_every_article_has_gold_and_every_gold_has_article() -> None:
    articles = {p.name for p in (repo_evals_dir() / "articles").glob("*.txt")}
    labeled = {item.labels.article for item in ITEMS}
    assert labeled == articles
    for item in ITEMS:
        assert item.article_path.stem == item.id, "gold and article share a file stem"


def test_hard_cases_all_covered() -> None:
    covered = {case for item in ITEMS for case in item.labels.hard_cases}
    assert set(HARD_CASES) <= covered, f"not covered: {sorted(set(HARD_CASES) - covered)}"
    unknown = covered - set(HARD_CASES)
    assert not unknown, f"unknown hard-case labels: {sorted(unknown)}"


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_labels_in_allowed_sets(item: GoldItem) -> None:
    labels = item.labels
    assert labels.labeled_by == "hand"
    for actor in labels.actors:
        assert actor.type in ACTOR_TYPES, actor
    for stance in labels.stances:
        assert stance.position in POSITIONS, stance


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_evidence_is_verbatim(item: GoldItem) -> None:
    for stance in item.labels.stances:
        assert find_span(item.text, stance.evidence) is not None, stance.evidence


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_stance_actors_are_listed(item: GoldItem) -> None:
    names = {a.name for a in item.labels.actors}
    for stance in item.labels.stances:
        assert stance.actor in names, stance.actor


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_actor_names_and_aliases_in_article(item: GoldItem) -> None:
    names = [a.name for a in item.labels.actors]
    assert len(names) == len(set(names)), "one entry per actor"
    for actor in item.labels.actors:
        for name in (actor.name, *actor.aliases):
            assert contains_name(item.text, name), f"{name!r} is not in {item.labels.article}"


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_key_fact_terms_and_question_keywords_in_article(item: GoldItem) -> None:
    for fact in item.labels.key_facts:
        assert fact.terms, fact.fact
        for term in fact.terms:
            # as the metric matches them: substrings ("pass" in "passed"), not whole names
            assert fact_covered(item.text, [term]), f"term {term!r} ({fact.fact})"
    for question in item.labels.open_questions:
        assert question.keywords, question.question
        for keyword in question.keywords:
            assert fact_covered(item.text, [keyword]), f"keyword {keyword!r}"


def test_no_stances_case_has_no_stances() -> None:
    for item in ITEMS:
        if "no_stances" in item.labels.hard_cases:
            assert item.labels.stances == []
