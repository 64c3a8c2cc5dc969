"""A browsable report of a ``summarizer batch`` output: an index page and one review page
per article, written into a folder.

A folder, not one file: a day's feed is thousands of articles, and one page holding every
article's text and highlights would be tens of megabytes of DOM before the reader sees
anything. The index stays small (one table row per line, filtered in the page), each
article page is the same self-contained review view as ``summarize --format html``, loads
on its own and can be passed around alone. Lines are read and pages written one at a
time, so memory stays flat.

A batch line holds the result, not always the article. The text comes from the line's
``text`` (items given inline), else from re-reading its ``path``, checked against the
line's ``text_sha256`` and then by validating the summary's quotes against it; when there
is no text, or it no longer matches, the page shows the quotes without the article and
says why.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer.batch.output import text_digest
from summarizer.review.page import POSITION_ORDER, assets, environment, render_review

PAGE_NAME = re.compile(r"^\d{5,}\.html$")
TOP_ACTORS = 300  # actors offered in the index's filter list


@dataclass
class Entry:
    """One line of the batch output, as the index shows it."""

    number: int
    id: str
    title: str
    status: str  # ok, cached, failed, unreadable
    path: str | None = None
    href: str | None = None
    tldr: str = ""
    actors: list[str] = field(default_factory=list)
    counts: list[tuple[str, int]] = field(default_factory=list)
    error: str | None = None
    note: str | None = None


@dataclass
class ReportStats:
    index: Path
    articles: int = 0
    failed: int = 0
    without_text: int = 0


@dataclass(frozen=True)
class Layout:
    """Where the index and the article pages go: ``DIR/index.html`` + ``DIR/articles/``,
    or ``NAME.html`` + ``NAME_files/`` when the output is named like a file."""

    index: Path
    pages: Path

    @classmethod
    def of(cls, out: Path) -> Layout:
        if out.suffix.lower() in (".html", ".htm"):
            return cls(out, out.with_name(f"{out.stem}_files"))
        return cls(out / "index.html", out / "articles")

    def href(self, page: Path) -> str:
        return f"{self.pages.name}/{page.name}"

    def back(self) -> str:
        return f"../{self.index.name}"


def _read_text(record: dict[str, Any], base: Path | None) -> tuple[str | None, str | None]:
    """The article text of a line and, when there is none, why (shown on its page)."""
    text = record.get("text")
    if isinstance(text, str):
        return text, None
    path = record.get("path")
    if not isinstance(path, str):
        return None, "The batch line does not include the article text: quotes only."
    from summarizer.errors import SummarizerError
    from summarizer.inputs import read_article

    candidates = [Path(path)]
    if base is not None and not Path(path).is_absolute():
        candidates.append(base / path)
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        return None, f"The article file {path} is not there any more: quotes only."
    try:
        article = read_article(found)
    except (SummarizerError, OSError) as exc:
        return None, f"The article file {path} could not be read ({exc}): quotes only."
    digest = record.get("text_sha256")
    if isinstance(digest, str) and digest != text_digest(article.text):
        return None, f"The article file {path} changed since the batch ran: quotes only."
    return article.text, None


def _result(data: dict[str, Any], article: str | None) -> Any:
    from summarizer.result import RunMeta, SummaryResult
    from summarizer.schema import ArticleSummary

    fields = {k: v for k, v in data.items() if k != "meta"}
    context = {"article": article} if article is not None else None
    summary = ArticleSummary.model_validate(fields, context=context)
    return SummaryResult(summary=summary, meta=RunMeta.model_validate(data.get("meta", {})))


def _summarized(record: dict[str, Any], base: Path | None) -> tuple[Any, str | None, str | None]:
    """(SummaryResult, article or None, note) for a result line."""
    from pydantic import ValidationError

    article, note = _read_text(record, base)
    data = record["result"]
    if article is not None:
        try:
            return _result(data, article), article, None
        except ValidationError:
            note = "The article text no longer matches this summary's quotes: quotes only."
    return _result(data, None), None, note


def render_line(record: dict[str, Any], *, base: Path | None = None) -> str | None:
    """The review page of one batch line, or ``None`` for a failed line (no summary)."""
    if not isinstance(record.get("result"), dict):
        return None
    from summarizer.sentences import detect_title

    result, article, note = _summarized(record, base)
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        title = (detect_title(article)[0] if article else None) or str(record.get("id", ""))
    return render_review(result, article, title=title, note=note)


def _entry_of_result(
    number: int, record: dict[str, Any], base: Path | None, layout: Layout, stats: ReportStats
) -> Entry:
    from pydantic import ValidationError

    from summarizer.sentences import detect_title

    rid = str(record.get("id", number))
    path = record.get("path") if isinstance(record.get("path"), str) else None
    try:
        result, article, note = _summarized(record, base)
    except (ValidationError, TypeError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        return Entry(number, rid, rid, "unreadable", path, error=f"not a summary result: {first}")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        title = (detect_title(article)[0] if article else None) or rid
    page = layout.pages / f"{number:05d}.html"
    html = render_review(result, article, title=title, back_href=layout.back(), note=note)
    page.write_text(html, encoding="utf-8")
    stats.articles += 1
    stats.without_text += article is None
    counts = Counter(s.position for s in result.summary.stances)
    return Entry(
        number,
        rid,
        title,
        "cached" if result.meta.cache_hit else "ok",
        path,
        href=layout.href(page),
        tldr=result.summary.tldr,
        actors=[a.name for a in result.summary.actors],
        counts=[(p, counts[p]) for p in POSITION_ORDER if counts[p]],
        note=note,
    )


def _entry(
    number: int, line: str, base: Path | None, layout: Layout, stats: ReportStats
) -> Entry | None:
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except ValueError as exc:
        return Entry(number, f"line {number}", f"line {number}", "unreadable", error=str(exc))
    if not isinstance(record, dict):
        return Entry(
            number, f"line {number}", f"line {number}", "unreadable", error="not an object"
        )
    if isinstance(record.get("result"), dict):
        return _entry_of_result(number, record, base, layout, stats)
    rid = str(record.get("id", f"line {number}"))
    title = record.get("title") if isinstance(record.get("title"), str) else rid
    err = record.get("error")
    if isinstance(err, dict):
        message = f"{err.get('type', 'Error')}: {err.get('message', '')}"
        status = "failed"
    else:
        message, status = "the line has neither a result nor an error", "unreadable"
    path = record.get("path") if isinstance(record.get("path"), str) else None
    return Entry(number, rid, str(title), status, path, error=message)


def write_report(lines: Iterable[str], out: Path, *, base: Path | None = None) -> ReportStats:
    """Write the report of a batch output (its JSONL ``lines``) to ``out``.

    ``out`` is a folder (``index.html`` and ``articles/``) or, if it ends in ``.html``, the
    index file (pages in ``NAME_files/``). ``base`` is where relative ``path`` s of the
    lines are also looked for (the results file's folder). Old article pages left over
    from a previous, longer report there are removed.
    """
    layout = Layout.of(out)
    layout.pages.mkdir(parents=True, exist_ok=True)
    stats = ReportStats(layout.index)
    entries: list[Entry] = []
    for number, line in enumerate(lines, 1):
        entry = _entry(number, line, base, layout, stats)
        if entry is not None:
            entries.append(entry)
            stats.failed += entry.status in ("failed", "unreadable")
    written = {Path(e.href).name for e in entries if e.href}
    for stale in layout.pages.iterdir():
        if PAGE_NAME.match(stale.name) and stale.name not in written:
            stale.unlink()
    layout.index.write_text(render_index(entries), encoding="utf-8")
    return stats


def render_index(entries: list[Entry]) -> str:
    """The index page: one row per line, filterable by actor, position and status."""
    actor_counts = Counter(name for e in entries for name in dict.fromkeys(e.actors))
    status_counts = Counter(e.status for e in entries)
    page = assets("index")
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            entries=entries,
            actor_options=[name for name, _ in actor_counts.most_common(TOP_ACTORS)],
            positions=POSITION_ORDER,
            status_counts=sorted(status_counts.items()),
            total=len(entries),
            css=page.css,
            js=page.js,
            csp=page.csp,
        )
    )
