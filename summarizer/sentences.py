"""The one sentence rule of the project: where sentences start and end in an article.

Used by the schema (a tldr is one sentence), by long-article chunking (chunks end on
sentence boundaries) and by the extractive engine (it ranks sentences). Sentence
splitting uses ``sentencex`` (Wikimedia's rule-based segmenter) inside each line, since
news text often carries headlines and source lines with no final punctuation; the
break pattern below decides what the schema counts as "more than one sentence".
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

#: Words whose final period is not a sentence end ("Mr.", "U.S.").
ABBREVIATION = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Lt|Col|Jr|Sr|No|Prof|Inc|Corp|Co|Ltd|vs|etc|U\.S|U\.K|U\.N|E\.U)\.$"
)
#: How far before a sentence mark :data:`ABBREVIATION` needs to look (its longest word is
#: 4 characters, and ``\b`` looks at the character before the window).
ABBREVIATION_WINDOW = 16
#: A sentence mark, an optional closing quote or bracket, space, and a capital or opening quote.
SENTENCE_BREAK = re.compile(r"[.!?][\"'\u201d\u2019)]?\s+(?=[A-Z\u201c\"\u2018'(])")
WORD = re.compile(r"[^\W\d_][\w'\-]*")
#: The longest sentence unit :func:`split_sentences` returns. Text without sentence
#: punctuation (Thai, Arabic without periods, a list of words, one huge word) would
#: otherwise be one "sentence" per line, over every field limit of the schema and useless
#: to rank; longer units are cut at a clause mark, else between words, else (a script
#: without spaces, a huge word) between characters.
MAX_SENTENCE_CHARS = 400
#: The longest first line :func:`detect_title` takes for a headline.
MAX_TITLE_CHARS = 200
# Where a long unit may be cut: after a clause mark (Latin, Arabic, CJK) or around a dash.
_CLAUSE_CUT = re.compile(
    r"[,;:\u060c\u061b\u3001\uff0c\uff1b\uff1a](?=\s)|[\u3001\uff0c\uff1b\uff1a]|\s[\u2014\u2013-]\s"
)
_SPACE_CUT = re.compile(r"\s+")


def is_break(text: str, mark: int, floor: int = 0) -> bool:
    """Whether the sentence mark at ``text[mark]`` ends a sentence (not an abbreviation)."""
    return not ABBREVIATION.search(text, max(floor, mark - ABBREVIATION_WINDOW), mark + 1)


def breaks(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets just past each sentence break in ``text[start:end]`` (after the space)."""
    stop = len(text) if end is None else end
    return [
        m.end()
        for m in SENTENCE_BREAK.finditer(text, start, stop)
        if is_break(text, m.start(), start)
    ]


# Same-length folding (offsets stay valid): curly quotes to straight ones.
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'\-]+(?:, [A-Z][\w.]*(?: [A-Z][\w.]*)?)?(?:, [A-Z][a-z]+\.? \d{1,2})? [—–-]+ "
)
_BOILER = re.compile(
    r"^(?:[-–—•*]\s*\w+(?:\s\w+)?|(?:read more|follow us|subscribe|advertisement|share this|"
    r"all rights reserved|copyright|click here|sign up)\b.*|\(?reporting by .*|"
    r"[A-Z][\w ]{1,30} (?:reported|writes|wrote|reports) (?:the|this) "
    r"(?:information|news|report)\.?)$",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Fold curly quotes to straight ones without changing length."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the article with its offsets in the original text."""

    text: str
    start: int
    end: int
    index: int
    boilerplate: bool

    @property
    def words(self) -> list[str]:
        return WORD.findall(self.text)


def is_one_sentence(text: str) -> bool:
    """Whether the schema's tldr validator would accept ``text`` as one sentence."""
    return not breaks(text)


def first_sentence(text: str) -> str:
    """``text`` cut before the first sentence break the tldr validator would see."""
    for m in SENTENCE_BREAK.finditer(text):
        if is_break(text, m.start()):
            return text[: m.start() + 1]
    return text


def strip_dateline(text: str) -> str:
    """Drop a leading wire dateline ('QUITO, March 4 — '), keeping the rest verbatim."""
    m = _DATELINE.match(text)
    return text[m.end() :] if m else text


def is_boilerplate(text: str) -> bool:
    words = WORD.findall(text)
    return (
        not words
        or bool(_BOILER.match(text.strip()))
        or (len(words) <= 2 and text[-1:] not in ".!?\"'")
    )


def detect_title(article: str) -> tuple[str | None, int]:
    """A headline on the first line (no final punctuation, more text below), and where the
    body starts."""
    stripped = article.lstrip()
    first, sep, rest = stripped.partition("\n")
    first = first.strip()
    ends = re.search(r"[.!?:][\"'”’]?$", first)
    if (
        sep
        and rest.strip()
        and first
        and not ends
        and len(first.split()) <= 25
        and len(first) <= MAX_TITLE_CHARS
    ):
        return first, len(article) - len(stripped) + len(first) + 1
    return None, 0


def _last_cut(text: str, pattern: re.Pattern[str], lo: int, hi: int) -> int:
    """End of the last match of ``pattern`` in ``text[lo:hi]``, or -1."""
    cut = -1
    for m in pattern.finditer(text, lo, hi):
        cut = m.end() if pattern is _CLAUSE_CUT else m.start()
    return cut


def _cut(text: str, start: int, limit: int) -> int:
    """Where to end a unit that starts at ``start`` and may be at most ``limit`` long."""
    hi = start + limit
    cut = _last_cut(text, _CLAUSE_CUT, start + limit // 2, hi)
    if cut < 0:
        cut = _last_cut(text, _SPACE_CUT, start + limit // 4, hi + 1)
    if cut <= start:
        cut = hi  # no space to cut at: between characters, not inside a combined one
        while cut > start + 1 and unicodedata.category(text[cut])[0] == "M":
            cut -= 1
    return cut


def bounded(
    text: str, start: int, end: int, limit: int = MAX_SENTENCE_CHARS
) -> Iterator[tuple[int, int]]:
    """``text[start:end]`` as spans of at most ``limit`` characters, stripped of spaces."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > limit:
        cut = _cut(text, start, limit)
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        yield start, piece_end
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def _segment_starts(article: str, start: int, end: int) -> list[int]:
    """Where sentencex starts a sentence inside the line ``article[start:end]``."""
    # sentencex ships no type information; its segment() yields str.
    segment = importlib.import_module("sentencex").segment
    starts = [start]
    cursor = start
    for piece in segment("en", article[start:end]):
        chunk = str(piece).strip()
        at = article.find(chunk, cursor, end) if chunk else -1
        if at > cursor:
            starts.append(at)
        if at >= 0:
            cursor = at + len(chunk)
    return starts


def split_sentences(article: str, body_start: int = 0) -> list[Sentence]:
    """Sentences of the article body, line by line, with offsets into ``article``.

    Every character of the body outside whitespace belongs to exactly one sentence, each
    sentence is ``article[start:end]`` verbatim and at most :data:`MAX_SENTENCE_CHARS` long.
    """
    out: list[Sentence] = []
    pos = body_start
    for line in article[body_start:].split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        line_end = line_start + len(line)
        starts = _segment_starts(article, line_start, line_end)
        for a, b in zip(starts, [*starts[1:], line_end], strict=True):
            for s, e in bounded(article, a, b):
                chunk = article[s:e]
                out.append(Sentence(chunk, s, e, len(out), is_boilerplate(chunk)))
    return out
