"""A model-free extractive summarizer: the embedded default and the baseline to beat.

Deterministic and offline. Sentences are ranked with TextRank plus a lead bias
(``textutil``); actors come from capitalized name chunks (``actors``); stances from
reporting verbs next to an actor mention and open questions from cue phrases
(``stances``). This module picks the text, keeps the actors worth listing and assembles
the ``ArticleSummary``. Every string copied from the article is copied verbatim, so the
schema's grounding validators always pass.
"""

from __future__ import annotations

import re

from summarizer.engines.extractive.actors import Actors, find_mentions
from summarizer.engines.extractive.questions import open_questions
from summarizer.engines.extractive.ranking import clauses, content_terms, rank, trim_clause
from summarizer.engines.extractive.stances import find_stances
from summarizer.schema import MAX_ACTORS, ArticleSummary
from summarizer.sentences import (
    Sentence,
    detect_title,
    first_sentence,
    fold,
    is_one_sentence,
    split_sentences,
    strip_dateline,
)


def _finish_actors(finder: Actors, stances: list[dict[str, object]]) -> dict[str, str]:
    """Choose which candidates are actors; fix aliases and roles. Returns key -> name."""
    speaking = {str(st["actor"]) for st in stances}
    text = finder.text
    kept: dict[str, str] = {}
    order = sorted(finder.acts.items(), key=lambda kv: (-(kv[0] in speaking), -kv[1].mentions))
    used: set[str] = set()
    for key, act in order:
        need = {"person": 0, "group": 0, "organization": 2, "country": 4}[act.type]
        if key not in speaking and act.mentions < max(need, 1):
            continue
        if act.type == "person":
            last = act.name.split()[-1]
            solo = len(re.findall(r"(?<![\w-])" + re.escape(fold(last)) + r"(?![\w-])", text))
            if solo > len(re.findall(re.escape(fold(act.name)), text)):
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


def _pick_text(sentences: list[Sentence], scores: list[float]) -> tuple[str, str, list[str]]:
    usable = [s for s in sentences if not s.boilerplate and len(s.words) >= 4] or sentences
    ranked: list[Sentence] = []
    terms = {s.index: content_terms(s.text) for s in usable}
    for s in sorted(usable, key=lambda s: (-scores[s.index], s.index)):
        mine = terms[s.index]
        if all(
            len(mine & terms[r.index]) <= 0.6 * min(len(mine), len(terms[r.index])) for r in ranked
        ):
            ranked.append(s)
            if len(ranked) >= 8:
                break
    clean = {s.index: strip_dateline(s.text) for s in usable}
    full = {i: t if t[-1:] in ".!?\"'”’" else t + "." for i, t in clean.items()}
    tldr = ""
    for s in sorted(ranked, key=lambda s: s.text[:1] in "\"“'‘"):
        candidate = trim_clause(clean[s.index], 350)
        if is_one_sentence(candidate) and len(candidate) >= 10:
            tldr = candidate
            break
    tldr = tldr or trim_clause(first_sentence(clean[ranked[0].index]), 350) if ranked else ""
    chosen = sorted(ranked[:4], key=lambda s: s.index)
    while len(chosen) > 1 and len(" ".join(full[s.index] for s in chosen)) > 1500:
        chosen.remove(min(chosen, key=lambda s: scores[s.index]))
    summary = trim_clause(" ".join(full[s.index] for s in chosen), 1500)
    points = [trim_clause(clean[s.index], 300) for s in ranked[:5]]
    for s in ranked[:3]:
        if len(points) >= 3:
            break
        points += [c for c in clauses(clean[s.index]) if c not in points]
    while len(points) < 3 and points:
        half = points[0].split()
        points.append(" ".join(half[len(half) // 2 :]) if len(half) > 3 else points[0])
    return tldr, summary, list(dict.fromkeys(points))[:7] if len(set(points)) >= 3 else points[:7]


def extract(article: str, *, title: str | None = None) -> ArticleSummary:
    """Deterministic, offline, no model; returns an ArticleSummary validated with
    context={"article": article}."""
    found_title, body = detect_title(article)
    if title is not None and article.lstrip().startswith(title.strip()) and found_title is None:
        body = article.find(title.strip()) + len(title.strip())
    sentences = split_sentences(article, body)
    if not sentences:
        sentences = split_sentences(article, 0)
    scores = rank(sentences, title or found_title)
    tldr, summary, points = _pick_text(sentences, scores)
    if len(summary) < 20:
        summary = trim_clause(" ".join(article.split()), 1500)
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
    actors = [
        {
            "name": finder.acts[k].name,
            "type": finder.acts[k].type,
            "role": finder.acts[k].role.strip(" .,\"'“”")[:200],
            "aliases": finder.acts[k].aliases,
        }
        for k in kept
    ]
    data = {
        "tldr": tldr,
        "summary": summary,
        "key_points": points,
        "actors": actors,
        "stances": stances,
        "open_questions": open_questions(finder, mentions, raw, kept),
    }
    return ArticleSummary.model_validate(data, context={"article": article})
