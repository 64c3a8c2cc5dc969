"""The review view: one summary drawn over its article, as one self-contained HTML page.

:func:`render_review` takes a :class:`~summarizer.result.SummaryResult` and the article
it was validated against and returns the page: the article with every evidence quote as a
``<mark data-start data-end data-position>`` (cut into well-nested pieces where quotes and
names overlap, see :mod:`summarizer.review.layers`), the stances, actors (their mentions
as ``<span class="mention">``), TL;DR, summary, key points, open questions and the run's
metadata. Everything from the article or the model goes through Jinja's autoescape; the
page's only script and style are inline and pinned by hash in its Content-Security-Policy,
so nothing else can run or load.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from summarizer.review.layers import Node, Range, layout

if TYPE_CHECKING:
    from jinja2 import Environment

    from summarizer.result import SummaryResult
    from summarizer.schema import ArticleSummary

POSITION_ORDER = ("support", "oppose", "concern", "deny", "claim", "neutral")


@dataclass
class QuoteView:
    """One evidence span, shared by every stance that cites the same offsets."""

    id: str
    start: int
    end: int
    text: str
    position: str
    stances: list[str] = field(default_factory=list)  # stance ids
    labels: list[str] = field(default_factory=list)  # "Actor · position" per citing stance

    @property
    def label(self) -> str:
        return (
            self.labels[0] if len(self.labels) == 1 else f"{self.labels[0]} +{len(self.labels) - 1}"
        )


@dataclass(frozen=True)
class MentionView:
    actor: str  # actor id


@dataclass
class StanceView:
    id: str
    actor: str
    actor_id: str | None
    target: str
    position: str
    quotes: list[tuple[str | None, str]]  # (quote id or None when not located, text)


@dataclass
class ActorView:
    id: str
    name: str
    type: str
    role: str
    aliases: list[str]
    mentions: int
    stances: int


@dataclass
class Assets:
    """The page's inline style and script, and the CSP that allows exactly them."""

    css: str
    js: str

    @property
    def csp(self) -> str:
        def digest(text: str) -> str:
            return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()

        return (
            "default-src 'none'; "
            f"style-src 'sha256-{digest(self.css)}'; "
            f"script-src 'sha256-{digest(self.js)}'; "
            "img-src data:; base-uri 'none'; form-action 'none'"
        )


def _asset(name: str) -> str:
    return resources.files("summarizer.review").joinpath("assets", name).read_text("utf-8")


@lru_cache(maxsize=4)
def assets(page: str = "review") -> Assets:
    """CSS and JS of a page kind (``review`` or ``index``), as inlined."""
    css = _asset("base.css") + _asset(f"{page}.css")
    return Assets(css=css, js=_asset(f"{page}.js"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the review pages: autoescape on for every template."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("summarizer.review", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _quotes(summary: ArticleSummary, article: str) -> tuple[list[QuoteView], list[StanceView]]:
    by_offsets: dict[tuple[int, int], QuoteView] = {}
    actor_ids = {a.name: f"a{i}" for i, a in enumerate(summary.actors)}
    stances: list[StanceView] = []
    for i, stance in enumerate(summary.stances):
        sid = f"s{i}"
        cited: list[tuple[str | None, str]] = []
        spans = stance.evidence_spans
        for k, quote in enumerate(stance.evidence):
            span = spans[k] if k < len(spans) else None
            if span is None or not 0 <= span.start < span.end <= len(article):
                cited.append((None, quote))
                continue
            view = by_offsets.get((span.start, span.end))
            if view is None:
                text = article[span.start : span.end]
                view = QuoteView(f"q{len(by_offsets)}", span.start, span.end, text, stance.position)
                by_offsets[(span.start, span.end)] = view
            if sid not in view.stances:
                view.stances.append(sid)
                view.labels.append(f"{stance.actor} · {stance.position}")
            cited.append((view.id, view.text))
        stances.append(
            StanceView(
                sid,
                stance.actor,
                actor_ids.get(stance.actor),
                stance.target,
                stance.position,
                cited,
            )
        )
    return list(by_offsets.values()), stances


def _actors(summary: ArticleSummary, with_mentions: bool) -> list[ActorView]:
    counts: dict[str, int] = {}
    for stance in summary.stances:
        counts[stance.actor] = counts.get(stance.actor, 0) + 1
    return [
        ActorView(
            f"a{i}",
            a.name,
            a.type,
            a.role,
            list(a.aliases),
            len(a.mentions) if with_mentions else 0,
            counts.get(a.name, 0),
        )
        for i, a in enumerate(summary.actors)
    ]


def article_tree(
    summary: ArticleSummary, article: str, quotes: list[QuoteView]
) -> list[Node[QuoteView | MentionView]]:
    """The article as text runs, quote pieces and mention pieces, well nested."""
    ranges: list[Range[QuoteView | MentionView]] = [Range(q.start, q.end, q) for q in quotes]
    for i, actor in enumerate(summary.actors):
        ranges += [Range(m.start, m.end, MentionView(f"a{i}")) for m in actor.mentions]
    return layout(len(article), ranges)


def _meta_rows(result: SummaryResult) -> list[tuple[str, str]]:
    m = result.meta
    data: dict[str, Any] = m.model_dump(mode="json")
    rows = [("Engine", m.engine)]
    if m.model:
        rows.append(("Model", m.model))
    if m.endpoint:
        rows.append(("Endpoint", m.endpoint))
    if m.mode:
        rows.append(("Mode", m.mode))
    rows.append(("Attempts", str(m.attempts)))
    if m.requests:
        rows.append(("HTTP requests", str(m.requests)))
    u = m.usage
    tokens = f"{u.total_tokens:,} ({u.prompt_tokens:,} prompt + {u.completion_tokens:,} completion)"
    rows.append(("Tokens", tokens if u.total_tokens else "0"))
    for key in ("cost_usd", "cost"):  # shown when the run's metadata knows it
        if data.get(key) is not None:
            rows.append(
                ("Cost", f"${float(data[key]):.4f}" if key == "cost_usd" else str(data[key]))
            )
    rows.append(("Latency", f"{m.latency_ms:,.0f} ms"))
    rows.append(("Cache hit", "yes" if m.cache_hit else "no"))
    if m.chunks != 1:
        rows.append(("Chunks", str(m.chunks)))
    rows.append(("summarizer", m.version))
    return rows


def _chips(result: SummaryResult) -> list[str]:
    m = result.meta
    chips = [m.engine if m.model in (None, m.engine) else f"{m.engine} · {m.model}"]
    chips.append(f"{m.attempts} attempt{'s' if m.attempts != 1 else ''}")
    if m.usage.total_tokens:
        chips.append(f"{m.usage.total_tokens:,} tokens")
    chips.append("from cache" if m.cache_hit else f"{m.latency_ms:,.0f} ms")
    return chips


def review_context(
    result: SummaryResult,
    article: str | None,
    *,
    title: str | None = None,
    back_href: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Everything the review template draws, built from the result (and the article)."""
    summary = result.summary
    quotes, stances = _quotes(summary, article or "")
    if article is None:  # quotes only: nothing to locate them in
        for stance in stances:
            stance.quotes = [(None, q) for q in summary.stances[int(stance.id[1:])].evidence]
        quotes = []
    counts = {p: 0 for p in POSITION_ORDER}
    for stance in stances:
        counts[stance.position] = counts.get(stance.position, 0) + 1
    actor_ids = {a.name: f"a{i}" for i, a in enumerate(summary.actors)}
    questions = [
        {
            "question": q.question,
            "why_open": q.why_open,
            "actors": [(name, actor_ids.get(name)) for name in q.related_actors],
        }
        for q in summary.open_questions
    ]
    return {
        "title": title or "Summary review",
        "has_title": bool(title),
        "summary": summary,
        "article": article,
        "tree": article_tree(summary, article, quotes) if article is not None else [],
        "quotes": quotes,
        "stances": stances,
        "actors": _actors(summary, article is not None),
        "questions": questions,
        "counts": [(p, n) for p, n in counts.items() if n],
        "meta_rows": _meta_rows(result),
        "chips": _chips(result),
        "warnings": list(result.meta.warnings),
        "back_href": back_href,
        "note": note,
        "summary_version": result.meta.version,
    }


def render_review(
    result: SummaryResult,
    article: str | None,
    *,
    title: str | None = None,
    back_href: str | None = None,
    note: str | None = None,
) -> str:
    """The review page of ``result`` as one self-contained HTML document.

    ``article`` must be the text the result was validated against (its offsets point
    there); with ``None`` the page lists the quotes without the article. ``back_href``
    adds a link back to a report's index; ``note`` a line under the title (e.g. why the
    article text is missing).
    """
    page = assets("review")
    context = review_context(result, article, title=title, back_href=back_href, note=note)
    template = environment().get_template("review.html.j2")
    return template.render(**context, css=page.css, js=page.js, csp=page.csp)
