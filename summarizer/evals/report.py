"""Eval output: thresholds, a rich table, and the JSON and Markdown reports.

``evals/thresholds.toml`` has one section per run name (``extractive``, a recordings
directory name, or a model name). A key named after a metric is a minimum; a key
``max_<metric>`` is a maximum. An undefined metric (``None``: nothing to measure) fails
a minimum, so a threshold can never pass by accident.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.config import read_toml
from summarizer.errors import ConfigError
from summarizer.evals.runner import EvalRun

#: Aggregate metrics in display order, with their table labels.
METRICS: dict[str, str] = {
    "schema_valid_rate": "schema-valid rate",
    "actor_precision": "actor precision",
    "actor_recall": "actor recall",
    "actor_f1": "actor F1",
    "stance_accuracy": "stance accuracy (matched)",
    "stance_macro_f1": "stance macro-F1 (support/oppose)",
    "evidence_grounding_rate": "evidence grounding rate",
    "key_fact_coverage": "key-fact coverage",
    "open_question_recall": "open-question recall",
    "mean_attempts": "attempts / article",
    "mean_total_tokens": "tokens / article",
    "mean_latency_ms": "latency ms / article",
    "total_cost_usd": "cost USD (run)",
}
_COUNTS = ("mean_attempts", "mean_total_tokens", "mean_latency_ms")


@dataclass(frozen=True)
class Check:
    metric: str
    kind: str  # "min" | "max"
    limit: float
    value: float | None

    @property
    def passed(self) -> bool:
        if self.value is None:
            return self.kind == "max"
        return self.value >= self.limit if self.kind == "min" else self.value <= self.limit

    def describe(self) -> str:
        sign = ">=" if self.kind == "min" else "<="
        return f"{self.metric} = {fmt(self.value)} (needs {sign} {self.limit:g})"


def default_thresholds_path() -> Path:
    """``thresholds.toml`` of the default ``evals/``; without one, ``./evals/thresholds.toml``
    (which then does not exist: nothing is checked)."""
    from summarizer.evals.dataset import find_evals_dir

    return (find_evals_dir() or Path.cwd() / "evals") / "thresholds.toml"


def load_thresholds(path: Path, name: str) -> dict[str, float] | None:
    """The section for run ``name``, or None when the file has no such section."""
    data = read_toml(path, "thresholds file")
    section = data.get(name)
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"[{name}] in {path} must be a table of metric = number")
    out: dict[str, float] = {}
    for key, value in section.items():
        metric = key[4:] if key.startswith("max_") else key
        if metric not in METRICS or isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(
                f"[{name}] {key} in {path}: use a metric name ({', '.join(METRICS)}) or "
                "max_<metric>, with a number"
            )
        out[key] = float(value)
    return out


def check_thresholds(metrics: dict[str, float | None], limits: dict[str, float]) -> list[Check]:
    checks: list[Check] = []
    for key, limit in limits.items():
        if key.startswith("max_"):
            checks.append(Check(key[4:], "max", limit, metrics.get(key[4:])))
        else:
            checks.append(Check(key, "min", limit, metrics.get(key)))
    return checks


def fmt(value: float | None, metric: str = "") -> str:
    if value is None:
        return "n/a"
    if metric == "total_cost_usd":
        return f"{value:.4f}"
    if metric in _COUNTS:
        return f"{value:,.0f}" if metric != "mean_attempts" else f"{value:.2f}"
    return f"{value:.3f}"


def _article_rows(run: EvalRun) -> list[list[str]]:
    rows: list[list[str]] = []
    for s in run.scores:
        d = s.to_dict()
        rows.append([
            s.id, "yes" if s.valid else "no", str(s.attempts), f"{s.total_tokens:,}",
            f"{s.latency_ms / 1000:.1f}", fmt(d["actor_f1"]), fmt(d["stance_accuracy"]),
            f"{s.quotes_found}/{s.quotes_total}", f"{s.facts_covered}/{s.facts_total}",
            f"{s.questions_matched}/{s.questions_total}", (s.error or "")[:80],
        ])  # fmt: skip
    return rows


ARTICLE_HEADERS = [
    "article", "valid", "att", "tokens", "sec", "actor F1", "stance acc", "quotes ok",
    "facts", "questions", "error",
]  # fmt: skip


def print_tables(run: EvalRun, checks: list[Check], *, stream: Any = None) -> None:
    """Per-article and aggregate tables on stderr (stdout stays free for piping)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream or sys.stderr, width=160)
    table = Table(title=f"eval {run.name} ({run.engine}, {run.source})", title_justify="left")
    for h in ARTICLE_HEADERS:
        table.add_column(h, overflow="fold" if h == "error" else "ellipsis")
    for row in _article_rows(run):
        table.add_row(*row)
    console.print(table)
    limits = {c.metric: c for c in checks}
    agg = Table(title="aggregate", title_justify="left")
    for h in ("metric", "value", "threshold", "status"):
        agg.add_column(h)
    for key, label in METRICS.items():
        check = limits.get(key)
        status = "" if check is None else ("[green]ok[/]" if check.passed else "[red]FAIL[/]")
        limit = "" if check is None else f"{'>=' if check.kind == 'min' else '<='} {check.limit:g}"
        agg.add_row(label, fmt(run.metrics.get(key), key), limit, status)
    console.print(agg)


def markdown(run: EvalRun, checks: list[Check]) -> str:
    lines = [
        f"# Eval: {run.name}",
        "",
        f"Engine `{run.engine}`, source `{run.source}`, started {run.started}, "
        f"{len(run.scores)} articles, {run.seconds:.1f} s.",
        "",
        "Settings: " + ", ".join(f"`{k}={v}`" for k, v in run.settings.items()),
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {label} | {fmt(run.metrics.get(k), k)} |" for k, label in METRICS.items()]
    if checks:
        lines += ["", "## Thresholds", "", "| check | status |", "|---|---|"]
        lines += [f"| {c.describe()} | {'ok' if c.passed else 'FAIL'} |" for c in checks]
    lines += ["", "## Articles", "", "| " + " | ".join(ARTICLE_HEADERS) + " |"]
    lines.append("|" + "---|" * len(ARTICLE_HEADERS))
    for row in _article_rows(run):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines) + "\n"


def write_reports(run: EvalRun, checks: list[Check], out: Path) -> tuple[Path, Path]:
    """``<out>/<name>.json`` and ``<out>/<name>.md``."""
    out.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run.name) or "eval"
    data = run.to_dict()
    data["thresholds"] = [
        {"metric": c.metric, "kind": c.kind, "limit": c.limit, "value": c.value, "passed": c.passed}
        for c in checks
    ]
    json_path, md_path = out / f"{safe}.json", out / f"{safe}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(run, checks), encoding="utf-8")
    return json_path, md_path
