"""What a run returns (the validated :class:`ArticleSummary` plus run metadata), and its
renderings: the CLI's JSON and the Markdown report."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from summarizer.schema import ArticleSummary


class TokenUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class RunMeta(BaseModel):
    """How a summary was produced. Never contains credentials."""

    engine: str = Field(description="Which engine ran: 'llm' or 'extractive'.")
    model: str | None = Field(default=None, description="Model name (llm engine).")
    endpoint: str | None = Field(
        default=None, description="Endpoint scheme, host and path, without credentials."
    )
    mode: str | None = Field(default=None, description="instructor mode (llm engine).")
    prompt_hash: str | None = Field(default=None, description="Hash of the prompt templates.")
    schema_hash: str = Field(description="Hash of the ArticleSummary schema the model sees.")
    attempts: int = Field(default=1, description="Model answers used (1 + validation re-asks).")
    requests: int = Field(default=0, description="HTTP requests sent, transport retries included.")
    usage: TokenUsage = Field(default_factory=TokenUsage, description="Summed over all attempts.")
    cost_usd: float | None = Field(
        default=None,
        description="What this call cost in US dollars (summarizer/data/prices.toml or "
        "--prices); null when the model has no known price, 0 when nothing was sent.",
    )
    latency_ms: float = Field(default=0.0, description="Wall time of this call.")
    cache_hit: bool = Field(default=False, description="Served from the local cache.")
    chunks: int = Field(default=1, description="Pieces a long article was split into.")
    version: str = Field(description="summarizer version.")
    warnings: list[str] = Field(default_factory=list, description="Non-fatal issues.")
    dropped: int = Field(
        default=0,
        description="List items (actors, stances, questions' related actors) dropped because "
        "they still failed validation after the re-asks; each is named in warnings.",
    )


class SummaryResult(BaseModel):
    """A summary and how it was made. ``to_dict()`` is the CLI's JSON output."""

    summary: ArticleSummary
    meta: RunMeta

    def to_dict(self) -> dict[str, Any]:
        data = self.summary.model_dump(mode="json")
        data["meta"] = self.meta.model_dump(mode="json")
        return data


def to_json(result: SummaryResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _quote(text: str) -> str:
    return " ".join(text.split())


def to_markdown(result: SummaryResult, title: str | None = None) -> str:
    s, m = result.summary, result.meta
    out: list[str] = [f"# {title or 'Summary'}", "", f"**TL;DR:** {s.tldr}", "", s.summary, ""]
    out += ["## Key points", ""] + [f"- {p}" for p in s.key_points] + [""]
    out += ["## Actors", ""]
    if s.actors:
        out += ["| Name | Type | Role | Also called |", "| --- | --- | --- | --- |"]
        for a in s.actors:
            aliases = ", ".join(a.aliases) or "-"
            out.append(f"| {a.name} | {a.type} | {a.role or '-'} | {aliases} |")
    else:
        out.append("_None identified._")
    out += ["", "## Stances", ""]
    if s.stances:
        for st in s.stances:
            out.append(f"- **{st.actor}** — *{st.position}* — {st.target}")
            for text, span in zip(st.evidence, st.evidence_spans or [], strict=False):
                how = "" if span.match == "exact" else f", {span.match}"
                out.append(f"  > “{_quote(text)}” (chars {span.start}–{span.end}{how})")
            if not st.evidence_spans:
                out += [f"  > “{_quote(q)}”" for q in st.evidence]
    else:
        out.append("_No attributed positions in this article._")
    out += ["", "## Open questions", ""]
    if s.open_questions:
        for q in s.open_questions:
            who = f" ({', '.join(q.related_actors)})" if q.related_actors else ""
            out.append(f"- {q.question}{who}")
            if q.why_open:
                out.append(f"  - _Why open:_ {q.why_open}")
    else:
        out.append("_None._")
    engine = m.engine if m.engine != "llm" else f"llm: {m.model} via {m.endpoint} ({m.mode})"
    usage = f", {m.usage.total_tokens} tokens" if m.usage.total_tokens else ""
    cached = ", from cache" if m.cache_hit else ""
    out += [
        "",
        "---",
        f"_Engine: {engine}; {m.attempts} attempt(s){usage}; {m.latency_ms:.0f} ms{cached}._",
        "",
    ]
    return "\n".join(out)
