"""Find quotes and names in an article, tolerant of typography but not of wording.

Models (and people) retype quotes with straight instead of curly quote marks, a
hyphen instead of a dash, or a line break as a space, and text pasted from macOS or a
PDF often spells ``ü`` as ``u`` + U+0308 (NFD) where the model writes U+00FC (NFC).
Those differences are not fabrication, so matching normalizes them away; everything
else must match exactly, accents included (``cafe`` is not found in ``café``).
Offsets are reported in the *original* article, so a quote can be highlighted.
"""

from __future__ import annotations

import unicodedata
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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

    ``text`` is in NFD, built one character at a time: a character here is a base
    letter with the marks that follow it, or a run Unicode composes (Hangul jamo), so
    ``ü`` is one character whether written as U+00FC or as ``u`` + U+0308. All of a
    character's normalized code points map to its start in the original; ``ends`` holds
    its end where that is not ``index[i] + 1``, and ``joined`` the positions that
    continue the character before them (a match may neither start nor end there).
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
        characters (``u`` is not found in ``ü``), or -1."""
        pos = self.text.find(needle)
        while pos >= 0 and (pos in self.joined or pos + len(needle) in self.joined):
            pos = self.text.find(needle, pos + 1)
        return pos


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


def _char_end(text: str, i: int) -> int:
    """The end of the character starting at ``text[i]``: its marks and what composes onto
    it follow it (nothing below U+0300 does)."""
    j = i + 1
    while j < len(text) and text[j] >= "\u0300":
        if _non_starter(text[j]):
            j += 1
        elif unicodedata.is_normalized("NFC", text[i : j + 1]):  # the fast path
            break
        elif _composes(text[i:j], text[j]):
            j += 1
        else:
            break
    return j


@lru_cache(maxsize=8192)
def _fold(char: str, fold_case: bool) -> str:
    """One character (a base and its marks), typography folded, in NFD."""
    piece = unicodedata.normalize("NFD", "".join(_normalize_char(ch) for ch in char))
    return unicodedata.normalize("NFD", piece.casefold()) if fold_case else piece


def normalize(text: str, fold_case: bool = False) -> NormalizedText:
    """Fold quote marks, dashes and whitespace runs, decompose (NFD), optionally fold
    case; keep a map to original offsets."""
    out: list[str] = []
    index: list[int] = []
    ends: dict[int, int] = {}
    joined: set[int] = set()
    pending_space = -1
    i, n = 0, len(text)
    while i < n:
        raw = text[i]
        if raw.isspace() or raw in "\u00a0\u200b\ufeff":
            if raw not in "\u200b\ufeff" and pending_space < 0:  # zero-width: dropped
                pending_space = i
            i += 1
            continue
        if pending_space >= 0:
            if out:
                out.append(" ")
                index.append(pending_space)
            pending_space = -1
        j = _char_end(text, i)
        if j == i + 1 and raw < "\u00c0":  # the common case: one code point, no marks
            out.append(_CHAR_MAP.get(raw, raw).casefold() if fold_case else _CHAR_MAP.get(raw, raw))
            index.append(i)
            i = j
            continue
        piece = _fold(text[i:j], fold_case)
        if j == i + 1 and len(piece) == 1:
            out.append(piece)
            index.append(i)
            i = j
            continue
        # "…" folds to three separate dots; anything else is one character.
        whole = j == i + 1 and raw == "\u2026"
        for k, ch in enumerate(piece):
            if k and not whole:
                joined.add(len(out))
            if j > i + 1:
                ends[len(out)] = j
            out.append(ch)
            index.append(i)
        i = j
    return NormalizedText("".join(out), array("q", index), len(text), ends, frozenset(joined))


@lru_cache(maxsize=64)
def normalized(text: str, fold_case: bool = False) -> NormalizedText:
    """Cached :func:`normalize` (articles are matched against many quotes)."""
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
