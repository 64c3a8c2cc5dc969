"""Engines behind one seam (:class:`~summarizer.engines.base.Engine`).

``llm/``: instructor over the OpenAI-compatible API (transport, failures, chunking and
merge). ``extractive/``: the model-free default. :func:`create_engine` picks one from the
settings; :mod:`summarizer.testing` has in-process fakes for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summarizer.config import Settings
    from summarizer.engines.base import Engine

AUTO_EXTRACTIVE_NOTICE = (
    "no model configured: using the extractive engine (set OPENAI_API_KEY or "
    "SUMMARIZER_BASE_URL, or pass --base-url, to use an LLM)"
)


def create_engine(settings: Settings) -> Engine:
    """The engine ``settings`` ask for (``auto``: the LLM if an endpoint is configured)."""
    if settings.resolved_engine == "llm":
        from summarizer.engines.llm.engine import LLMEngine

        return LLMEngine(settings)
    from summarizer.engines.extractive import ExtractiveEngine

    return ExtractiveEngine()


def engine_notices(settings: Settings) -> list[str]:
    """What a user should hear about the engine choice (``auto`` fell back to extractive)."""
    if settings.engine == "auto" and settings.resolved_engine == "extractive":
        return [AUTO_EXTRACTIVE_NOTICE]
    return []
