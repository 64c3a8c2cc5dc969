"""Run the tests' fake OpenAI server in its own process for the benchmark.

Every chat request is answered with ``tests/data/seed_answer.json`` after ``--latency``
seconds (as a tool call named after the requested tool). The server prints its base URL
on the first line of stdout and serves until stdin closes. Its own process keeps its
threads off the measured process's GIL.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion  # noqa: E402
from tests.routing import route, tool_of  # noqa: E402


def seed_answer() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "tests/data/seed_answer.json").read_text("utf-8"))
    data.pop("_comment", None)
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    ThreadingHTTPServer.request_queue_size = 256  # default 5 overflows under concurrency
    answer = seed_answer()
    with FakeOpenAI() as fake:
        fake.requests = _Discard()

        def reply(body: dict[str, Any]) -> Reply:
            name = tool_of(body) or "ArticleSummary"
            return Reply(200, completion(answer, name=name), delay=args.latency)

        route(fake, reply)
        print(fake.url, flush=True)
        sys.stdin.read()


class _Discard(list[Any]):
    """Keeps only the last request (the router reads it): memory stays flat."""

    def append(self, item: Any) -> None:
        self[:] = [item]


if __name__ == "__main__":
    main()
