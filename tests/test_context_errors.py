"""Context-length rejections from local servers trigger the long-article path like OpenAI's."""

from __future__ import annotations

from typing import Any

import pytest

from summarizer.api import Summarizer
from summarizer.testing.fake_openai import FakeOpenAI, Reply
from summarizer.tokens import estimate_tokens
from tests.routing import answer, article_of, route, tool_of
from tests.test_chunking import OVERVIEW, check_grounded, chunk_answer, long_article
from tests.test_faults import LLAMA_CPP_CONTEXT, LLAMA_CPP_PYTHON_CONTEXT

REJECTIONS: dict[str, Reply] = {
    "llama.cpp": Reply(400, LLAMA_CPP_CONTEXT),
    "llama-cpp-python": Reply(
        500, {"error": {"message": LLAMA_CPP_PYTHON_CONTEXT, "type": "internal_server_error"}}
    ),
}


@pytest.mark.parametrize("server", sorted(REJECTIONS))
def test_local_server_context_rejection_falls_back_to_chunks(
    server: str, llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    article = long_article(seed_text, sections=6)
    assert estimate_tokens(article) < 6000  # under the default threshold: one call first

    def handler(body: dict[str, Any]) -> Reply:
        if tool_of(body) == "Overview":
            return answer(OVERVIEW, name="Overview")
        chunk = article_of(body)
        if estimate_tokens(chunk) > 1500:
            return REJECTIONS[server]
        return answer(chunk_answer(chunk, good_answer, 6))

    route(llm_env, handler)
    with Summarizer(cache=False) as summarizer:
        result = summarizer.summarize(article)
    assert article_of(llm_env.requests[0].body) == article.strip()
    assert result.meta.chunks >= 2
    check_grounded(result, article)
