"""summarizer: typed, verifiable structured summaries of news articles.

``import summarizer`` is cheap: ``openai`` and ``instructor`` load on the first LLM call.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
# The library never prints: without an application's logging setup, records go nowhere.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ArticleSummary",
    "RunMeta",
    "Settings",
    "Summarizer",
    "SummaryResult",
    "__version__",
    "summarize",
]

if TYPE_CHECKING:
    from summarizer.api import Summarizer, summarize
    from summarizer.config import Settings
    from summarizer.result import RunMeta, SummaryResult
    from summarizer.schema import ArticleSummary

_LAZY = {
    "ArticleSummary": "summarizer.schema",
    "RunMeta": "summarizer.result",
    "SummaryResult": "summarizer.result",
    "Settings": "summarizer.config",
    "Summarizer": "summarizer.api",
    "summarize": "summarizer.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'summarizer' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
