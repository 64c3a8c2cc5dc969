"""Evaluation of summaries against the hand-labeled gold set under ``evals/``.

``summarizer eval`` runs an engine over every gold article, scores it with
:mod:`summarizer.evals.metrics`, prints a table, writes JSON and Markdown reports and
checks ``evals/thresholds.toml``. ``--record`` / ``--replay`` save and serve the model's
raw HTTP traffic (:mod:`summarizer.evals.replay`) so CI can score a real model offline.
"""

from __future__ import annotations
