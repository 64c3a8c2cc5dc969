"""Scores of one predicted summary against hand-written gold labels.

Everything here is a pure function on plain data, so each metric can be checked by hand:

* actors: precision / recall / F1 under a one-to-one matching where a predicted actor
  matches a gold actor if any of its names (name or alias) fuzzily equals any of the
  gold's names (``rapidfuzz`` ratio >= ``NAME_THRESHOLD`` after folding case, accents
  and punctuation). The matching has maximum cardinality (augmenting paths).
* stances: a predicted stance can pair with a gold stance of the *same matched actor*
  (target-agnostic); pairs are chosen by target similarity and evidence overlap, never
  by position, so position accuracy over the pairs is honest. SemEval-2016 macro-F1:
  ``(F_support + F_oppose) / 2`` with per-class precision over all predicted stances.
* evidence grounding, key-fact coverage, open-question recall: counts (see each function).

Rates with an empty denominator are vacuous: ``1.0`` for precision/recall, ``None``
where nothing at all could be measured.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from summarizer.grounding import find_span, normalize

NAME_THRESHOLD = 90.0
SEMEVAL_CLASSES: tuple[str, ...] = ("support", "oppose")


@dataclass(frozen=True)
class NamedActor:
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class StanceView:
    actor: str
    target: str
    position: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class PRF:
    tp: int
    n_pred: int
    n_gold: int

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.n_gold if self.n_gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.n_pred + other.n_pred, self.n_gold + other.n_gold)


def fold_name(name: str) -> str:
    """Case, accents, punctuation and spacing folded: 'Jean-Noël' -> 'jean noel'."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(default_process(stripped).split())


def name_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Best ``rapidfuzz`` ratio (0-100) between any name in ``a`` and any name in ``b``."""
    best = 0.0
    for x in a:
        fx = fold_name(x)
        for y in b:
            fy = fold_name(y)
            if fx and fy:
                best = max(best, 100.0 if fx == fy else float(fuzz.ratio(fx, fy)))
    return best


def match_actors(
    pred: Sequence[NamedActor], gold: Sequence[NamedActor], threshold: float = NAME_THRESHOLD
) -> dict[int, int]:
    """One-to-one matching ``{pred index: gold index}`` with the most matched pairs.

    Kuhn's augmenting paths; each predicted actor tries its candidates best-score first,
    so among maximum matchings the result prefers closer names. Deterministic.
    """
    candidates: list[list[int]] = []
    for p in pred:
        scored = [(name_similarity(p.names, g.names), j) for j, g in enumerate(gold)]
        ok = sorted((-s, j) for s, j in scored if s >= threshold)
        candidates.append([j for _, j in ok])
    owner: dict[int, int] = {}  # gold index -> pred index

    def augment(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(pred)):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def actor_scores(
    pred: Sequence[NamedActor], gold: Sequence[NamedActor]
) -> tuple[PRF, dict[int, int]]:
    mapping = match_actors(pred, gold)
    return PRF(len(mapping), len(pred), len(gold)), mapping


def _index_by_name(actors: Sequence[NamedActor]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, actor in enumerate(actors):
        for name in actor.names:
            index.setdefault(name.strip().casefold(), i)
    return index


def _spans(article: str, quotes: Sequence[str]) -> list[tuple[int, int]]:
    return [s for s in (find_span(article, q) for q in quotes) if s is not None]


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def pair_stances(
    pred: Sequence[StanceView],
    gold: Sequence[StanceView],
    pred_actors: Sequence[NamedActor],
    gold_actors: Sequence[NamedActor],
    actor_map: dict[int, int],
    article: str = "",
) -> list[tuple[int, int]]:
    """One-to-one ``(pred, gold)`` stance pairs whose actors are matched to each other.

    Among same-actor pairs, higher score first: target similarity (token-set ratio,
    0-100) plus 100 when the evidence spans overlap in the article. Position is not used.
    """
    p_index, g_index = _index_by_name(pred_actors), _index_by_name(gold_actors)
    scored: list[tuple[float, int, int]] = []
    for i, ps in enumerate(pred):
        pa = p_index.get(ps.actor.strip().casefold())
        if pa is None or pa not in actor_map:
            continue
        p_spans = _spans(article, ps.evidence) if article else []
        for j, gs in enumerate(gold):
            if g_index.get(gs.actor.strip().casefold()) != actor_map[pa]:
                continue
            score = float(fuzz.token_set_ratio(fold_name(ps.target), fold_name(gs.target)))
            if p_spans and _overlap(p_spans, _spans(article, gs.evidence)):
                score += 100.0
            scored.append((-score, i, j))
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in sorted(scored):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    return sorted(pairs)


@dataclass
class StanceCounts:
    """Counts behind stance accuracy and the SemEval macro-F1 (summable over articles)."""

    matched: int = 0
    correct: int = 0
    per_class: dict[str, PRF] = field(
        default_factory=lambda: {c: PRF(0, 0, 0) for c in SEMEVAL_CLASSES}
    )

    def __add__(self, other: StanceCounts) -> StanceCounts:
        return StanceCounts(
            self.matched + other.matched,
            self.correct + other.correct,
            {c: self.per_class[c] + other.per_class[c] for c in SEMEVAL_CLASSES},
        )

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.matched if self.matched else None

    @property
    def macro_f1(self) -> float | None:
        """``(F_support + F_oppose) / 2``; a class absent from gold and prediction is skipped."""
        scores = [prf.f1 for prf in self.per_class.values() if prf.n_pred or prf.n_gold]
        return sum(scores) / len(scores) if scores else None


def stance_counts(
    pred: Sequence[StanceView], gold: Sequence[StanceView], pairs: Sequence[tuple[int, int]]
) -> StanceCounts:
    counts = StanceCounts(matched=len(pairs))
    counts.correct = sum(1 for i, j in pairs if pred[i].position == gold[j].position)
    for c in SEMEVAL_CLASSES:
        tp = sum(1 for i, j in pairs if pred[i].position == c == gold[j].position)
        n_pred = sum(1 for s in pred if s.position == c)
        n_gold = sum(1 for s in gold if s.position == c)
        counts.per_class[c] = PRF(tp, n_pred, n_gold)
    return counts


def _fold_text(text: str) -> str:
    return normalize(text).text.casefold()


def grounded_quotes(article: str, quotes: Sequence[str]) -> int:
    """How many of ``quotes`` are found verbatim (typography folded) in the article."""
    return sum(1 for q in quotes if find_span(article, q) is not None)


def fact_covered(text: str, terms: Sequence[str]) -> bool:
    """All terms appear in ``text`` (case-insensitive, quote marks and dashes folded)."""
    folded = _fold_text(text)
    return all(_fold_text(t) in folded for t in terms)


def question_matched(predicted: Sequence[str], keywords: Sequence[str]) -> bool:
    """Some predicted question contains at least half of the gold question's keywords."""
    if not keywords:
        return False
    folded_kw = [_fold_text(k) for k in keywords]
    for q in predicted:
        fq = _fold_text(q)
        if 2 * sum(1 for k in folded_kw if k in fq) >= len(folded_kw):
            return True
    return False


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None
