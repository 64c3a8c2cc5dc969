"""Speed of the extractive engine: milliseconds per 1,000 words (goal: under 100 ms).

Usage: .venv/bin/python benchmarks/bench_extractive.py [--repeat N] [FILE ...]

Without files it uses the eval articles (evals/articles/*.txt) and a 1,000-word article
built from them. Times are measured after import and one warm-up call (lazy imports of
sentencex and pycountry are paid once per process and reported separately).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

GOAL_MS = 100.0
ROOT = Path(__file__).resolve().parent.parent


def _time_ms(fn: object, arg: str, repeat: int) -> float:
    assert callable(fn)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(arg)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    start = time.perf_counter()
    from summarizer.engines.extractive.engine import extract

    import_ms = (time.perf_counter() - start) * 1000
    files = args.files or sorted((ROOT / "evals" / "articles").glob("*.txt"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in files}
    if not texts:
        raise SystemExit("no articles found")

    start = time.perf_counter()
    extract(next(iter(texts.values())))
    first_ms = (time.perf_counter() - start) * 1000

    words = " ".join(texts.values()).split()
    paragraphs = [p for t in texts.values() for p in t.split("\n") if p.strip()]
    built, count = [], 0
    for para in paragraphs * 10:
        if count >= 1000:
            break
        built.append(para)
        count += len(para.split())
    texts["<built ~1000 words>"] = "\n\n".join(built)

    print(
        f"import the extractive engine: {import_ms:.1f} ms; first call (lazy imports): "
        f"{first_ms:.1f} ms; corpus {len(words)} words"
    )
    print(f"{'article':45} {'words':>6} {'ms':>8} {'ms/1000w':>9}")
    total_ms = total_words = 0.0
    for name, text in texts.items():
        n = len(text.split())
        ms = _time_ms(extract, text, args.repeat)
        total_ms += ms
        total_words += n
        print(f"{name[:45]:45} {n:6d} {ms:8.2f} {ms / n * 1000:9.2f}")
    per_1000 = total_ms / total_words * 1000
    print(
        f"\nms per 1,000 words: {per_1000:.1f} (goal {GOAL_MS:.0f} ms; "
        f"ratio to goal {per_1000 / GOAL_MS:.2f})"
    )


if __name__ == "__main__":
    main()
