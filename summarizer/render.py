"""Human-readable renderings of a :class:`SummaryResult` (the CLI's ``--format markdown``)."""

from __future__ import annotations

import json

from summarizer.result import SummaryResult


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
            for span in st.evidence_spans or []:
                out.append(f"  > “{_quote(span.quote)}” (chars {span.start}–{span.end})")
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
