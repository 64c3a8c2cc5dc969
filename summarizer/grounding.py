"""Find quotes and names in an article, tolerant of typography but not of wording.

Models (and people) retype quotes with straight instead of curly quote marks, a
hyphen instead of a dash, or a line break as a space, and text pasted from macOS or a
PDF often spells ``ü`` as ``u`` + U+0308 (NFD) where the model writes U+00FC (NFC).
Those differences are not fabrication, so matching normalizes them away; everything
else must match exactly, accents included (``cafe`` is not found in ``café``).
Offsets are reported in the *original* article, so a quote can be highlighted.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

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
_SEGMENT = re.compile(f"([\\s\u200b\ufeff]+)|([{_PLAIN_CHARS}]+)")
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


def contains_name(article: str, name: str) -> bool:
    """Whether ``name`` occurs in the article, ignoring case and typography."""
    n = _clean_quote(name, fold_case=True)
    if not n:
        return False
    return normalized(article, fold_case=True).find(n) >= 0


def canonical_text(text: str) -> str:
    """The article text as hashed for cache keys: NFC, no BOM, folded line ends, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\ufeff", ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _word_edge(text: str, pos: int) -> bool:
    """Whether ``pos`` in ``text`` is not inside a word (letters or digits both sides)."""
    return pos <= 0 or pos >= len(text) or not (text[pos - 1].isalnum() and text[pos].isalnum())


def find_mentions(article: str, names: Sequence[str]) -> list[tuple[int, int]]:
    """Offsets (original coordinates) of every whole-word occurrence of any of ``names``.

    Matching folds case and typography like :func:`contains_name`; a name only matches
    where it does not continue a word ("Korea" is not found in "Korean"). Where names
    overlap ("Kim" inside "Kim Jong Un") the longer one wins, so the spans never
    overlap and come sorted. One ``str.find`` scan of the article per name.
    """
    norm = normalized(article, fold_case=True)
    text = norm.text
    hits: list[tuple[int, int]] = []
    for needle in dict.fromkeys(_clean_quote(n, fold_case=True) for n in names):
        if not needle:
            continue
        pos = text.find(needle)
        while pos >= 0:
            end = pos + len(needle)
            if (
                _word_edge(text, pos)
                and _word_edge(text, end)
                and pos not in norm.joined
                and end not in norm.joined
            ):
                hits.append((pos, end))
            pos = text.find(needle, pos + 1)
    hits.sort(key=lambda h: (h[0], -h[1]))
    spans: list[tuple[int, int]] = []
    reach = 0
    for start, end in hits:
        if start >= reach:
            spans.append(norm.span(start, end))
            reach = end
    return spans
