"""Find quotes and names in an article, tolerant of typography but not of wording.

Models (and people) retype quotes with straight instead of curly quote marks, a
hyphen instead of a dash, or a line break as a space. Those differences are not
fabrication, so matching normalizes them away; everything else must match exactly.
Offsets are reported in the *original* article, so a quote can be highlighted.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Typographic variants folded before matching: quote marks, apostrophes, dashes.
_CHAR_MAP = {
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc`\u00b4", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
}


@dataclass(frozen=True)
class NormalizedText:
    """``text`` normalized, with ``index[i]`` the offset in the original of ``text[i]``."""

    text: str
    index: tuple[int, ...]
    original_length: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalized text back to the original."""
        if end <= start:
            return self.index[start], self.index[start]
        return self.index[start], self.index[end - 1] + 1


def _normalize_char(ch: str) -> str:
    if ch in _CHAR_MAP:
        return _CHAR_MAP[ch]
    if ch == "\u2026":
        return "..."
    return ch


def normalize(text: str) -> NormalizedText:
    """Fold quote marks, dashes and whitespace runs; keep a map to original offsets."""
    out: list[str] = []
    index: list[int] = []
    pending_space = -1
    for i, raw in enumerate(text):
        if raw.isspace() or raw in "\u00a0\u200b\ufeff":
            if raw in "\u200b\ufeff":  # zero-width: drop entirely
                continue
            if pending_space < 0:
                pending_space = i
            continue
        if pending_space >= 0:
            if out:
                out.append(" ")
                index.append(pending_space)
            pending_space = -1
        for ch in unicodedata.normalize("NFC", _normalize_char(raw)):
            out.append(ch)
            index.append(i)
    return NormalizedText("".join(out), tuple(index), len(text))


@lru_cache(maxsize=64)
def normalized(text: str) -> NormalizedText:
    """Cached :func:`normalize` (articles are matched against many quotes)."""
    return normalize(text)


def _clean_quote(quote: str) -> str:
    q = normalize(quote).text.strip()
    # A quote wrapped in its own quote marks: the marks are not part of the span.
    while len(q) >= 2 and q[0] == q[-1] and q[0] in "\"'":
        q = q[1:-1].strip()
    return q


def find_span(article: str, quote: str) -> tuple[int, int] | None:
    """Character offsets of ``quote`` in ``article`` (original coordinates), or None.

    Case and wording must match; quote marks, dashes and whitespace are folded.
    """
    q = _clean_quote(quote)
    if not q:
        return None
    norm = normalized(article)
    pos = norm.text.find(q)
    if pos < 0:
        return None
    return norm.span(pos, pos + len(q))


def contains_name(article: str, name: str) -> bool:
    """Whether ``name`` occurs in the article, ignoring case and typography."""
    n = _clean_quote(name).casefold()
    if not n:
        return False
    return n in normalized(article).text.casefold()


def canonical_text(text: str) -> str:
    """The article text as hashed for cache keys: NFC, no BOM, folded line ends, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\ufeff", ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))
