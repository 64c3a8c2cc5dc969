"""Find quotes and names in an article, tolerant of typography but not of wording.

Models (and people) retype quotes with straight instead of curly quote marks, a
hyphen instead of a dash, or a line break as a space, and text pasted from macOS or a
PDF often spells ``ü`` as ``u`` + U+0308 (NFD) where the model writes U+00FC (NFC).
Those differences are not fabrication, so matching normalizes them away; everything
else must match exactly, accents included (``cafe`` is not found in ``café``).
Offsets are reported in the *original* article, so a quote can be highlighted.

:func:`ground_quote` goes one step further and says how a quote matched:

* ``exact``: as :func:`find_span` (the folding above, case and words as written);
* ``elided``: the quote contains ``...``, ``…`` or ``[...]`` and its fragments occur,
  word for word and in order, inside one paragraph; the passage is the article's text
  from the first fragment to the last;
* ``aligned``: the quote differs from one passage only by case, punctuation and at most
  :func:`edit_limit` edits of :data:`FUNCTION_WORDS`: the articles ``a an the`` (added,
  dropped or swapped for each other), the auxiliaries ``have has had`` and
  ``do does did`` (added, dropped or swapped within their group) and ``am is are was
  were be been being`` (swapped within their group only: dropping one turns "was
  attacked" into "attacked"), and the prepositions ``of in on at to for`` (added or
  dropped). Every other word (negations, numbers, names, modal verbs, "by", "from"...)
  must be the article's, in the article's order: "could confirm" never aligns with
  "could not confirm".

Names (:func:`contains_name`) match on word boundaries: a word character is a letter,
mark or digit, except in scripts written without spaces (Chinese, Japanese kana, Thai,
Lao, Khmer, Myanmar), where every character stands alone; a Hangul name may be followed
by a particle (``정부는`` names ``정부``).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add
from typing import Literal

import regex
from rapidfuzz import fuzz

# Typographic variants folded before matching: quote marks, apostrophes, dashes.
_CHAR_MAP = {
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc`\u00b4", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
}


@dataclass(frozen=True)
class NormalizedText:
    """``text`` normalized, with ``index[i]`` the offset in the original of ``text[i]``.

    ``text`` is in NFC, built from whole characters: a character here is a base
    letter with the marks that follow it, or a run Unicode composes (Hangul jamo), so
    ``ü`` is one character whether written as U+00FC or as ``u`` + U+0308. All of a
    character's normalized code points map to its start in the original; ``ends`` holds
    its end where that is not ``index[i] + 1``, and ``joined`` the positions that
    continue a character that has no single composed form (a match may neither start
    nor end there).
    """

    text: str
    index: Sequence[int]  # an array of machine ints: 8 bytes a character, not ~36
    original_length: int
    ends: Mapping[int, int] = field(default_factory=dict)
    joined: frozenset[int] = frozenset()

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalized text back to the original."""
        if end <= start:
            return self.index[start], self.index[start]
        return self.index[start], self.ends.get(end - 1, self.index[end - 1] + 1)

    def find(self, needle: str) -> int:
        """The first occurrence of ``needle`` in ``text`` that starts and ends on whole
        characters (``u`` is not found in ``u`` + U+0308 + U+0316), or -1."""
        pos = self.text.find(needle)
        while pos >= 0 and (pos in self.joined or pos + len(needle) in self.joined):
            pos = self.text.find(needle, pos + 1)
        return pos


# Characters copied in runs, without per-character work: each is NFC on its own, is
# not whitespace, not a combining mark and not folded by _CHAR_MAP (ASCII without the
# backtick; Latin-1 letters and Latin Extended-A/B; Greek and Cyrillic letters; kana
# without the combining sound marks; CJK ideographs; Hangul syllables). A test checks it.
_PLAIN_CHARS = (
    "!-_a-~\u00c0-\u024f\u0386\u0388-\u03ff\u0400-\u0482\u048a-\u04ff"
    "\u3040-\u3098\u309b-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3"
)
# A plain run may hold single ASCII spaces between plain characters: such a space is
# its own normalized form, so prose is copied a line at a time, not a word at a time.
_SEGMENT = re.compile(f"([\\s\u200b\ufeff]+)|([{_PLAIN_CHARS}]+(?: [{_PLAIN_CHARS}]+)*)")
_MAX_MARKS = 30  # Unicode's stream-safe limit: longer runs of marks start a new character


def _normalize_char(ch: str) -> str:
    if ch in _CHAR_MAP:
        return _CHAR_MAP[ch]
    if ch == "\u2026":
        return "..."
    return ch


@lru_cache(maxsize=4096)
def _non_starter(ch: str) -> bool:
    """A combining mark, or a character whose decomposition starts with one."""
    return bool(
        unicodedata.combining(ch) or unicodedata.combining(unicodedata.normalize("NFD", ch)[0])
    )


def _composes(char: str, ch: str) -> bool:
    """Whether NFC composes ``ch`` into ``char`` (Hangul jamo, some Indic vowel signs)."""
    nfc = unicodedata.normalize
    return len(nfc("NFC", char + ch)) < len(nfc("NFC", char)) + len(nfc("NFC", ch))


def _attaches(text: str, j: int, start: int) -> bool:
    """Whether ``text[j]`` belongs to the character that starts at ``text[start]``."""
    ch = text[j]
    if ch < "\u0300":  # nothing below U+0300 combines with what precedes it
        return False
    if _non_starter(ch):
        return True
    if unicodedata.is_normalized("NFC", text[start : j + 1]):  # the fast path
        return False
    return _composes(text[start:j], ch)


def _char_end(text: str, i: int) -> int:
    """The end of the character starting at ``text[i]``: its marks and what composes onto
    it follow it (at most :data:`_MAX_MARKS` of them)."""
    j, n = i + 1, len(text)
    while j < n and j - i <= _MAX_MARKS and _attaches(text, j, i):
        j += 1
    return j


@lru_cache(maxsize=8192)
def _fold(char: str, fold_case: bool) -> str:
    """One character (a base and its marks), typography folded, in NFC."""
    piece = unicodedata.normalize("NFC", "".join(_normalize_char(ch) for ch in char))
    return unicodedata.normalize("NFC", piece.casefold()) if fold_case else piece


def normalize(text: str, fold_case: bool = False) -> NormalizedText:
    """Fold quote marks, dashes and whitespace runs, compose (NFC), optionally fold case;
    keep a map to original offsets.

    Runs of plain characters (most of any article) are copied whole; only the rest is
    looked at one character (a base and its marks) at a time.
    """
    out: list[str] = []
    index = array("q")
    ends: dict[int, int] = {}
    joined: set[int] = set()
    size = 0  # len("".join(out))
    pending_space = -1
    i, n = 0, len(text)
    while i < n:
        m = _SEGMENT.match(text, i)
        if m is not None and m.lastindex == 1:  # whitespace (zero-width ones are dropped)
            run = m.group(1)
            if pending_space < 0 and run.strip("\u200b\ufeff"):
                pending_space = i + len(run) - len(run.lstrip("\u200b\ufeff"))
            i = m.end()
            continue
        if pending_space >= 0:
            if out:
                out.append(" ")
                index.append(pending_space)
                size += 1
            pending_space = -1
        if m is not None:
            end = m.end()
            if end < n and _attaches(text, end, end - 1):
                end -= 1  # the last letter takes marks: it goes the long way
            run = text[i:end].casefold() if fold_case else text[i:end]
            if len(run) == end - i:  # casefold kept the length ("ß" does not): copy it
                out.append(run)
                index.extend(range(i, end))
                size += len(run)
                i = end
                if end == m.end():
                    continue
        stop = max(i + 1, m.end() if m is not None else 0)
        while i < stop:  # the long way: one character (a base and its marks) at a time
            j = _char_end(text, i)
            piece = _fold(text[i:j], fold_case)
            out.append(piece)
            for k in range(len(piece)):
                index.append(i)
                if j > i + 1:
                    ends[size + k] = j
                    if k:  # no single composed form: a match may not split it
                        joined.add(size + k)
            size += len(piece)
            i = j
    return NormalizedText("".join(out), index, len(text), ends, frozenset(joined))


@lru_cache(maxsize=8)
def normalized(text: str, fold_case: bool = False) -> NormalizedText:
    """Cached :func:`normalize` (an article is matched against many quotes and names).

    The case-folded form reuses the plain one (its offsets too) when folding keeps every
    character in place, as it does unless the text has e.g. a "ß": one pass, not two.
    """
    if fold_case:
        plain = normalized(text)
        folded = plain.text.casefold()
        if len(folded) == len(plain.text):
            return replace(plain, text=folded)
    return normalize(text, fold_case)


# Quotes and names are cleaned again and again: an actor's name is looked up for the
# actor, for each of its stances and for its mentions. Both are pure functions of short
# strings, so each is cleaned once (a small bounded cache, per process).
@lru_cache(maxsize=4096)
def _clean_quote(quote: str, fold_case: bool = False) -> str:
    q = normalize(quote, fold_case).text.strip()
    # A quote wrapped in its own quote marks: the marks are not part of the span.
    while len(q) >= 2 and q[0] == q[-1] and q[0] in "\"'":
        q = q[1:-1].strip()
    return q


def find_span(article: str, quote: str) -> tuple[int, int] | None:
    """Character offsets of ``quote`` in ``article`` (original coordinates), or None.

    Case and wording must match; quote marks, dashes and whitespace are folded, and
    Unicode normalization forms (NFC, NFD) do not matter.
    """
    q = _clean_quote(quote)
    if not q:
        return None
    norm = normalized(article)
    pos = norm.find(q)
    if pos < 0:
        return None
    return norm.span(pos, pos + len(q))


MatchKind = Literal["exact", "elided", "aligned"]

#: A quote needs at least this many words (each character of a script written without
#: spaces counts as one): a letter or a punctuation mark in quote marks is no evidence.
MIN_QUOTE_WORDS = 3

ARTICLES = frozenset({"a", "an", "the"})
BE_FORMS = frozenset({"am", "is", "are", "was", "were", "be", "been", "being"})
HAVE_FORMS = frozenset({"have", "has", "had"})
DO_FORMS = frozenset({"do", "does", "did"})
PREPOSITIONS = frozenset({"of", "in", "on", "at", "to", "for"})
#: The closed list of words an ``aligned`` quote may differ in (English only).
FUNCTION_WORDS = ARTICLES | BE_FORMS | HAVE_FORMS | DO_FORMS | PREPOSITIONS
_SWAPPABLE = (ARTICLES, BE_FORMS, HAVE_FORMS, DO_FORMS)  # a swap within a group: one edit
_DROPPABLE = ARTICLES | HAVE_FORMS | DO_FORMS | PREPOSITIONS  # added or dropped: one edit
#: At most this many function-word edits, however long the quote.
MAX_ALIGN_EDITS = 3
#: Placements of one quote looked at (to pick the one nearest its actor).
MAX_PLACEMENTS = 32

# Scripts written without spaces between words: each character is a word of its own.
_SPACELESS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_WORD = regex.compile(
    rf"[[{_SPACELESS}]--\p{{M}}]\p{{M}}*"
    rf"|[[\p{{L}}\p{{N}}]--[{_SPACELESS}]][[\p{{L}}\p{{M}}\p{{N}}]--[{_SPACELESS}]]*",
    regex.V1,
)
_JOINS = regex.compile(rf"[[\p{{L}}\p{{M}}\p{{N}}]--[{_SPACELESS}]]", regex.V1)
_HANGUL = regex.compile(r"\p{Hangul}")
_ELLIPSIS = re.compile(r"\[\s*\.\s*\.\s*\.\s*\]|\(\s*\.\s*\.\s*\.\s*\)|\.\s?\.\s?\.")


def words(text: str) -> list[str]:
    """The words of ``text`` (letters, marks and digits; one per character of a script
    written without spaces), as written."""
    return _WORD.findall(text)


def has_min_words(quote: str) -> bool:
    """Whether ``quote``, without its own quote marks, has :data:`MIN_QUOTE_WORDS` words."""
    return len(words(_clean_quote(quote))) >= MIN_QUOTE_WORDS


@lru_cache(maxsize=4096)
def _joins(ch: str) -> bool:
    """Whether ``ch`` continues a word: a letter, mark or digit of a spaced script."""
    return _JOINS.match(ch) is not None


def _name_at(text: str, pos: int, end: int) -> bool:
    """Whether ``text[pos:end]`` is a whole name: no word goes on before or after it (a
    Hangul name may take a particle after it)."""
    if pos > 0 and _joins(text[pos]) and _joins(text[pos - 1]):
        return False
    last = text[end - 1]
    if end < len(text) and _joins(last) and _joins(text[end]):
        return _HANGUL.match(last) is not None
    return True


def _name_hits(norm: NormalizedText, name: str) -> Iterator[int]:
    """Start offsets (in ``norm.text``) of ``name`` as a whole name."""
    pos = norm.text.find(name)
    while pos >= 0:
        end = pos + len(name)
        if pos not in norm.joined and end not in norm.joined and _name_at(norm.text, pos, end):
            yield pos
        pos = norm.text.find(name, pos + 1)


@lru_cache(maxsize=4096)
def _clean_name(name: str) -> str:
    n = _clean_quote(name, fold_case=True)
    return n if words(n) else ""  # punctuation alone names nobody


def contains_name(article: str, name: str) -> bool:
    """Whether ``name`` occurs in the article as a whole name (on word boundaries),
    ignoring case and typography."""
    n = _clean_name(name)
    return bool(n) and next(_name_hits(normalized(article, fold_case=True), n), None) is not None


@dataclass(frozen=True)
class Grounding:
    """How one quote stands in the article: its match kind and every placement found
    (at most :data:`MAX_PLACEMENTS`, in article order, original offsets)."""

    quote: str
    match: MatchKind
    placements: tuple[tuple[int, int], ...]

    def nearest(self, mentions: Sequence[tuple[int, int]]) -> tuple[int, int]:
        """The placement nearest one of ``mentions`` (sorted spans of the actor's names),
        else the first; of placements equally near, the first."""
        if len(self.placements) == 1 or not mentions:
            return self.placements[0]
        starts = [m[0] for m in mentions]
        reach = list(accumulate((m[1] for m in mentions), max))  # furthest end so far

        def distance(span: tuple[int, int]) -> int:
            i = bisect_left(starts, span[0])  # mentions[:i] start before the span
            after = max(0, starts[i] - span[1]) if i < len(starts) else sys.maxsize
            before = max(0, span[0] - reach[i - 1]) if i else sys.maxsize
            return min(before, after)

        return min(self.placements, key=distance)


@dataclass(frozen=True)
class _Words:
    """The words of an article (case-folded), each findable as a run in a joined string."""

    norm: NormalizedText  # the case-folded article
    words: list[str]
    starts: Sequence[int]  # offsets in norm.text
    ends: Sequence[int]
    joined: str  # " w0 w1 ... "
    offsets: Sequence[int]  # where each word starts in ``joined``
    content: Sequence[int]  # indices of words that are not FUNCTION_WORDS
    content_joined: str
    content_offsets: Sequence[int]
    breaks: Sequence[int]  # paragraph breaks (original offsets)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Original offsets from the start of word ``first`` to the end of word ``last``."""
        return self.norm.span(self.starts[first], self.ends[last])

    def paragraph_end(self, word: int) -> int:
        """The first word index past the paragraph that word ``word`` is in."""
        at = self.norm.index[self.starts[word]]
        i = bisect_right(self.breaks, at)
        if i == len(self.breaks):
            return len(self.words)
        brk = self.breaks[i]
        lo, hi = word, len(self.words)
        while lo < hi:  # the first word starting after the break
            mid = (lo + hi) // 2
            if self.norm.index[self.starts[mid]] < brk:
                lo = mid + 1
            else:
                hi = mid
        return lo


def _joined(items: list[str]) -> tuple[str, array[int]]:
    """``" w0 w1 ... "`` and where each word starts in it (built in C-speed passes)."""
    offsets = array("q", accumulate(map(add, map(len, items), repeat(1)), initial=1))
    offsets.pop()  # word i starts after the words before it and i + 1 spaces
    return " " + " ".join(items) + " ", offsets


_WORD_SPLIT = regex.compile(f"({_WORD.pattern})", regex.V1)


@lru_cache(maxsize=8)
def _article_words(article: str) -> _Words:
    norm = normalized(article, fold_case=True)
    pieces = _WORD_SPLIT.split(norm.text)  # gap, word, gap, word, ..., gap
    bounds = array("q", accumulate(map(len, pieces), initial=0))
    found = pieces[1::2]
    starts, ends = bounds[1:-1:2], bounds[2:-1:2]
    joined, offsets = _joined(found)
    content = array("q", (i for i, w in enumerate(found) if w not in FUNCTION_WORDS))
    content_joined, content_offsets = _joined([found[i] for i in content])
    blank = [m.start() for m in re.finditer(r"\n[ \t\r\f\v]*\n", article)]
    breaks = blank or [m.start() for m in re.finditer("\n", article)]
    return _Words(
        norm, found, starts, ends, joined, offsets, content, content_joined, content_offsets,
        breaks,
    )  # fmt: skip


def _runs(joined: str, offsets: Sequence[int], run: Sequence[str], lo: int = 0,
          hi: int | None = None) -> Iterator[int]:  # fmt: skip
    """Indices where the word sequence ``run`` starts in ``joined[lo:hi]``."""
    needle = " " + " ".join(run) + " "
    stop = len(joined) if hi is None else hi
    pos = joined.find(needle, lo, stop)
    while pos >= 0:
        yield bisect_left(offsets, pos + 1)
        pos = joined.find(needle, pos + len(needle) - 1, stop)


def _exact(article: str, quote: str) -> tuple[tuple[int, int], ...]:
    norm = normalized(article)
    out: list[tuple[int, int]] = []
    pos = norm.find(quote)
    while pos >= 0 and len(out) < MAX_PLACEMENTS:
        out.append(norm.span(pos, pos + len(quote)))
        pos = norm.text.find(quote, pos + 1)
        while pos >= 0 and (pos in norm.joined or pos + len(quote) in norm.joined):
            pos = norm.text.find(quote, pos + 1)
    return tuple(out)


def _elided(aw: _Words, quote: str) -> tuple[tuple[int, int], ...]:
    """Placements of a quote with ellipses: fragments in order within one paragraph."""
    pieces = _ELLIPSIS.split(quote)
    fragments = [f for f in (words(p) for p in pieces) if f]
    if len(pieces) < 2 or not fragments:
        return ()
    out: list[tuple[int, int]] = []
    for first in _runs(aw.joined, aw.offsets, fragments[0]):
        if len(out) >= MAX_PLACEMENTS:
            break
        stop = aw.paragraph_end(first)
        if first + len(fragments[0]) > stop:
            continue
        at, last = first + len(fragments[0]), first + len(fragments[0]) - 1
        for fragment in fragments[1:]:
            hi = aw.offsets[stop] if stop < len(aw.words) else len(aw.joined)
            lo = aw.offsets[at] - 1 if at < len(aw.words) else hi
            found = next(_runs(aw.joined, aw.offsets, fragment, lo, hi), None)
            if found is None:
                break
            at, last = found + len(fragment), found + len(fragment) - 1
        else:
            out.append(aw.span(first, last))
    return tuple(out)


def _edit_cost(a: str, b: str) -> int:
    if a == b:
        return 0
    return 1 if any(a in g and b in g for g in _SWAPPABLE) else MAX_ALIGN_EDITS + 1


def _drop_cost(word: str) -> int:
    return 1 if word in _DROPPABLE else MAX_ALIGN_EDITS + 1


def function_word_edits(quote: Sequence[str], passage: Sequence[str]) -> int:
    """Edits (adding, dropping or swapping function words, as the module docstring says)
    that turn ``quote``'s words into ``passage``'s; anything else costs more than
    :data:`MAX_ALIGN_EDITS`."""
    row = [0]
    for w in passage:
        row.append(row[-1] + _drop_cost(w))
    for q in quote:
        prev, row = row, [row[0] + _drop_cost(q)]
        for j, w in enumerate(passage):
            row.append(min(prev[j] + _edit_cost(q, w), prev[j + 1] + _drop_cost(q),
                           row[j] + _drop_cost(w)))  # fmt: skip
    return row[-1]


def edit_limit(quote_words: int) -> int:
    """Function-word edits allowed in a quote of ``quote_words`` words: one, and one more
    per 8 words, at most :data:`MAX_ALIGN_EDITS`."""
    return min(MAX_ALIGN_EDITS, 1 + quote_words // 8)


def _edge(aw: _Words, quote: Sequence[str], word: int, step: int) -> tuple[int, int]:
    """(edits, words taken) aligning the quote's leading (``step=-1``) or trailing function
    words with those next to article word ``word``; ties take more of the article."""
    run: list[str] = []
    i = word + step
    while 0 <= i < len(aw.words) and aw.words[i] in FUNCTION_WORDS and len(run) < len(quote) + 3:
        run.append(aw.words[i])
        i += step
    best = (function_word_edits(quote, []), 0)
    for n in range(1, len(run) + 1):
        taken = run[:n][::-1] if step < 0 else run[:n]
        cost = function_word_edits(quote, taken)
        if cost <= best[0]:
            best = (cost, n)
    return best


def _aligned(aw: _Words, quote: list[str]) -> tuple[tuple[int, int], ...]:
    """Placements of a quote that differs only by case, punctuation and function words."""
    at = [i for i, w in enumerate(quote) if w not in FUNCTION_WORDS]
    if not at:
        return ()
    limit = edit_limit(len(quote))
    content = [quote[i] for i in at]
    out: list[tuple[int, int]] = []
    for k in _runs(aw.content_joined, aw.content_offsets, content):
        if len(out) >= MAX_PLACEMENTS:
            break
        idx = aw.content[k : k + len(content)]
        cost = sum(
            function_word_edits(quote[at[j] + 1 : at[j + 1]], aw.words[idx[j] + 1 : idx[j + 1]])
            for j in range(len(at) - 1)
        )
        lead, back = _edge(aw, quote[: at[0]], idx[0], -1)
        trail, ahead = _edge(aw, quote[at[-1] + 1 :], idx[-1], 1)
        if cost + lead + trail <= limit:
            out.append(aw.span(idx[0] - back, idx[-1] + ahead))
    return tuple(out)


def ground_quote(article: str, quote: str) -> Grounding | None:
    """How ``quote`` matches the article (``exact``, ``elided`` or ``aligned``, in that
    order of preference), or None if it aligns nowhere. Offsets are original ones."""
    q = _clean_quote(quote)
    if not q:
        return None
    found = _exact(article, q)
    if found:
        return Grounding(quote, "exact", found)
    folded = _clean_quote(quote, fold_case=True)
    aw = _article_words(article)
    found = _elided(aw, folded)
    if found:
        return Grounding(quote, "elided", found)
    found = _aligned(aw, words(folded))
    if found:
        return Grounding(quote, "aligned", found)
    return None


#: How much of a quote :func:`closest_passage` compares (a longer one costs more, and
#: its start tells where it came from).
_CLOSEST_CHARS = 400


def closest_passage(article: str, quote: str, min_score: float = 50.0) -> str | None:
    """The article passage most like ``quote``, or None if nothing scores ``min_score``.

    rapidfuzz's best partial alignment on the folded texts finds a window as long as the
    quote; the passage is then the run of whole words around it (reaching up to a
    quarter of the quote's length further on each side, as the article may say more)
    that scores best against the quote."""
    q = _ELLIPSIS.sub(" ", _clean_quote(quote, fold_case=True))[:_CLOSEST_CHARS].strip()
    norm = normalized(article, fold_case=True)
    if not q or not norm.text:
        return None
    hit = fuzz.partial_ratio_alignment(q, norm.text, score_cutoff=min_score)
    if hit is None:
        return None
    reach = len(q) // 4 + 1
    lo, hi = max(0, hit.dest_start - reach), min(len(norm.text), hit.dest_end + reach)
    found = [m.span() for m in _WORD.finditer(norm.text, lo, hi)]
    if lo > 0 and found and found[0][0] == lo and _joins(norm.text[lo - 1]):
        found = found[1:]  # cut inside a word
    if hi < len(norm.text) and found and found[-1][1] == hi and _joins(norm.text[hi]):
        found = found[:-1]
    starts = [s for s, _ in found if s <= hit.dest_start + reach]
    ends = [e for _, e in found if e >= hit.dest_end - reach]
    pairs = [(s, e) for s in starts for e in ends if e > s]
    if not pairs:
        return None
    best = max(pairs, key=lambda se: fuzz.ratio(q, norm.text[se[0] : se[1]]))
    begin, stop = norm.span(*best)
    return article[begin:stop]


def canonical_text(text: str) -> str:
    """The article text as hashed for cache keys: NFC, no BOM, folded line ends, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\ufeff", ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def find_mentions(article: str, names: Sequence[str]) -> list[tuple[int, int]]:
    """Offsets (original coordinates) of every whole-name occurrence of any of ``names``.

    Matching folds case and typography and uses the word boundaries of
    :func:`contains_name` ("Korea" is not found in "Korean"). Where names overlap ("Kim"
    inside "Kim Jong Un") the longer one wins, so the spans never overlap and come
    sorted. One ``str.find`` scan of the article per name.
    """
    norm = normalized(article, fold_case=True)
    hits: list[tuple[int, int]] = []
    for needle in dict.fromkeys(_clean_name(n) for n in names):
        if needle:
            hits.extend((pos, pos + len(needle)) for pos in _name_hits(norm, needle))
    hits.sort(key=lambda h: (h[0], -h[1]))
    spans: list[tuple[int, int]] = []
    reach = 0
    for start, end in hits:
        if start >= reach:
            spans.append(norm.span(start, end))
            reach = end
    return spans
