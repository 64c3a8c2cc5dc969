"""Glue between summaries and metrics: per-article scores and the aggregate over a set.

An article whose summary failed (validation, truncation, provider error) scores as an
empty prediction on content metrics and counts as schema-invalid; its last raw answer,
if the model sent one, still counts for evidence grounding, which is the one metric
that says *why* small models fail (invented quotes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from summarizer.evals.dataset import GoldItem
from summarizer.evals.metrics import (
    PRF,
    NamedActor,
    StanceCounts,
    StanceView,
    actor_scores,
    fact_covered,
    grounded_quotes,
    pair_stances,
    question_matched,
    ratio,
    stance_counts,
)
from summarizer.schema import ArticleSummary


@dataclass(frozen=True)
class Prediction:
    """The parts of a summary the metrics look at, from a valid summary or a raw answer."""

    text: str = ""
    actors: tuple[NamedActor, ...] = ()
    stances: tuple[StanceView, ...] = ()
    questions: tuple[str, ...] = ()

    @property
    def quotes(self) -> list[str]:
        return [q for s in self.stances for q in s.evidence]

    @classmethod
    def from_summary(cls, s: ArticleSummary) -> Prediction:
        return cls(
            text="\n".join([s.tldr, s.summary, *s.key_points]),
            actors=tuple(NamedActor(a.name, tuple(a.aliases)) for a in s.actors),
            stances=tuple(
                StanceView(st.actor, st.target, st.position, tuple(st.evidence)) for st in s.stances
            ),
            questions=tuple(q.question for q in s.open_questions),
        )

    @classmethod
    def from_raw(cls, raw: str | None) -> Prediction | None:
        """Leniently read an unvalidated JSON answer (only its stance quotes are used)."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        stances: list[StanceView] = []
        for st in data.get("stances") or []:
            if not isinstance(st, dict):
                continue
            evidence = st.get("evidence") or []
            if isinstance(evidence, str):
                evidence = [evidence]
            quotes = tuple(q for q in evidence if isinstance(q, str) and q.strip())
            stances.append(
                StanceView(str(st.get("actor", "")), str(st.get("target", "")),
                           str(st.get("position", "")), quotes)
            )  # fmt: skip
        return cls(stances=tuple(stances))


def gold_prediction(item: GoldItem) -> tuple[list[NamedActor], list[StanceView]]:
    labels = item.labels
    actors = [NamedActor(a.name, tuple(a.aliases)) for a in labels.actors]
    stances = [StanceView(s.actor, s.target, s.position, (s.evidence,)) for s in labels.stances]
    return actors, stances


@dataclass
class ArticleScore:
    id: str
    valid: bool
    error: str | None = None
    attempts: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None  # None: the model has no known price
    latency_ms: float = 0.0
    actors: PRF = field(default_factory=lambda: PRF(0, 0, 0))
    stances: StanceCounts = field(default_factory=StanceCounts)
    quotes_found: int = 0
    quotes_total: int = 0
    facts_covered: int = 0
    facts_total: int = 0
    questions_matched: int = 0
    questions_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "valid": self.valid,
            "error": self.error,
            "attempts": self.attempts,
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": self.cost_usd,
            "latency_ms": round(self.latency_ms, 1),
            "actor_precision": _precision(self.actors),
            "actor_recall": self.actors.recall,
            "actor_f1": self.actors.f1,
            "actors": {
                "tp": self.actors.tp,
                "pred": self.actors.n_pred,
                "gold": self.actors.n_gold,
            },
            "stance_matched": self.stances.matched,
            "stance_correct": self.stances.correct,
            "stance_accuracy": self.stances.accuracy,
            "stance_macro_f1": self.stances.macro_f1,
            "quotes_found": self.quotes_found,
            "quotes_total": self.quotes_total,
            "evidence_grounding_rate": ratio(self.quotes_found, self.quotes_total),
            "facts_covered": self.facts_covered,
            "facts_total": self.facts_total,
            "key_fact_coverage": ratio(self.facts_covered, self.facts_total),
            "questions_matched": self.questions_matched,
            "questions_total": self.questions_total,
            "open_question_recall": ratio(self.questions_matched, self.questions_total),
        }


def score_article(
    item: GoldItem, summary: ArticleSummary | None, raw_answer: str | None = None
) -> ArticleScore:
    """Content scores of one article (cost fields are filled in by the runner)."""
    pred = Prediction.from_summary(summary) if summary is not None else Prediction()
    gold_actors, gold_stances = gold_prediction(item)
    labels = item.labels
    score = ArticleScore(id=item.id, valid=summary is not None)
    score.actors, mapping = actor_scores(pred.actors, gold_actors)
    pairs = pair_stances(pred.stances, gold_stances, pred.actors, gold_actors, mapping, item.text)
    score.stances = stance_counts(pred.stances, gold_stances, pairs)
    graded = pred if summary is not None else Prediction.from_raw(raw_answer)
    if graded is not None:
        score.quotes_total = len(graded.quotes)
        score.quotes_found = grounded_quotes(item.text, graded.quotes)
    score.facts_total = len(labels.key_facts)
    score.facts_covered = sum(1 for f in labels.key_facts if fact_covered(pred.text, f.terms))
    score.questions_total = len(labels.open_questions)
    score.questions_matched = sum(
        1 for q in labels.open_questions if question_matched(pred.questions, q.keywords)
    )
    return score


def _precision(prf: PRF) -> float | None:
    """Reported precision: n/a (not a vacuous 1.0) when nothing was predicted but gold exists."""
    return None if prf.n_pred == 0 and prf.n_gold > 0 else prf.precision


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _total_cost(scores: list[ArticleScore]) -> float | None:
    """US dollars of the whole run; None if any article's price is unknown."""
    costs = [s.cost_usd for s in scores]
    return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)


def aggregate(scores: list[ArticleScore]) -> dict[str, float | None]:
    """Set-level metrics: rates are micro-averaged (summed counts), costs are means."""
    actors = sum((s.actors for s in scores), PRF(0, 0, 0))
    stances = sum((s.stances for s in scores), StanceCounts())
    n = len(scores)
    return {
        "articles": float(n),
        "schema_valid_rate": ratio(sum(1 for s in scores if s.valid), n),
        "actor_precision": _precision(actors),
        "actor_recall": actors.recall,
        "actor_f1": actors.f1,
        "stance_accuracy": stances.accuracy,
        "stance_macro_f1": stances.macro_f1,
        "evidence_grounding_rate": ratio(
            sum(s.quotes_found for s in scores), sum(s.quotes_total for s in scores)
        ),
        "key_fact_coverage": ratio(
            sum(s.facts_covered for s in scores), sum(s.facts_total for s in scores)
        ),
        "open_question_recall": ratio(
            sum(s.questions_matched for s in scores), sum(s.questions_total for s in scores)
        ),
        "mean_attempts": _mean([float(s.attempts) for s in scores]),
        "mean_total_tokens": _mean([float(s.total_tokens) for s in scores]),
        "mean_latency_ms": _mean([s.latency_ms for s in scores]),
        "total_cost_usd": _total_cost(scores),
    }
