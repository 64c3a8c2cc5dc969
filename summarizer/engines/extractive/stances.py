"""Stances and open questions: who says what about what, and what the article leaves open.

A stance is an actor mention right before a reporting verb ("Seoul's spy agency said",
"Kyiv denied"), or "according to" an actor; its position comes from the verb itself or
from cue words in what was said, and its target is a short phrase from the clause or the
nearby quote. Open questions come from denials and from cue phrases such as "could not
confirm", "is considering" or "unclear whether". Stances are plain dicts keyed like
``summarizer.schema.Stance`` plus the ``verb`` (dropped before validation).
"""

from __future__ import annotations

import re

from summarizer.engines.extractive.actors import Actors, Mention, mentions_in
from summarizer.engines.extractive.lexicon import SAY, VERB, VERB_POS
from summarizer.engines.extractive.ranking import STOPWORDS
from summarizer.schema import MAX_STANCES

_GAP = re.compile(
    r"^(?:\s*(?:has|have|had|also|later|again|recently|both|on \w+|"
    r"in an? (?:short |emailed )?statement))*\s*$"
)
_NEUTRAL = re.compile(
    r"could not (?:independently )?confirm|declined to (?:comment|say|give)|(?:would|does|did) "
    r"not comment|no information|not taken a position|did not respond"
)
_DENY_CUE = re.compile(
    r"\b(?:false|fabrication|does not exist|no evidence|not true|untrue|baseless)\b"
)
# Generic news-sentiment cues for a neutral reporting verb ("said"), checked in this order
# after the verb's own meaning: deny, oppose, concern, support; otherwise "claim".
_CONCERN_CUE = re.compile(
    r"\b(?:threat|risk|danger|worr|fear|concern|undermin|escalat|chaos|crisis|serious|harm"
    r"|damag|uncertain|warn)\w*"
)
_OPPOSE_CUE = re.compile(
    r"\b(?:disagree|not accept|oppose|unfair|reject|unacceptable|wrong|illegal|unlawful"
    r"|appeal|condemn|criticis|criticiz|refus|against)\w*"
)
_SUPPORT_CUE = re.compile(
    r"\b(?:welcom|support|endors|prais|applaud|good (?:news|deal|step)"
    r"|in favou?r|benefit|right decision|positive)\w*"
)
_CLAUSE_STOP = re.compile(r", and |; |, but ")


def _target(text: str) -> str:
    """A short phrase from the start of a clause: up to 8 words, cut at punctuation."""
    text = re.sub(
        r"^(?:\s*\b(?:that|of|to|on|for|he|she|it|they|this|in a statement)\b)+", "", text
    )
    parts = re.split(r"[,.;:!?](?=\s|$)|[\"“”]|\s[—–]\s", text.strip(" \"“”'‘’"), maxsplit=1)
    head = parts[0].split()[:8]
    while head and head[-1].lower() in STOPWORDS:
        head.pop()
    return " ".join(head)


def _stance(
    actor: str, target: str, position: str, evidence: str, verb: str = ""
) -> dict[str, object]:
    return {
        "actor": actor,
        "target": target[:200],
        "position": position,
        "evidence": [evidence],
        "verb": verb,
    }


def _position(verb: str, clause: str) -> str:
    if _NEUTRAL.search(clause):
        return "neutral"
    if verb in VERB_POS:
        return VERB_POS[verb]
    cues = (
        (_DENY_CUE, "deny"),
        (_OPPOSE_CUE, "oppose"),
        (_CONCERN_CUE, "concern"),
        (_SUPPORT_CUE, "support"),
    )
    for cue, pos in cues:
        if cue.search(clause):
            return pos
    return "claim"


def find_stances(finder: Actors, mentions: list[Mention]) -> list[dict[str, object]]:
    """Stances in text order: the actor mentioned right before each reporting verb (or the
    person last quoted, for "he said"), and the actor a sentence cites "according to"."""
    text, orig, acts = finder.text, finder.orig, finder.acts
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str, str]] = set()
    speaker: tuple[str, int] | None = None
    last_person: tuple[str, int] | None = None
    for s in finder.sentences:
        here = mentions_in(mentions, s)
        sentence = evidence = orig[s.start : s.end]
        quote = re.search(r"[\"“]([^\"”]{8,})[\"”]", sentence)
        prev = finder.sentences[s.index - 1] if s.index else None
        if len(s.words) <= 5 and prev is not None and prev.text[:1] in '"“':
            evidence, quote = prev.text, re.search(r"[\"“]([^\"”]{8,})", prev.text)
        for v in VERB.finditer(text, s.start, s.end):
            keys: list[str] = []
            for i in range(len(here) - 1, -1, -1):
                m = here[i]
                gap = re.sub(r"^, [^,]*, ", "", text[m.end : v.start()].replace("'s ", " ", 1))
                if m.end <= v.start() and _GAP.match(gap):
                    keys = [m.key]
                    if i and re.fullmatch(
                        r"\s*(?:,|and|, and)\s*", text[here[i - 1].end : m.start]
                    ):
                        keys.insert(0, here[i - 1].key)
                    break
            if not keys and re.search(r"\b(?:he|she|He|She)\s+$", text[s.start : v.start()]):
                ref = speaker if speaker and s.index - speaker[1] <= 2 else last_person
                keys = [ref[0]] if ref and s.index - ref[1] <= 2 else []
            verb = v.group()
            nxt = VERB.search(text, v.end(), s.end)
            stop = _CLAUSE_STOP.search(text[v.end() : nxt.start() if nxt else s.end])
            end = v.end() + stop.start() if stop else (nxt.start() if nxt else s.end)
            near = quote is not None and (
                evidence != sentence
                or quote.end() <= v.start() - s.start + 3
                or 0 <= quote.start() - (v.end() - s.start) <= 3
            )
            heard = orig[v.end() : end] + (
                " " + quote.group(1) if quote and near and verb in SAY else ""
            )
            position = _position(verb, heard)
            stop = _CLAUSE_STOP.search(text[v.end() : s.end])
            clause = orig[v.end() : v.end() + stop.start() if stop else s.end]
            cue = _NEUTRAL.search(clause)
            if verb in SAY and re.match(
                r"\s*(?:reporters|journalists|a news conference|in an? )", clause
            ):
                clause = clause.split(" that ", 1)[1] if " that " in clause else ""
            target = _target(clause[cue.end() :] if cue else clause)
            if quote and near and (len(target) < 2 or quote.end() <= v.start() - s.start + 3):
                target = _target(quote.group(1))
            for key in keys:
                if len(target) < 2 or (key, position, target) in seen:
                    continue
                seen.add((key, position, target))
                out.append(_stance(key, target, position, evidence, verb))
                if acts[key].type == "person":
                    speaker = (key, s.index)
        for m in here:
            if acts[m.key].type == "person":
                last_person = (m.key, s.index)
        for acc in re.finditer(r"[Aa]ccording to ", text[s.start : s.end]):
            after = [x for x in here if x.start == s.start + acc.end()]
            if after and (after[0].key, "claim", "") not in seen:
                body = text[s.start + acc.end() : s.end].split(",", 1)[-1]
                seen.add((after[0].key, "claim", ""))
                out.append(_stance(after[0].key, _target(body) or "the report", "claim", evidence))
    return out[:MAX_STANCES]
