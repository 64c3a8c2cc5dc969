"""Throughput at a provider's rate limit, against the fake server's token-bucket mode.

Run from the checkout: ``.venv/bin/python benchmarks/bench_limits.py [--articles 120]``
(about 30 s of wall time per case). Each case runs N articles through
``Summarizer.summarize_many`` at concurrency 16 against the fake answering after 300 ms,
with a bucket that holds ``burst`` and refills ``rate`` per second, and prints:

* failed articles (goal 0),
* the share of requests answered 429 (goal <= 5%),
* wall time against what the limit allows, ``(N - burst) / rate`` (goal within 10%).

Cases: ``rpm-learned`` (240 RPM, nothing configured: the limit is learned from the
``x-ratelimit-*`` headers), ``rpm-configured`` (the same with ``rpm=240``), and
``tpm-learned`` (a TPM limit that allows the same 4 requests per second, requests unbounded).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.api import Summarizer  # noqa: E402
from summarizer.engines.llm.limits import process_totals, reset_limits  # noqa: E402
from summarizer.testing.fake_openai import (  # noqa: E402
    FakeOpenAI,
    RateLimit,
    Reply,
    completion,
    counted_tokens,
)

SEED = ROOT / "evals" / "articles" / "000_seed_nk_troops.txt"
RPM = 240.0
BURST = 20


def seed_answer() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "tests/data/seed_answer.json").read_text("utf-8"))
    data.pop("_comment", None)
    return data


def articles(n: int, tag: str) -> list[tuple[str, str]]:
    seed = SEED.read_text(encoding="utf-8")
    return [(str(i), f"{seed}\n\nCopy {tag}{i}.") for i in range(n)]


def request_cost(reply: Reply) -> int:
    """Tokens the fake charges one of these requests (measured on one real request)."""
    with FakeOpenAI(default=reply) as fake:
        with Summarizer(base_url=fake.url, api_key="sk-bench", cache=False) as s:
            s.summarize(articles(1, "probe")[0][1])
        return counted_tokens(fake.requests[-1].body)


def run_case(name: str, limit: RateLimit, reply: Reply, n: int, conc: int, **settings: Any) -> bool:
    reset_limits()
    rate = (limit.rpm or 0) / 60 if limit.rpm else (limit.tpm or 0) / 60
    burst = limit.burst if limit.rpm else limit.token_burst
    assert burst is not None
    with FakeOpenAI(rate_limit=limit, default=reply) as fake:
        with Summarizer(base_url=fake.url, api_key="sk-bench", cache=False, **settings) as s:
            cost = 1.0 if limit.rpm else float(request_cost_cache[0])
            allowed = (n * cost - burst) / rate
            started = time.perf_counter()
            outcomes = list(s.summarize_many(articles(n, name), concurrency=conc))
            wall = time.perf_counter() - started
        sent, limited = len(fake.requests), fake.rate_limited
    failed = sum(1 for o in outcomes if o.error is not None)
    share = limited / sent if sent else 0.0
    ratio = wall / allowed
    totals = process_totals()
    ok = failed == 0 and share <= 0.05 and ratio <= 1.10
    print(
        f"{name}: {n} articles, concurrency {conc}: {failed} failed (goal 0), "
        f"{limited}/{sent} requests answered 429 = {share:.1%} (goal <= 5%), "
        f"wall {wall:.1f}s vs allowed {allowed:.1f}s -> {ratio:.2f} (goal <= 1.10); "
        f"{totals.describe()}: {'met' if ok else 'MISSED'}",
        flush=True,
    )
    return ok


request_cost_cache: list[int] = []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument(
        "--case", action="append", choices=["rpm-learned", "rpm-configured", "tpm-learned"]
    )
    args = parser.parse_args()
    cases = args.case or ["rpm-learned", "rpm-configured", "tpm-learned"]
    reply = Reply(200, completion(seed_answer()), delay=args.latency)
    n, conc = args.articles, args.concurrency
    # warm-up (imports, first-call setup), and what one request costs against TPM
    request_cost_cache.append(request_cost(Reply(200, completion(seed_answer()))))
    results = []
    if "rpm-learned" in cases:
        results.append(run_case("rpm-learned", RateLimit(rpm=RPM, burst=BURST), reply, n, conc))
    if "rpm-configured" in cases:
        limit = RateLimit(rpm=RPM, burst=BURST)
        results.append(run_case("rpm-configured", limit, reply, n, conc, rpm=RPM))
    if "tpm-learned" in cases:
        cost = request_cost_cache[0]
        limit = RateLimit(tpm=cost * RPM, token_burst=cost * BURST)
        results.append(run_case("tpm-learned", limit, reply, n, conc))
    print(f"rate-limit goals met: {sum(results)} of {len(results)}")


if __name__ == "__main__":
    main()
