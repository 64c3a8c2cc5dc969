"""See the evidence: HTML review views of summaries, one article or a whole batch.

``page`` renders one :class:`~summarizer.result.SummaryResult` over its article
(:func:`render_review`); ``layers`` cuts overlapping highlights into nested pieces;
``report`` turns a ``summarizer batch`` JSONL output into a browsable folder.
"""

from summarizer.review.page import render_review

__all__ = ["render_review"]
