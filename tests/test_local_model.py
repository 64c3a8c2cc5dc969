"""One real model, on demand: SmolLM2-135M-Instruct served by llama-cpp-python.

Skipped unless SUMMARIZER_TEST_LOCAL_MODEL_URL points at an OpenAI-compatible server
(see README, "Try it with a local model"). A 135M model invents quotes, so a clean
ValidationFailed is as acceptable as a valid grounded result; a traceback or a hang is not.
"""

from __future__ import annotations

import os
import time

import pytest

from summarizer import Summarizer
from summarizer.errors import ProviderError, ValidationFailed
from summarizer.grounding import find_span

URL = os.environ.get("SUMMARIZER_TEST_LOCAL_MODEL_URL")

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(not URL, reason="set SUMMARIZER_TEST_LOCAL_MODEL_URL to a local server"),
]


def test_seed_article_against_a_real_model(seed_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert URL is not None
    s = Summarizer(
        engine="llm",
        base_url=URL,
        model=os.environ.get("SUMMARIZER_TEST_LOCAL_MODEL", "smollm2"),
        mode=os.environ.get("SUMMARIZER_TEST_LOCAL_MODE", "tools"),
        max_retries=1,
        max_tokens=1500,
        timeout=300,
        cache=False,
    )
    started = time.monotonic()
    try:
        result = s.summarize(seed_text)
    except ValidationFailed as exc:
        message = str(exc)
        assert "\n" not in message and "attempt" in message
        assert exc.details.get("attempts", 0) >= 1  # the model really answered
        print(f"\nlocal model: clean validation failure: {message[:300]}")
    except ProviderError as exc:  # e.g. truncated output: still a clean, named error
        assert "\n" not in str(exc)
        print(f"\nlocal model: clean provider error: {exc}")
    else:
        for stance in result.summary.stances:
            for quote in stance.evidence:
                assert find_span(seed_text, quote) is not None
        print(f"\nlocal model: valid result, meta={result.meta.model_dump()}")
    assert time.monotonic() - started < 900
