"""Merge per-chunk summaries of one long article into one :class:`ArticleSummary`.

Deterministic: actors are deduplicated alias-aware (two entries sharing any name or
alias, or a person's bare surname and full name, become one), stances are keyed by
actor, position and target (or a shared quote), open questions by their wording. The
``tldr``/``summary``/``key_points`` come from one more LLM call (see
:mod:`summarizer.engines.llm.chunked`); :func:`fallback_overview` is the deterministic stand-in
used when that call fails. The caller re-validates the result against the whole
article, so every quote gets offsets in the whole text.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, model_validator

from summarizer.schema import MAX_ACTORS, MAX_EVIDENCE, MAX_QUESTIONS, MAX_STANCES, ArticleSummary

MAX_ALIASES = 8
_WORDS = re.compile(r"[^\W_]+")


class Overview(BaseModel):
    """The main news of a whole article, written from summaries of its parts."""

    tldr: str = Field(description="The article's main news in ONE sentence.")
    summary: str = Field(
        description="A short neutral paragraph (2-5 sentences) covering the whole article: "
        "who did what, when and why it matters. No opinions of your own."
    )
    key_points: list[str] = Field(
        description="3-7 short factual statements from across the article, most important first."
    )

    @model_validator(mode="after")
    def _same_rules(self) -> Overview:
        # ArticleSummary's own validators, so a re-ask gets the same messages.
        checked = ArticleSummary.model_validate(
            {"tldr": self.tldr, "summary": self.summary, "key_points": self.key_points}
        )
        self.tldr, self.summary, self.key_points = checked.tldr, checked.summary, checked.key_points
        return self


def _key(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def _same_person(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """'Sybiha' and 'Andrii Sybiha': one person's bare surname and full name."""
    if a["type"] != "person" or b["type"] != "person":
        return False
    wa, wb = _key(a["name"]).split(), _key(b["name"]).split()
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return len(short) == 1 and len(long_) > 1 and short[0] == long_[-1]


def merge_actors(groups: list[list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Union actors across chunks. Returns the actors and a label -> canonical name map."""
    merged: list[dict[str, Any]] = []
    labels: dict[str, int] = {}  # casefolded name/alias -> index into merged
    for actors in groups:
        for actor in actors:
            names = [actor["name"], *actor.get("aliases", [])]
            hits = sorted({labels[n.casefold()] for n in names if n.casefold() in labels})
            if not hits:
                hits = [
                    i for i, m in enumerate(merged) if not m.get("_gone") and _same_person(m, actor)
                ][:1]
            if not hits:
                merged.append({**actor, "aliases": list(actor.get("aliases", [])), "_n": 1})
                target = len(merged) - 1
            else:
                target = hits[0]
                keep = merged[target]
                for other in hits[1:]:  # this actor bridges two entries: fold them together
                    names += [merged[other]["name"], *merged[other]["aliases"]]
                    keep["_n"] += merged[other]["_n"]
                    merged[other] = {"_gone": True}
                keep["_n"] += 1
                if len(_key(actor["name"])) > len(_key(keep["name"])):  # fullest name wins
                    names.append(keep["name"])
                    keep["name"] = actor["name"]
                seen = {keep["name"].casefold()} | {a.casefold() for a in keep["aliases"]}
                for n in names:
                    if n.casefold() not in seen:
                        seen.add(n.casefold())
                        keep["aliases"].append(n)
                keep["aliases"] = [
                    a for a in keep["aliases"] if a.casefold() != keep["name"].casefold()
                ]
            for n in [merged[target]["name"], *merged[target]["aliases"]]:
                labels[n.casefold()] = target
    actors = [m for m in merged if not m.get("_gone")]
    actors.sort(key=lambda m: -m["_n"])  # stable: most-mentioned first, then first seen
    actors = actors[:MAX_ACTORS]
    canonical: dict[str, str] = {}
    for m in actors:
        for n in [m["name"], *m["aliases"]]:
            canonical[n.casefold()] = m["name"]
        del m["_n"]
        m["aliases"] = m["aliases"][:MAX_ALIASES]
    return actors, canonical


def merge_stances(
    groups: list[list[dict[str, Any]]], canonical: dict[str, str]
) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for stances in groups:
        for stance in stances:
            actor = canonical.get(stance["actor"].casefold())
            if actor is None:
                continue  # its actor was dropped by the cap
            quotes = {_key(q) for q in stance["evidence"]}
            same = next(
                (
                    m for m in merged
                    if m["actor"] == actor and m["position"] == stance["position"]
                    and (_key(m["target"]) == _key(stance["target"])
                         or quotes & {_key(q) for q in m["evidence"]})
                ),
                None,
            )  # fmt: skip
            spans = _spans_of(stance)
            if same is None:
                fresh = {**stance, "actor": actor, "evidence": list(stance["evidence"])}
                fresh.pop("evidence_spans", None)
                if spans is not None:
                    fresh["evidence_spans"] = list(spans)
                merged.append(fresh)
                continue
            have = {_key(q) for q in same["evidence"]}
            for i, quote in enumerate(stance["evidence"]):
                if _key(quote) not in have and len(same["evidence"]) < MAX_EVIDENCE:
                    have.add(_key(quote))
                    same["evidence"].append(quote)
                    if spans is not None and "evidence_spans" in same:
                        same["evidence_spans"].append(spans[i])
                    else:
                        same.pop("evidence_spans", None)  # no longer parallel: drop them
    return merged[:MAX_STANCES]


def _spans_of(stance: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A stance's evidence spans when there is one per quote (else None)."""
    spans = stance.get("evidence_spans")
    if isinstance(spans, list) and len(spans) == len(stance["evidence"]):
        return spans
    return None


def _similar(a: str, b: str) -> bool:
    wa, wb = set(_key(a).split()), set(_key(b).split())
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.6


def merge_questions(
    groups: list[list[dict[str, Any]]], canonical: dict[str, str]
) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for questions in groups:
        for q in questions:
            related = [canonical[n.casefold()] for n in q.get("related_actors", [])
                       if n.casefold() in canonical]  # fmt: skip
            same = next((m for m in merged if _similar(m["question"], q["question"])), None)
            if same is None:
                merged.append({**q, "related_actors": list(dict.fromkeys(related))[:6]})
            else:
                union = dict.fromkeys([*same["related_actors"], *related])
                same["related_actors"] = list(union)[:6]
    return merged[:MAX_QUESTIONS]


def merge_parts(parts: list[ArticleSummary]) -> dict[str, Any]:
    """Actors, stances and open questions of all parts, deduplicated (no overview fields)."""
    # evidence_spans travel with the stances: the whole article's validation grounds the
    # model's own quotes again from them (their match kinds survive the merge)
    dumped = [p.model_dump(mode="json") for p in parts]
    actors, canonical = merge_actors([d["actors"] for d in dumped])
    return {
        "actors": actors,
        "stances": merge_stances([d["stances"] for d in dumped], canonical),
        "open_questions": merge_questions([d["open_questions"] for d in dumped], canonical),
    }


def fallback_overview(parts: list[ArticleSummary]) -> Overview:
    """Deterministic overview: first part's tldr, parts' summaries, key points interleaved."""
    summary = ""
    for part in parts:
        if len(summary) + len(part.summary) + 1 > 1500:
            break
        summary = f"{summary} {part.summary}".strip()
    points: list[str] = []
    seen: set[str] = set()
    for i in range(max(len(p.key_points) for p in parts)):
        for part in parts:
            if i < len(part.key_points) and _key(part.key_points[i]) not in seen:
                seen.add(_key(part.key_points[i]))
                points.append(part.key_points[i])
    return Overview(tldr=parts[0].tldr, summary=summary or parts[0].summary, key_points=points[:7])
