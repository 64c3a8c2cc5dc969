"""Cut an article into well-nested pieces so overlapping highlights render as HTML.

Evidence quotes and actor mentions are ``[start, end)`` ranges that may overlap in any
way (two quotes sharing words, a name inside a quote, a quote ending inside a name).
HTML elements must nest, so :func:`layout` sweeps the article once and closes and
reopens the ranges a boundary cuts: each range becomes one or more *pieces*, every piece
is an element whose text is exactly ``article[piece.start:piece.end]``, and the pieces of
one range, in order, spell the whole range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Range(Generic[T]):
    """A highlight to draw: offsets in the article and what it stands for."""

    start: int
    end: int
    payload: T


@dataclass
class Piece(Generic[T]):
    """One element of a range; ``first`` is the range's first piece (labels go there)."""

    range: Range[T]
    start: int
    end: int
    first: bool
    children: list[Node[T]] = field(default_factory=list)


@dataclass(frozen=True)
class Text:
    start: int
    end: int


Node = Piece[T] | Text


def _valid(ranges: Sequence[Range[T]], length: int) -> list[Range[T]]:
    kept = [r for r in ranges if 0 <= r.start < r.end <= length]
    # outer ranges first: earlier start, then longer; the input order breaks ties
    return sorted(kept, key=lambda r: (r.start, -r.end))


def layout(length: int, ranges: Sequence[Range[T]]) -> list[Node[T]]:
    """The article ``[0, length)`` as a tree of text runs and pieces (ranges outside the
    article or empty are dropped). Runs in ``O((n + k) log k)`` for ``k`` ranges."""
    todo = _valid(ranges, length)
    root: list[Node[T]] = []
    stack: list[Piece[T]] = []  # open pieces, outermost first
    started: set[int] = set()  # ids of ranges whose first piece is out
    pos, nxt = 0, 0

    def children() -> list[Node[T]]:
        return stack[-1].children if stack else root

    def open_piece(rng: Range[T], at: int) -> None:
        piece = Piece(rng, at, at, first=id(rng) not in started)
        started.add(id(rng))
        children().append(piece)
        stack.append(piece)

    while pos < length:
        ends = [p.range.end for p in stack]
        cut = min([length, *ends] + ([todo[nxt].start] if nxt < len(todo) else []))
        if cut > pos:
            children().append(Text(pos, cut))
            pos = cut
        for piece in stack:
            piece.end = pos
        # close every piece whose range ends here, reopening the ones opened after it
        done = [i for i, p in enumerate(stack) if p.range.end == pos]
        if done:
            reopen = [p.range for p in stack[done[0] :] if p.range.end > pos]
            del stack[done[0] :]
            for rng in reopen:
                open_piece(rng, pos)
        while nxt < len(todo) and todo[nxt].start == pos:
            open_piece(todo[nxt], pos)
            nxt += 1
    return root
