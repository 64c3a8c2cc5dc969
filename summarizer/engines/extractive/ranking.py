"""Sentence ranking for the extractive engine: content terms, TextRank with a lead bias,
and clause trimming."""

from __future__ import annotations

import math
import re

from summarizer.engines.extractive.lexicon import word_set
from summarizer.sentences import WORD, Sentence

STOPWORDS = word_set(
    "a an the and or but if of to in on at by for with from as that this these those is are was "
    "were be been being has have had do does did will would could should may might can it its "
    "he she they them his her their we our you your i not no so than then there which who whom "
    "whose what when where while also said says told after before about over into out up more "
    "most such only other some any all both each one two very just"
)


def stem(word: str) -> str:
    w = word.lower().replace("'", "").replace("\u2019", "")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def content_terms(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 2}


def rank(sentences: list[Sentence], title: str | None = None) -> list[float]:
    """TextRank (sentence graph, word-overlap similarity) blended with a lead bias."""
    terms = [content_terms(s.text) for s in sentences]
    title_terms = content_terms(title) if title else set()
    n = len(sentences)
    weights = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            common = len(terms[i] & terms[j])
            if common and len(terms[i]) > 1 and len(terms[j]) > 1:
                w = common / (math.log(len(terms[i])) + math.log(len(terms[j])))
                weights[i][j] = weights[j][i] = w
    totals = [sum(row) or 1.0 for row in weights]
    links = [[(j, w / totals[j]) for j, w in enumerate(row) if w] for row in weights]
    score = [1.0 / max(n, 1)] * n
    for _ in range(30):
        score = [0.15 / n + 0.85 * sum(w * score[j] for j, w in links[i]) for i in range(n)]
    top = max(score, default=1.0) or 1.0
    final: list[float] = []
    for i, s in enumerate(sentences):
        lead = 1.0 / (1.0 + 0.35 * i)
        value = 0.55 * score[i] / top + 0.45 * lead
        if title_terms and terms[i]:
            value += 0.25 * len(terms[i] & title_terms) / len(title_terms)
        words = len(s.words)
        if s.boilerplate or words < 6:
            value *= 0.2
        elif s.text.lstrip()[:1] in "\"'\u201c\u2018":
            value *= 0.6  # a bare quote is rarely the news itself
        final.append(value)
    return final


def trim_clause(text: str, limit: int) -> str:
    """``text`` cut at the last clause boundary that fits in ``limit`` characters."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for mark in ("; ", ", ", " — ", " – ", " - "):
        cut = head.rfind(mark)
        if cut >= limit // 3:
            return head[:cut].rstrip()
    cut = head.rfind(" ")
    return head[: cut if cut > 0 else limit].rstrip()


def clauses(text: str) -> list[str]:
    """Clauses of a sentence split at semicolons and coordinating commas (verbatim pieces)."""
    parts = re.split(r";\s+|,\s+(?=(?:and|but|while|which|although|as)\s)|\s+[—–]\s+", text)
    return [p.strip() for p in parts if len(WORD.findall(p)) >= 4]
