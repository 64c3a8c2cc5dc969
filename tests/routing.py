"""Answer fake-server requests by their content, for tests where requests run concurrently.

:class:`FakeOpenAI` serves its queue in arrival order, which is not deterministic when
chunks or batch articles are in flight together. :func:`route` swaps the queue for a
:class:`Router` that builds each reply from the request it answers (the server records
the request just before it takes a reply from the queue, under one lock).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any

from summarizer.testing.fake_openai import FakeOpenAI, Reply, completion, error_body

Route = Callable[[dict[str, Any]], "Reply | dict[str, Any]"]
_ARTICLE = re.compile(r"<article>\n(.*)\n</article>", re.S)


class Router(deque[Reply]):
    def __init__(self, fake: FakeOpenAI, handler: Route) -> None:
        super().__init__()
        self.fake = fake
        self.handler = handler

    def __bool__(self) -> bool:
        return True

    def popleft(self) -> Reply:
        reply = self.handler(self.fake.requests[-1].body)
        return reply if isinstance(reply, Reply) else Reply(200, reply)


def route(fake: FakeOpenAI, handler: Route) -> None:
    fake.queue = Router(fake, handler)


def article_of(body: dict[str, Any]) -> str:
    """The article text of an extraction request ('' for the overview call)."""
    for message in body.get("messages", []):
        if message.get("role") == "user":
            m = _ARTICLE.search(message.get("content") or "")
            if m:
                return m.group(1)
    return ""


def tool_of(body: dict[str, Any]) -> str:
    tools = body.get("tools") or [{}]
    return str(tools[0].get("function", {}).get("name", ""))


def context_error() -> Reply:
    return Reply(
        400,
        error_body(
            "This model's maximum context length is 4096 tokens.", code="context_length_exceeded"
        ),
    )


def answer(payload: dict[str, Any], name: str = "ArticleSummary", delay: float = 0.0) -> Reply:
    return Reply(200, completion(payload, name=name), delay=delay)
