"""Review view costs: mention offsets stay linear, and a batch report of N articles.

Usage: .venv/bin/python benchmarks/bench_review.py [--articles 2000]

1. ``find_mentions`` on the seed article repeated 100x and 400x (267k and 1.07M chars),
   best of 5: nanoseconds per character at each size, and their ratio (goal: <= 1.5, i.e.
   linear). Both sizes are past the CPU caches; below that, per-character time is lower.
2. ``write_report`` over N result lines (the 13 eval articles' extractive results, each
   repeated under new ids): seconds, pages per second, peak RSS, the index size, and
   the total size of all article pages, which is what a single-file report would hold.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mentions_ns_per_char(article: str, names: list[str]) -> float:
    from summarizer.grounding import find_mentions, normalized

    normalized(article, fold_case=True)  # normalization is shared with grounding: not timed
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        find_mentions(article, names)
        best = min(best, time.perf_counter() - start)
    return best / len(article) * 1e9


def _lines(count: int, workdir: Path) -> list[str]:
    from summarizer import summarize
    from summarizer.batch.output import text_digest

    base = []
    for path in sorted((ROOT / "evals" / "articles").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        copy = workdir / path.name
        copy.write_text(text, encoding="utf-8")
        result = summarize(text, engine="extractive").to_dict()
        base.append((copy, result, text_digest(text)))
    lines = []
    for i in range(count):
        path, result, digest = base[i % len(base)]
        record = {"id": f"{i}:{path.name}", "path": str(path), "result": result}
        record["text_sha256"] = digest
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()

    seed = (ROOT / "evals" / "articles" / "000_seed_nk_troops.txt").read_text(encoding="utf-8")
    names = ["North Korea", "Pyongyang", "Russia", "Moscow", "Kremlin", "Jean-Noël Barrot",
             "Barrot", "Ukraine", "Kyiv", "NATO", "Vladimir Putin", "Putin",
             "Kim Jong Un"]  # fmt: skip
    small = _mentions_ns_per_char("\n\n".join([seed] * 100), names)
    large = _mentions_ns_per_char("\n\n".join([seed] * 400), names)
    print(f"mentions: {small:.0f} ns/char at 267k chars, {large:.0f} ns/char at 1.07M chars: "
          f"ratio {large / small:.2f} (goal <= 1.5)")  # fmt: skip

    from summarizer.review.report import write_report

    work = Path(tempfile.mkdtemp(prefix="bench-review-"))
    try:
        lines = _lines(args.articles, work)
        out = work / "report"
        start = time.perf_counter()
        stats = write_report(lines, out, base=work)
        elapsed = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        index = (out / "index.html").stat().st_size / 1e6
        pages = sum(p.stat().st_size for p in (out / "articles").iterdir()) / 1e6
        rate = stats.articles / elapsed
        print(f"report: {stats.articles} pages in {elapsed:.1f}s ({rate:.0f}/s), "
              f"peak RSS {rss:.0f} MB; index.html {index:.1f} MB; all pages {pages:.0f} MB "
              "(what one file would hold)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
