"""Sentence ranking for the extractive engine: content terms, TextRank with a lead bias,
and clause trimming."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from operator import mul

from summarizer.engines.extractive.lexicon import word_set
from summarizer.sentences import WORD, Sentence, bounded

STOPWORDS = word_set(
    "a an the and or but if of to in on at by for with from as that this these those is are was "
    "were be been being has have had do does did will would could should may might can it its "
    "he she they them his her their we our you your i not no so than then there which who whom "
    "whose what when where while also said says told after before about over into out up more "
    "most such only other some any all both each one two very just"
)


@lru_cache(maxsize=65536)  # an article repeats its words: stem each once
def stem(word: str) -> str:
    w = word.lower().replace("'", "").replace("\u2019", "")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def content_terms(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 2}


#: Up to this many sentences the similarity graph is complete (every pair sharing a
#: term is linked), exactly as in TextRank; longer articles use the two bounds below.
EXACT_SENTENCES = 300
#: In a longer article a term found in more sentences than this links none of them
#: (it says little about any one of them, and its pairs would grow as the square).
TERM_CAP = 40
#: ... and each sentence keeps only its strongest links (an edge stays if either end
#: keeps it), so the power iteration is linear in the number of sentences.
MAX_LINKS = 24
ITERATIONS = 30


def _pair_counts(terms: list[set[str]], cap: int) -> list[dict[int, int]]:
    """For each sentence i, the sentences j > i it shares terms with, and how many.

    An inverted index (term -> sentences) visits only the pairs that share a term, so
    the cost is the sum over terms of their sentence count squared, bounded by ``cap``.
    """
    postings: dict[str, list[int]] = {}
    for i, mine in enumerate(terms):
        if len(mine) > 1:
            for term in mine:
                postings.setdefault(term, []).append(i)
    counts: list[dict[int, int]] = [{} for _ in terms]
    for ids in postings.values():
        if len(ids) < 2 or len(ids) > cap:
            continue
        for k, i in enumerate(ids):
            row = counts[i]
            for j in ids[k + 1 :]:
                row[j] = row.get(j, 0) + 1
    return counts


def similarity_graph(terms: list[set[str]]) -> list[dict[int, float]]:
    """Symmetric word-overlap weights, as sparse rows (neighbour -> weight)."""
    n = len(terms)
    exact = n <= EXACT_SENTENCES
    logs = [math.log(len(t)) if len(t) > 1 else 0.0 for t in terms]
    rows: list[dict[int, float]] = [{} for _ in range(n)]
    for i, row in enumerate(_pair_counts(terms, n if exact else TERM_CAP)):
        for j, common in row.items():
            rows[i][j] = rows[j][i] = common / (logs[i] + logs[j])
    if exact:
        return rows
    keep = [set(sorted(row, key=lambda j: (-row[j], j))[:MAX_LINKS]) for row in rows]
    return [
        {j: w for j, w in row.items() if j in keep[i] or i in keep[j]} for i, row in enumerate(rows)
    ]


def _textrank(rows: list[dict[int, float]]) -> list[float]:
    """PageRank over the sparse graph; a sentence with no link keeps the base score."""
    n = len(rows)
    base = 0.15 / max(n, 1)
    totals = [sum(row.values()) or 1.0 for row in rows]
    linked = [i for i, row in enumerate(rows) if row]
    neighbours = {i: list(rows[i]) for i in linked}
    weights = {i: [w / totals[j] for j, w in rows[i].items()] for i in linked}
    score = [1.0 / max(n, 1)] * n
    for _ in range(ITERATIONS):
        get = score.__getitem__
        new = [base] * n
        for i in linked:
            new[i] = base + 0.85 * sum(map(mul, weights[i], map(get, neighbours[i])))
        score = new
    return score


def rank(sentences: list[Sentence], title: str | None = None) -> list[float]:
    """TextRank (sentence graph, word-overlap similarity) blended with a lead bias.

    Near-linear: the graph is built from an inverted index of terms, never as an n x n
    matrix; see :data:`EXACT_SENTENCES`.
    """
    terms = [content_terms(s.text) for s in sentences]
    title_terms = content_terms(title) if title else set()
    score = _textrank(similarity_graph(terms))
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
    """``text`` cut at the last clause boundary that fits in ``limit`` characters, else
    between words, else (no spaces: Thai, CJK, one huge word) between characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    for mark in ("; ", ", ", " — ", " – ", " - "):
        cut = head.rfind(mark)
        if cut >= limit // 3:
            return head[:cut].rstrip()
    start, end = next(bounded(text, 0, len(text), limit))
    return text[start:end]


def clauses(text: str) -> list[str]:
    """Clauses of a sentence split at semicolons and coordinating commas (verbatim pieces)."""
    parts = re.split(r";\s+|,\s+(?=(?:and|but|while|which|although|as)\s)|\s+[—–]\s+", text)
    return [p.strip() for p in parts if len(WORD.findall(p)) >= 4]
