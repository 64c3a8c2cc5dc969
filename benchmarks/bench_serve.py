"""The HTTP service against the fake model (300 ms a call) on loopback. Prints ratios.

1. throughput: 200 requests at client concurrency 32 vs the ideal ``min(32, max_inflight)``
   per 0.3 s (goal >= 0.9);
2. added latency: each request's time minus the fake's own (a direct call to it), p50 and
   p99 (goal p99 <= 50 ms), one request at a time and under the load of 1.; next to it
   the same article through the library alone (``Summarizer.asummarize`` in this
   process), which tells the server's share from the library's, and a plain
   ``AsyncOpenAI`` call at the same load: the floor under any server built on the SDK;
3. extractive engine requests per second, 1 worker vs 2 workers.

Run: ``python benchmarks/bench_serve.py [--workers N]`` (needs ``summarizer[serve]``);
``--workers`` sets the server's processes for 1. and 2. (default 1), for a machine with
more cores than the server, the load generator and the fake need.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = (ROOT / "evals/articles/000_seed_nk_troops.txt").read_text("utf-8")
LATENCY = 0.3
REQUESTS, CONCURRENCY, MAX_INFLIGHT = 200, 32, 64


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    code = "from summarizer.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


async def _load(url: str, body: dict[str, object], n: int, concurrency: int) -> list[float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one() -> float:
            async with gate:
                start = time.perf_counter()
                r = await client.post(url, json=body)
                r.raise_for_status()
                return time.perf_counter() - start

        return await asyncio.gather(*(one() for _ in range(n)))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1, help="server processes for 1. and 2.")
    workers = parser.parse_args().workers
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    env["PYTHONPATH"] = str(ROOT)
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks/fakeserve.py"), "--latency", str(LATENCY)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert fake.stdout is not None
    fake_url = fake.stdout.readline().decode().strip()
    with TemporaryDirectory() as tmp:
        env.update(SUMMARIZER_STATE_DIR=tmp, SUMMARIZER_CACHE_DIR=tmp + "/cache")
        llm_env = {**env, "SUMMARIZER_BASE_URL": fake_url, "SUMMARIZER_API_KEY": "sk-bench"}
        server, base = _serve(
            llm_env, "--max-inflight", str(MAX_INFLIGHT), "--no-cache", "--workers", str(workers)
        )
        try:
            body = {"text": ARTICLE}
            asyncio.run(_load(base + "/v1/summaries", body, 8, 8))  # warm up
            direct = _direct(fake_url, 20)
            alone = asyncio.run(_load(base + "/v1/summaries", body, 30, 1))
            started = time.perf_counter()
            times = asyncio.run(_load(base + "/v1/summaries", body, REQUESTS, CONCURRENCY))
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(30)
        lib_alone, lib_times, lib_wall = asyncio.run(_library(fake_url))
        sdk_times, sdk_wall = asyncio.run(_raw_sdk(fake_url))
        width = min(CONCURRENCY, MAX_INFLIGHT)
        ideal = math.ceil(REQUESTS / width) * LATENCY
        own = statistics.median(direct)
        print(f"throughput ({workers} worker(s)): {REQUESTS} requests at concurrency "
              f"{CONCURRENCY} in {wall:.2f}s, "
              f"ideal {ideal:.2f}s: ratio {ideal / wall:.2f} (goal >= 0.9); same load in this "
              f"process, the library alone: {lib_wall:.2f}s, ratio {ideal / lib_wall:.2f}; "
              f"a raw openai SDK call alone: {sdk_wall:.2f}s, "
              f"ratio {ideal / sdk_wall:.2f}")  # fmt: skip
        for name, values in (
            ("server, one at a time", alone),
            ("library, one at a time", lib_alone),
            (f"server, concurrency {CONCURRENCY}", times),
            (f"library alone, concurrency {CONCURRENCY}", lib_times),
            (f"raw openai SDK call alone, concurrency {CONCURRENCY}", sdk_times),
        ):
            added = [t - own for t in values]
            print(f"added latency over the fake's own {own * 1000:.0f} ms ({name}): "
                  f"p50 {_pct(added, 0.5) * 1000:.1f} ms, p99 {_pct(added, 0.99) * 1000:.1f} ms "
                  "(goal p99 <= 50 ms)")  # fmt: skip
        rates = []
        for workers in (1, 2):
            server, base = _serve(env, "--engine", "extractive", "--workers", str(workers))
            try:
                asyncio.run(_load(base + "/v1/summaries", body, 10, 4))
                n = 150
                started = time.perf_counter()
                asyncio.run(_load(base + "/v1/summaries", body, n, 8))
                rates.append(n / (time.perf_counter() - started))
            finally:
                server.terminate()
                server.wait(30)
        print(f"extractive: {rates[0]:.1f} req/s with 1 worker, {rates[1]:.1f} with 2: "
              f"ratio {rates[1] / rates[0]:.2f} (2 cores shared with other work)")  # fmt: skip
    assert fake.stdin is not None
    fake.stdin.close()
    fake.wait(10)


async def _timed(call: Callable[[], Awaitable[object]], n: int, width: int) -> list[float]:
    gate = asyncio.Semaphore(width)

    async def one() -> float:
        async with gate:
            start = time.perf_counter()
            await call()
            return time.perf_counter() - start

    return await asyncio.gather(*(one() for _ in range(n)))


async def _library(fake_url: str) -> tuple[list[float], list[float], float]:
    """The same article through ``Summarizer.asummarize`` here: 30 alone, then the load
    (each call's time, and the wall time)."""
    sys.path.insert(0, str(ROOT))
    from summarizer.api import Summarizer

    async with Summarizer(base_url=fake_url, api_key="sk-bench", cache=False) as s:
        await _timed(lambda: s.asummarize(ARTICLE), 8, 8)  # warm up
        alone = await _timed(lambda: s.asummarize(ARTICLE), 30, 1)
        started = time.perf_counter()
        times = await _timed(lambda: s.asummarize(ARTICLE), REQUESTS, CONCURRENCY)
        return alone, times, time.perf_counter() - started


async def _raw_sdk(fake_url: str) -> tuple[list[float], float]:
    """The floor under any server built on the SDK: the same load as plain
    ``AsyncOpenAI`` calls (same messages and forced tool; arguments parsed, nothing
    validated), in this process."""
    import json

    import openai

    from summarizer.api import Summarizer
    from summarizer.schema import ArticleSummary

    render = Summarizer(base_url=fake_url, api_key="sk-bench", cache=False).engine.prompts
    messages: Any = render.render(ARTICLE, title="")  # type: ignore[attr-defined]
    tool: Any = {
        "type": "function",
        "function": {
            "name": "ArticleSummary",
            "description": ArticleSummary.__doc__ or "",
            "parameters": ArticleSummary.model_json_schema(),
        },
    }
    choice: Any = {"type": "function", "function": {"name": "ArticleSummary"}}
    async with openai.AsyncOpenAI(base_url=fake_url, api_key="sk-bench", max_retries=0) as c:

        async def call() -> None:
            out = await c.chat.completions.create(
                model="gpt-4o-mini", messages=messages, tools=[tool], tool_choice=choice
            )
            calls = out.choices[0].message.tool_calls or []
            json.loads(calls[0].function.arguments)  # type: ignore[union-attr]

        await _timed(call, 8, 8)  # warm up
        started = time.perf_counter()
        times = await _timed(call, REQUESTS, CONCURRENCY)
        return times, time.perf_counter() - started


def _direct(fake_url: str, n: int) -> list[float]:
    """The fake's own latency: the same kind of call, straight to it."""
    times = []
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            start = time.perf_counter()
            client.post(
                fake_url + "/chat/completions",
                json={"model": "fake-model", "messages": [{"role": "user", "content": "x"}]},
            )
            times.append(time.perf_counter() - start)
    return times


if __name__ == "__main__":
    main()
