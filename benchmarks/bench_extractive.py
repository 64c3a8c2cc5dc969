"""Speed of the extractive engine: milliseconds per 1,000 words (goal: under 100 ms),
and time and peak memory on long articles (goal: 1M characters in under 10 s and 500 MB).

Usage: .venv/bin/python benchmarks/bench_extractive.py [--repeat N] [FILE ...]
       .venv/bin/python benchmarks/bench_extractive.py --sizes 10000,100000,1000000

Without files it uses the eval articles (evals/articles/*.txt) and a 1,000-word article
built from them. Times are measured after import and one warm-up call (lazy imports of
sentencex and pycountry are paid once per process and reported separately).

``--sizes`` builds articles of those many characters twice: news prose (the eval articles'
paragraphs, repeated) and text without sentence punctuation (space-separated Thai words),
and prints for each the CPU time of ``extract`` (and its wall time) and, in a second run
under ``tracemalloc``, its peak Python memory, with the CPU time of sentence splitting, of
ranking and of the rest (actors, stances, open questions, validation).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

GOAL_MS = 100.0
GOAL_LONG_S = 10.0
GOAL_LONG_MB = 500.0
LONG_CHARS = 1_000_000
ROOT = Path(__file__).resolve().parent.parent


def _time_ms(fn: object, arg: str, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn(arg)`` (CPU time is the fair figure on a
    shared machine: it leaves out the time other processes held the cores)."""
    assert callable(fn)
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(arg)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def _build(size: int, paragraphs: list[str], kind: str) -> str:
    if kind == "news":
        out, n, k = [], 0, 0
        while n < size:
            para = paragraphs[k % len(paragraphs)]
            out.append(para)
            n += len(para) + 2
            k += 1
        return "\n\n".join(out)[:size]
    words = ["ประเทศไทย", "รัฐบาล", "ประกาศ", "นโยบาย", "ใหม่", "เศรษฐกิจ", "การเลือกตั้ง"]
    text = " ".join(words[(i * 5 + i // 7) % len(words)] for i in range(size // 6 + 1))
    return text[:size]


def _stages(text: str) -> dict[str, float]:
    """Seconds spent in each stage of ``extract`` (same calls, in the same order)."""
    from summarizer.engines.extractive.engine import extract
    from summarizer.engines.extractive.ranking import rank
    from summarizer.sentences import detect_title, split_sentences

    times: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], object]) -> object:
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        times[name] = time.process_time() - cpu
        times[name + " wall"] = time.perf_counter() - wall
        return out

    title, body = detect_title(text)
    sentences = timed("split", lambda: split_sentences(text, body))
    assert isinstance(sentences, list)
    timed("rank", lambda: rank(sentences, title))
    timed("total", lambda: extract(text))
    return times


def _peak_mb(text: str) -> float:
    from summarizer.engines.extractive.engine import extract

    tracemalloc.start()
    try:
        extract(text)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def long_articles(sizes: list[int], paragraphs: list[str]) -> None:
    print(
        "CPU seconds (process time: the machine may be shared), wall seconds of the whole "
        "call, peak Python memory (tracemalloc)"
    )
    print(
        f"{'input':10} {'chars':>9} {'sentences':>9} {'split':>6} {'rank':>6} {'rest':>6} "
        f"{'cpu s':>6} {'wall s':>7} {'peak MB':>8}"
    )
    from summarizer.sentences import split_sentences

    worst: dict[str, float] = {}
    for kind in ("news", "no-punct"):
        for size in sizes:
            text = _build(size, paragraphs, kind)
            n = len(split_sentences(text))
            t = _stages(text)
            mb = _peak_mb(text)
            rest = t["total"] - t["split"] - t["rank"]
            print(
                f"{kind:10} {len(text):9d} {n:9d} {t['split']:6.2f} {t['rank']:6.2f} "
                f"{rest:6.2f} {t['total']:6.2f} {t['total wall']:7.2f} {mb:8.1f}"
            )
            if size >= LONG_CHARS:
                worst["s"] = max(worst.get("s", 0.0), t["total"])
                worst["mb"] = max(worst.get("mb", 0.0), mb)
    if worst:
        print(
            f"\n1M characters: {worst['s']:.2f} CPU s (goal {GOAL_LONG_S:.0f} s; ratio "
            f"{worst['s'] / GOAL_LONG_S:.2f}), peak {worst['mb']:.0f} MB (goal "
            f"{GOAL_LONG_MB:.0f} MB; ratio {worst['mb'] / GOAL_LONG_MB:.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--sizes", help="comma-separated article sizes in characters, e.g. 10000,100000,1000000"
    )
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
    if args.sizes:
        long_articles([int(x) for x in args.sizes.split(",")], paragraphs)
        return
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
    print(f"{'article':45} {'words':>6} {'ms':>8} {'cpu ms':>8} {'ms/1000w':>9}")
    total_ms = total_cpu = total_words = 0.0
    for name, text in texts.items():
        n = len(text.split())
        ms, cpu = _time_ms(extract, text, args.repeat)
        total_ms += ms
        total_cpu += cpu
        total_words += n
        print(f"{name[:45]:45} {n:6d} {ms:8.2f} {cpu:8.2f} {ms / n * 1000:9.2f}")
    per_1000 = total_ms / total_words * 1000
    cpu_1000 = total_cpu / total_words * 1000
    print(
        f"\nms per 1,000 words: {per_1000:.1f} wall, {cpu_1000:.1f} CPU (goal {GOAL_MS:.0f} ms; "
        f"ratio to goal {per_1000 / GOAL_MS:.2f} wall, {cpu_1000 / GOAL_MS:.2f} CPU)"
    )


if __name__ == "__main__":
    main()
