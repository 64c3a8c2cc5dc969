"""Long articles: split into overlapping chunks, extract per chunk, merge, summarize once.

An article whose estimated size (:func:`summarizer.tokens.estimate_tokens`) is over
``Settings.chunk_tokens``, or one the endpoint rejects with a
:class:`~summarizer.errors.ContextLengthError`, is split on line (paragraph) and
sentence boundaries into chunks under that budget, each overlapping the previous one
by about ``Settings.chunk_overlap`` tokens so a stance straddling a cut is seen whole
once. Every chunk is a contiguous slice of the article and goes through the normal
extraction call with the chunk as the article, so its quotes are validated against the
chunk (and are therefore verbatim in the whole article). A chunk that still does not
fit is split again at half the budget, down to :data:`MIN_CHUNK_TOKENS`.

The parts are merged deterministically (:mod:`summarizer.engines.llm.merge`), and one more call
with a three-field response model writes the ``tldr``, ``summary`` and ``key_points``
from the parts' summaries: no single chunk knows the article's main news, and the
call is small (the parts' summaries, not the article). If it fails, a deterministic
overview is used and ``meta.warnings`` says so. The merged summary is re-validated
with the whole article as context, so evidence offsets are offsets in the whole text.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from summarizer.engines.llm.merge import Overview, fallback_overview, merge_parts
from summarizer.errors import ContextLengthError, SummarizerError
from summarizer.schema import ArticleSummary
from summarizer.sentences import SENTENCE_BREAK, is_break
from summarizer.tokens import chars_for_tokens, estimate_tokens

if TYPE_CHECKING:
    from summarizer.config import Settings
    from summarizer.engines.base import RunStats
    from summarizer.engines.llm.engine import LLMEngine

MIN_CHUNK_TOKENS = 400
CHUNK_PARALLELISM = 4  # chunk calls in flight for one article (async path)

# A line from its first non-space character (a match may not start on whitespace: on a
# long whitespace-only line that made every position rescan to the line end).
_LINE = re.compile(r"\S[^\n]*")


@dataclass(frozen=True)
class Chunk:
    """``article[start:end]``, a contiguous slice of the article."""

    start: int
    end: int
    text: str


@dataclass
class Outcome:
    summary: ArticleSummary
    chunks: int = 1
    warnings: list[str] = field(default_factory=list)


def _hard_split(article: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at whitespace into pieces under ``budget``."""
    pieces: list[tuple[int, int]] = []
    while start < end:
        size = max(1, chars_for_tokens(budget))
        while size > 1 and estimate_tokens(article[start : start + size]) > budget:
            size = size * 4 // 5
        stop = min(end, start + size)
        if stop < end:
            space = article.rfind(" ", start + size // 2, stop)
            stop = space if space > start else stop
        pieces.append((start, stop))
        start = stop
        while start < end and article[start].isspace():
            start += 1
    return pieces


def _units(article: str, budget: int) -> list[tuple[int, int, bool]]:
    """Sentences as ``(start, end, starts_a_paragraph)``, none over ``budget`` tokens."""
    units: list[tuple[int, int, bool]] = []
    for line in _LINE.finditer(article):
        a = line.start() + len(line.group()) - len(line.group().lstrip())
        b = line.end() - (len(line.group()) - len(line.group().rstrip()))
        cuts = [a]
        for m in SENTENCE_BREAK.finditer(article, a, b):
            # Only the few characters before the mark can hold an abbreviation: search a
            # bounded window of the article in place (slicing from ``a`` was quadratic).
            if is_break(article, m.start(), a):
                cuts.append(m.end())
        cuts.append(b)
        first = True
        for s, e in itertools.pairwise(cuts):
            while e > s and article[e - 1].isspace():  # rstrip in place, without a copy
                e -= 1
            if e <= s:
                continue
            spans = (
                [(s, e)]
                if estimate_tokens(article[s:e]) <= budget
                else _hard_split(article, s, e, budget)
            )
            for ps, pe in spans:
                units.append((ps, pe, first))
                first = False
    return units


def split_chunks(article: str, budget: int, overlap: int = 0) -> list[Chunk]:
    """Split into chunks of at most ~``budget`` tokens, ending at paragraph ends if possible."""
    units = _units(article, budget)
    if not units:
        return []
    # cost[k]: unit k plus the whitespace before the next unit
    cost = [
        estimate_tokens(article[s : (units[k + 1][0] if k + 1 < len(units) else e)])
        for k, (s, e, _) in enumerate(units)
    ]
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, used = i, 0
        while j < len(units) and used + cost[j] <= budget:
            used += cost[j]
            j += 1
        j = max(j, i + 1)
        if j < len(units):  # prefer to end at a paragraph end in the second half
            for k in range(j - 1, i, -1):
                if units[k][2] and (k - i) * 2 >= j - i:
                    j = k
                    break
        start, end = units[i][0], units[j - 1][1]
        chunks.append(Chunk(start, end, article[start:end]))
        if j >= len(units):
            break
        k, back = j, 0
        while k - 1 > i and back + cost[k - 1] <= overlap:
            back += cost[k - 1]
            k -= 1
        i = k
    return chunks


def needs_chunking(article: str, settings: Settings) -> bool:
    return estimate_tokens(article) > settings.chunk_tokens


def _rebudget(article: str, budget: int) -> int:
    """The next, smaller budget after a context-length rejection."""
    smaller = min(budget, estimate_tokens(article)) // 2
    return smaller if smaller >= MIN_CHUNK_TOKENS else 0


async def _all(
    coros: list[Coroutine[Any, Any, list[ArticleSummary]]],
) -> list[list[ArticleSummary]]:
    """``gather`` that cancels the other chunk calls as soon as one fails."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class LongArticle:
    """Runs the LLM engine on one article, chunking it when it is (or proves) too long."""

    def __init__(self, engine: LLMEngine, title: str | None = None) -> None:
        self.settings = engine.settings
        self.engine = engine
        self.title = title

    def _split(self, text: str, budget: int) -> list[Chunk]:
        return split_chunks(text, budget, min(self.settings.chunk_overlap, budget // 4))

    def _finish(
        self, article: str, parts: list[ArticleSummary], overview: Overview
    ) -> ArticleSummary:
        data: dict[str, Any] = overview.model_dump()
        data.update(merge_parts(parts))
        return ArticleSummary.model_validate(data, context={"article": article})

    async def run(self, article: str, stats: RunStats) -> Outcome:
        budget = self.settings.chunk_tokens
        if not needs_chunking(article, self.settings):
            try:
                return Outcome(await self.engine.summarize(article, self.title, stats))
            except ContextLengthError:
                budget = _rebudget(article, budget)
                if not budget:
                    raise
        gate = asyncio.Semaphore(CHUNK_PARALLELISM)
        chunks = self._split(article, budget)
        groups = await _all([self._extract(c.text, budget, stats, gate) for c in chunks])
        return await self._merge(article, [p for g in groups for p in g], stats)

    async def _extract(
        self, text: str, budget: int, stats: RunStats, gate: asyncio.Semaphore
    ) -> list[ArticleSummary]:
        try:
            async with gate:
                return [await self.engine.summarize(text, self.title, stats)]
        except ContextLengthError:
            smaller = _rebudget(text, budget)
            if not smaller:
                raise
            pieces = self._split(text, smaller)
            groups = await _all([self._extract(c.text, smaller, stats, gate) for c in pieces])
            return [p for g in groups for p in g]

    async def _merge(self, article: str, parts: list[ArticleSummary], stats: RunStats) -> Outcome:
        messages = self.engine.prompts.render_overview([p.model_dump() for p in parts], self.title)
        try:
            overview = await self.engine.complete(article, messages, stats, Overview)
        except SummarizerError as err:  # any failure falls back, with a warning
            warning = f"overview of the {len(parts)} chunks merged without the model: {err}"
            fallback = self._finish(article, parts, fallback_overview(parts))
            return Outcome(fallback, len(parts), [warning])
        return Outcome(self._finish(article, parts, overview), len(parts), [])
