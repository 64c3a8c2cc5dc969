"""Speed of grounding on a long article: find_span, names, and quote alignment.

Usage: .venv/bin/python benchmarks/bench_grounding.py [--chars 1000000] [--repeat 5]

Builds an article of ``--chars`` characters from the eval articles (with the seed article
last, so quotes are found at the far end) and prints, in milliseconds: the first
normalization of the article (paid once per article, cached), ``find_span`` for a quote
that is there and one that is not, ``contains_name`` for a name that is there and one
that is not, and ``ground_quote`` for each match kind (the first call also splits the
article into words, paid once per article) and for a quote that aligns nowhere, with the
closest-passage search the re-ask message uses. Ratios are against a warm ``find_span``;
the machine's load moves all figures together (2 shared cores: expect 2-4x spread).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from summarizer import grounding

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "evals" / "articles" / "000_seed_nk_troops.txt"

EXACT = "Both the Kremlin and Pyongyang have denied involvement in military transfers"
MISSING = "North Korea has declared war on Europe and on the whole of the Pacific"
ALIGNED = "Both the Kremlin and Pyongyang denied involvement in military transfers"
ELIDED = "reports of North Koreans ... participating in the war"
NEGATED = "NATO Secretary-General Mark Rutte stated he could confirm reports of North Koreans"


def build(chars: int) -> str:
    seed = SEED.read_text(encoding="utf-8")
    others = [
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "evals" / "articles").glob("*.txt"))
        if p != SEED
    ]
    filler = "\n\n".join(others)
    body = (filler + "\n\n") * (chars // (len(filler) + 2) + 1)
    return body[: max(0, chars - len(seed) - 2)] + "\n\n" + seed


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    article = build(args.chars)
    r = args.repeat

    fresh = article + " "  # a new string: nothing cached for it yet
    first_find = once(lambda: grounding.find_span(fresh, EXACT))
    first_align = once(lambda: grounding.ground_quote(fresh, ALIGNED))
    g, a = grounding, article
    rows: list[tuple[str, float]] = [
        ("find_span, first call on an article (normalizes it)", first_find),
        ("find_span, quote present (warm)", timed(lambda: g.find_span(a, EXACT), r)),
        ("find_span, quote missing (warm)", timed(lambda: g.find_span(a, MISSING), r)),
        ("contains_name, present", timed(lambda: g.contains_name(a, "Mark Rutte"), r)),
        ("contains_name, missing", timed(lambda: g.contains_name(a, "Boris Johnson"), r)),
        ("ground_quote exact", timed(lambda: g.ground_quote(a, EXACT), r)),
        ("ground_quote aligned, first on an article (words)", first_align),
        ("ground_quote aligned (warm)", timed(lambda: g.ground_quote(a, ALIGNED), r)),
        ("ground_quote elided (warm)", timed(lambda: g.ground_quote(a, ELIDED), r)),
        ("ground_quote nowhere (warm)", timed(lambda: g.ground_quote(a, NEGATED), r)),
        ("closest_passage (re-ask message)", timed(lambda: g.closest_passage(a, NEGATED), r)),
    ]
    assert grounding.ground_quote(article, ALIGNED) is not None
    assert grounding.ground_quote(article, ELIDED) is not None
    assert grounding.ground_quote(article, NEGATED) is None
    base = dict(rows)["find_span, quote present (warm)"]
    print(f"article: {len(article):,} characters; median of {r} runs (first-call rows: one run)")
    print(f"{'operation':<52} {'ms':>9} {'x find_span':>12}")
    for name, ms in rows:
        print(f"{name:<52} {ms:>9.2f} {ms / base if base else float('nan'):>12.1f}")


if __name__ == "__main__":
    main()
