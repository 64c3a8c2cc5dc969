"""Each eval metric on small cases computed by hand."""

from __future__ import annotations

import pytest

from summarizer.evals.metrics import (
    PRF,
    NamedActor,
    StanceCounts,
    StanceView,
    actor_scores,
    fact_covered,
    fold_name,
    grounded_quotes,
    match_actors,
    name_similarity,
    pair_stances,
    question_matched,
    stance_counts,
)

ARTICLE = (
    "Foreign Minister Jean-Noël Barrot said France backs the plan. "
    "Barrot added: \u201cWe will not accept a Russian victory.\u201d "
    "The Kremlin denied the report. Mark Rutte could not confirm it."
)


def test_prf_hand_computed() -> None:
    prf = PRF(tp=2, n_pred=4, n_gold=3)
    assert prf.precision == 0.5
    assert prf.recall == pytest.approx(2 / 3)
    assert prf.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))  # 0.5714...
    assert PRF(0, 0, 0).f1 == 1.0  # nothing to find, nothing found
    assert PRF(0, 0, 3).f1 == 0.0  # empty prediction
    assert (PRF(1, 2, 3) + PRF(1, 1, 1)) == PRF(2, 3, 4)


def test_fold_name_accents_case_punctuation() -> None:
    assert fold_name("Jean-Noël  Barrot") == "jean noel barrot"
    assert fold_name("Kim Jong-un") == fold_name("KIM JONG UN")


def test_name_similarity_uses_any_alias() -> None:
    assert name_similarity(["Barrot"], ["Jean-Noël Barrot", "Barrot"]) == 100.0
    assert name_similarity(["Jean-Noel Barrot"], ["Jean-Noël Barrot"]) == 100.0
    assert name_similarity(["Russia"], ["North Korea", "Pyongyang"]) < 90


def test_actor_matching_alias_aware_one_to_one() -> None:
    gold = [
        NamedActor("Jean-Noël Barrot", ("Barrot",)),
        NamedActor("Russia", ("Kremlin", "Moscow")),
        NamedActor("Mark Rutte", ("Rutte",)),
    ]
    pred = [
        NamedActor("Barrot"),  # alias of gold 0
        NamedActor("Kremlin"),  # alias of gold 1
        NamedActor("Jean Noel Barrot"),  # also gold 0: one-to-one, so unmatched
        NamedActor("France"),  # not in gold
    ]
    prf, mapping = actor_scores(pred, gold)
    assert mapping == {0: 0, 1: 1}
    assert (prf.tp, prf.n_pred, prf.n_gold) == (2, 4, 3)
    assert prf.precision == 0.5 and prf.recall == pytest.approx(2 / 3)


def test_actor_matching_finds_maximum_matching() -> None:
    # pred 0 matches gold 0 and gold 1; pred 1 matches only gold 0. Greedy would give 1 pair.
    gold = [NamedActor("Sam Okafor", ("Okafor",)), NamedActor("Sam Okafor Jr")]
    pred = [NamedActor("Sam Okafor", ("Sam Okafor Jr",)), NamedActor("Okafor")]
    assert match_actors(pred, gold) == {0: 1, 1: 0}


def test_stance_pairing_and_accuracy() -> None:
    gold_actors = [NamedActor("Jean-Noël Barrot", ("Barrot",)), NamedActor("Russia", ("Kremlin",))]
    pred_actors = [NamedActor("Barrot"), NamedActor("Kremlin")]
    gold = [
        StanceView("Jean-Noël Barrot", "the peace plan", "support", ("France backs the plan",)),
        StanceView("Jean-Noël Barrot", "a Russian victory", "oppose",
                   ("We will not accept a Russian victory.",)),
        StanceView("Russia", "the report", "deny", ("The Kremlin denied the report",)),
    ]  # fmt: skip
    pred = [
        # Same evidence as gold 1, wrong position: pairs with gold 1, counts as wrong.
        StanceView("Barrot", "Russia", "concern", ("We will not accept a Russian victory.",)),
        StanceView("Kremlin", "the report", "deny", ("The Kremlin denied the report",)),
        StanceView("Barrot", "the plan", "support", ("France backs the plan",)),
        StanceView("Nobody", "x", "support", ("Mark Rutte",)),  # unmatched actor: no pair
    ]
    _, amap = actor_scores(pred_actors, gold_actors)
    pairs = pair_stances(pred, gold, pred_actors, gold_actors, amap, ARTICLE)
    assert pairs == [(0, 1), (1, 2), (2, 0)]
    counts = stance_counts(pred, gold, pairs)
    assert (counts.matched, counts.correct) == (3, 2)
    assert counts.accuracy == pytest.approx(2 / 3)
    # support: tp 1, predicted 2 (pred 2 and 3), gold 1 -> P .5, R 1, F 2/3
    # oppose: tp 0, predicted 0, gold 1 -> P 1 (vacuous), R 0, F 0
    assert counts.per_class["support"] == PRF(1, 2, 1)
    assert counts.per_class["oppose"] == PRF(0, 0, 1)
    assert counts.macro_f1 == pytest.approx((2 / 3 + 0.0) / 2)


def test_stance_pairing_is_target_agnostic_within_actor() -> None:
    gold_actors = [NamedActor("Mark Rutte")]
    gold = [StanceView("Mark Rutte", "reports of fighting", "neutral", ("could not confirm",))]
    pred = [StanceView("Mark Rutte", "something else entirely", "deny", ("Mark Rutte",))]
    pairs = pair_stances(pred, gold, gold_actors, gold_actors, {0: 0}, ARTICLE)
    assert pairs == [(0, 0)]
    assert stance_counts(pred, gold, pairs).accuracy == 0.0


def test_macro_f1_skips_absent_class_and_sums() -> None:
    only_support = StanceCounts(1, 1, {"support": PRF(1, 1, 1), "oppose": PRF(0, 0, 0)})
    assert only_support.macro_f1 == 1.0
    assert StanceCounts().macro_f1 is None and StanceCounts().accuracy is None
    total = only_support + StanceCounts(2, 0, {"support": PRF(0, 1, 0), "oppose": PRF(0, 1, 2)})
    assert (total.matched, total.correct) == (3, 1)
    # support P 1/2 R 1/1 -> 2/3; oppose P 0/1 R 0/2 -> 0
    assert total.macro_f1 == pytest.approx(1 / 3)


def test_evidence_grounding_counts_verbatim_quotes() -> None:
    quotes = [
        '"We will not accept a Russian victory."',  # straight quote marks: folded, found
        "The Kremlin denied the report",
        "The Kremlin rejected the report",  # reworded: not found
    ]
    assert grounded_quotes(ARTICLE, quotes) == 2


def test_key_fact_needs_all_terms_case_insensitive() -> None:
    text = "France's BARROT backs the plan in Kyiv."
    assert fact_covered(text, ["barrot", "kyiv"])
    assert fact_covered("France\u2019s minister", ["France's"])  # apostrophes folded
    assert not fact_covered(text, ["Barrot", "victory plan"])


def test_open_question_needs_half_the_keywords() -> None:
    predicted = ["Are North Korean troops fighting in Ukraine?", "What next?"]
    assert question_matched(predicted, ["North Korea", "troops", "confirm"]) is True  # 2 of 3
    assert question_matched(predicted, ["North Korea", "confirm"]) is True  # 1 of 2 = half
    assert question_matched(predicted, ["Russia", "confirm", "troops"]) is False  # 1 of 3
    assert question_matched(predicted, ["NATO", "invitation"]) is False
    assert question_matched(predicted, []) is False


def test_fact_terms_keep_their_accents() -> None:
    """Folding typography is not folding letters: "cafe" is not "café", "u" is not "ü"."""
    assert not fact_covered("the café in Málaga", ["cafe"])
    assert fact_covered("the cafe\u0301 in Málaga", ["café", "málaga"])
    assert not fact_covered("Müller", ["mu"])
