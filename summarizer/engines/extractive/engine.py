"""A model-free extractive summarizer: the embedded default and the baseline to beat.

Deterministic and offline. Sentences are ranked with TextRank plus a lead bias
(``ranking``); actors come from capitalized name chunks (``actors``); stances from
reporting verbs next to an actor mention and open questions from cue phrases
(``stances``). This module picks the text, keeps the actors worth listing and assembles
the ``ArticleSummary``. Every string copied from the article is copied verbatim, so the
schema's grounding validators always pass.
"""

from __future__ import annotations

import heapq
import logging
import re
from collections import Counter

from pydantic import ValidationError

from summarizer.engines.extractive.actors import Actors, find_mentions
from summarizer.engines.extractive.questions import open_questions
from summarizer.engines.extractive.ranking import clauses, content_terms, rank, trim_clause
from summarizer.engines.extractive.stances import find_stances
from summarizer.errors import InputError
from summarizer.schema import MAX_ACTORS, Actor, ArticleSummary, OpenQuestion, Stance
from summarizer.sentences import (
    Sentence,
    detect_title,
    first_sentence,
    fold,
    is_one_sentence,
    split_sentences,
    strip_dateline,
)

log = logging.getLogger(__name__)


class _WordCounts:
    """How often a word stands alone in the text (not inside a longer word or a
    hyphenated one), counted in one pass over the text the first time it is asked."""

    _TOKEN = re.compile(r"[\w-]+")

    def __init__(self, text: str) -> None:
        self.text = text
        self._counts: Counter[str] | None = None

    def solo(self, word: str) -> int:
        if not self._TOKEN.fullmatch(word):  # "O'Neill", "St.": count with a pattern
            return len(re.findall(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", self.text))
        if self._counts is None:
            self._counts = Counter(self._TOKEN.findall(self.text))
        return self._counts[word]


def _finish_actors(finder: Actors, stances: list[dict[str, object]]) -> dict[str, str]:
    """Choose which candidates are actors; fix aliases and roles. Returns key -> name."""
    speaking = {str(st["actor"]) for st in stances}
    text = finder.text
    kept: dict[str, str] = {}
    order = sorted(finder.acts.items(), key=lambda kv: (-(kv[0] in speaking), -kv[1].mentions))
    used: set[str] = set()
    words = _WordCounts(text)
    for key, act in order:
        need = {"person": 0, "group": 0, "organization": 2, "country": 4}[act.type]
        if key not in speaking and act.mentions < max(need, 1):
            continue
        if act.type == "person":
            last = act.name.split()[-1]
            if words.solo(fold(last)) > text.count(fold(act.name)):
                act.aliases.append(last)
            act.role = act.role or (
                "quoted in the article" if key in speaking else "named in the article"
            )
        labels = [
            a for a in dict.fromkeys([act.name, *act.aliases]) if fold(a).casefold() not in used
        ]
        if not labels or labels[0] != act.name or len(kept) >= MAX_ACTORS:
            continue
        act.aliases = labels[1:9]
        used.update(fold(a).casefold() for a in labels)
        kept[key] = act.name
    return kept


TLDR_CHARS = 350
SUMMARY_CHARS = 1500
POINT_CHARS = 200
MIN_TLDR = 10
MIN_SUMMARY = 20
SUMMARY_SENTENCES = 5
MAX_POINTS = 7
#: How many diverse sentences the tldr, summary and key points are picked from.
RANKED = 12
#: How many best-scored sentences the diversity filter looks at.
CANDIDATES = 200
_QUOTE_OPEN = "\"“'‘"
_FINAL = ".!?\"'”’"


def _states_news(s: Sentence) -> bool:
    """Whether a lead sentence reads as the news itself (not a quote, a question, a
    fragment or a source line)."""
    text = strip_dateline(s.text)
    return (
        not s.boilerplate
        and len(s.words) >= 8
        and text[:1] not in _QUOTE_OPEN
        and not text.rstrip(_FINAL[1:]).endswith("?")
    )


def _diverse(usable: list[Sentence], scores: list[float], limit: int) -> list[Sentence]:
    """The best-scored sentences, skipping near-repeats of one already taken (among the
    best :data:`CANDIDATES`, so a text of many identical sentences stays linear)."""
    ranked: list[Sentence] = []
    terms: dict[int, set[str]] = {}
    best = heapq.nsmallest(CANDIDATES, usable, key=lambda s: (-scores[s.index], s.index))
    for s in best:
        mine = terms[s.index] = content_terms(s.text)
        if all(
            len(mine & terms[r.index]) <= 0.6 * min(len(mine), len(terms[r.index])) for r in ranked
        ):
            ranked.append(s)
            if len(ranked) >= limit:
                break
    return ranked


def _clean(s: Sentence) -> str:
    return strip_dateline(s.text).strip() or s.text


def _full(s: Sentence) -> str:
    text = _clean(s)
    return text if text[-1:] in _FINAL else text + "."


def _one_sentence(text: str) -> str:
    """``text`` as one sentence the tldr validator accepts, or "" if it is too short."""
    candidate = trim_clause(first_sentence(text), TLDR_CHARS)
    return candidate if len(candidate) >= MIN_TLDR and is_one_sentence(candidate) else ""


def _tldr(ranked: list[Sentence], lead: Sentence | None) -> tuple[Sentence | None, str]:
    """The lead sentence when it states the news (wire stories put it first), else the
    best-ranked sentence that is not a bare quote."""
    order = sorted(ranked, key=lambda s: s.text[:1] in _QUOTE_OPEN)
    if lead is not None:
        order.insert(0, lead)
    for s in order:
        tldr = _one_sentence(_clean(s))
        if tldr:
            return s, tldr
    return None, ""


def _summary(ranked: list[Sentence], first: Sentence | None) -> list[Sentence]:
    """The best sentences that fit the summary (the tldr's first), in article order."""
    chosen: list[Sentence] = []
    size = 0
    for s in ([first] if first is not None else []) + [s for s in ranked if s is not first]:
        extra = len(_full(s)) + 1
        if len(chosen) < SUMMARY_SENTENCES and size + extra <= SUMMARY_CHARS + 1:
            chosen.append(s)
            size += extra
    return sorted(chosen, key=lambda s: s.index)


def _points(ranked: list[Sentence], first: Sentence | None, used: list[Sentence]) -> list[str]:
    """The main fact first, then the best sentences the summary does not already give."""
    pool = ([first] if first is not None else []) + [s for s in ranked if s not in used]
    points = [trim_clause(_clean(s), POINT_CHARS) for s in pool[:MAX_POINTS]]
    for s in ranked[:3]:
        if len(set(points)) >= 3:
            break
        points += [trim_clause(c, POINT_CHARS) for c in clauses(_clean(s)) if c not in points]
    for s in ranked:
        if len(set(points)) >= 3:
            break
        points.append(trim_clause(_clean(s), POINT_CHARS))
    while len(points) < 3 and points:
        half = points[0].split()
        points.append(" ".join(half[len(half) // 2 :]) if len(half) > 3 else points[0])
    unique = list(dict.fromkeys(points))
    return unique[:MAX_POINTS] if len(unique) >= 3 else points[:MAX_POINTS]


def _pick_text(sentences: list[Sentence], scores: list[float]) -> tuple[str, str, list[str]]:
    usable = [s for s in sentences if not s.boilerplate and len(s.words) >= 4] or sentences
    ranked = _diverse(usable, scores, RANKED)
    lead = next((s for s in usable[:2] if _states_news(s)), None)
    first, tldr = _tldr(ranked, lead)
    if not tldr:
        tldr = next((t for t in (_one_sentence(_clean(s)) for s in usable) if t), "")
    chosen = _summary(ranked, first)
    summary = trim_clause(" ".join(_full(s) for s in chosen), SUMMARY_CHARS)
    return tldr, summary, _points(ranked, first, chosen)


def _fallback_text(article: str, tldr: str, summary: str) -> tuple[str, str]:
    """When no sentence makes a tldr or a summary (very short text, odd spacing), use the
    article's own words; an article too short for either is an input error."""
    words = " ".join(article.split())
    if len(summary) < MIN_SUMMARY:
        summary = trim_clause(words, SUMMARY_CHARS)
    if not tldr:
        tldr = _one_sentence(words)
    if not tldr or len(summary) < MIN_SUMMARY:
        raise InputError(
            f"article: too short to summarize ({len(words)} characters of text; the summary "
            f"needs at least {MIN_SUMMARY} and a sentence of at least {MIN_TLDR})"
        )
    return tldr, summary


def _valid(
    model: type[Actor] | type[Stance] | type[OpenQuestion],
    items: list[dict[str, object]],
    article: str,
) -> list[dict[str, object]]:
    """The items that validate on their own; a candidate the heuristics got wrong (a name
    over the length limit, a quote not in the article) is dropped, never an error."""
    kept: list[dict[str, object]] = []
    for item in items:
        try:
            model.model_validate(item, context={"article": article})
        except ValidationError as exc:
            log.debug("extractive: dropped a %s candidate: %s", model.__name__, exc)
            continue
        kept.append(item)
    return kept


def _listed(
    article: str,
    actors: list[dict[str, object]],
    stances: list[dict[str, object]],
    questions: list[dict[str, object]],
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    """Actors, stances and questions that validate, each referring only to kept actors."""
    actors = _valid(Actor, actors, article)
    names = {str(a["name"]) for a in actors}
    stances = _valid(Stance, [st for st in stances if st["actor"] in names], article)
    fixed = []
    for q in questions:
        related = q.get("related_actors")
        if isinstance(related, list):
            q = q | {"related_actors": [a for a in related if a in names]}
        fixed.append(q)
    return actors, stances, _valid(OpenQuestion, fixed, article)


def extract(article: str, *, title: str | None = None) -> ArticleSummary:
    """Deterministic, offline, no model; returns an ArticleSummary validated with
    context={"article": article}.

    Any text :func:`summarizer.inputs.check_text` accepts gives a valid summary, or an
    :class:`InputError` when it is too short for a tldr and a summary.
    """
    found_title, body = detect_title(article)
    if title is not None and article.lstrip().startswith(title.strip()) and found_title is None:
        body = article.find(title.strip()) + len(title.strip())
    sentences = split_sentences(article, body) or split_sentences(article, 0)
    scores = rank(sentences, title or found_title)
    tldr, summary, points = _pick_text(sentences, scores) if sentences else ("", "", [])
    tldr, summary = _fallback_text(article, tldr, summary)
    if len(points) < 3:
        points = [*points, tldr, summary][:3]
    finder = Actors(article, sentences)
    finder.scan()
    mentions = find_mentions(finder)
    raw = find_stances(finder, mentions)
    kept = _finish_actors(finder, raw)
    stances = [
        {k: v for k, v in st.items() if k != "verb"} | {"actor": kept[str(st["actor"])]}
        for st in raw
        if st["actor"] in kept
    ]
    actors: list[dict[str, object]] = [
        {
            "name": finder.acts[k].name,
            "type": finder.acts[k].type,
            "role": finder.acts[k].role.strip(" .,\"'“”")[:200],
            "aliases": finder.acts[k].aliases,
        }
        for k in kept
    ]
    questions = open_questions(finder, mentions, raw, kept)
    actors, stances, questions = _listed(article, actors, stances, questions)
    data = {
        "tldr": tldr,
        "summary": summary,
        "key_points": [trim_clause(p, POINT_CHARS) for p in points],
        "actors": actors,
        "stances": stances,
        "open_questions": questions,
    }
    return ArticleSummary.model_validate(data, context={"article": article})
