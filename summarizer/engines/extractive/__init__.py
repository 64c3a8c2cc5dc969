"""The extractive engine: model-free, deterministic, the default when no model is set up.

``engine`` assembles the summary; ``ranking`` picks sentences; ``actors``, ``stances`` and
``lexicon`` find who says what. :class:`ExtractiveEngine` is its :class:`Engine` face.
"""

from __future__ import annotations

import asyncio
from typing import Any

from summarizer.engines.base import EngineOutput, RunStats


class ExtractiveEngine:
    """Runs :func:`summarizer.engines.extractive.engine.extract` off the event loop.

    Not cacheable: it takes milliseconds, and its answer depends on code that no cache key
    could hash.
    """

    name = "extractive"
    cacheable = False

    def describe(self) -> dict[str, Any]:
        return {"model": "extractive"}

    def cache_material(self) -> dict[str, Any]:
        return {}

    async def run(self, article: str, title: str | None = None) -> EngineOutput:
        from summarizer.engines.extractive.engine import extract

        # A long article takes a while to rank: a thread keeps the loop (a server) responsive.
        summary = await asyncio.to_thread(extract, article, title=title)
        return EngineOutput(summary, RunStats(attempts=1))

    async def aclose(self) -> None:
        return None
