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
from dataclasses import dataclass

from summarizer.engines.extractive.actors import Act, Actors, Mention, mentions_in
from summarizer.engines.extractive.lexicon import (
    NEGATED_POSITION,
    NEGATION,
    NEUTRAL_CUE,
    POSITION_CUES,
    SAY,
    VERB,
    VERB_POS,
)
from summarizer.engines.extractive.ranking import STOPWORDS
from summarizer.schema import MAX_STANCES
from summarizer.sentences import Sentence

_GAP = re.compile(
    r"^(?:\s*(?:has|have|had|also|later|again|recently|both|on \w+|previously|earlier|"
    r"repeatedly|publicly|separately|privately|immediately|quickly|once|then|had already|"
    r"in an? (?:short |emailed )?statement))*\s*$"
)
#: Verbs that may be followed by their speaker ('"...," said Maria Lopez').
_SAID_BY = frozenset(("said", "says", "added", "wrote", "writes", "replied", "explained"))
_CLAUSE_STOP = re.compile(r", and |; |, but ")
#: What was said runs to here for its position: a 'but' stays in (it turns the position).
_HEARD_STOP = re.compile(r", and (?!that )|; ")
#: "said that X and that Y": two things said, two stances.
_AND_THAT = re.compile(r",? and that ")


def _target(text: str) -> str:
    """A short phrase from the start of a clause: up to 8 words, cut at punctuation."""
    text = re.sub(
        r"^(?:[\s,;:]*\b(?:that|of|to|on|for|he|she|it|they|this|in a statement|saying|arguing|"
        r"adding|insisting|warning)\b)+",
        "",
        text,
    )
    parts = re.split(r"[,.;:!?](?=\s|$|[\"”])|\s[—–]\s", text.strip(" \"“”'‘’"), maxsplit=1)
    head = re.sub(r"[\"“”]", "", parts[0]).split()[:8]
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


_CLAIM_NOUN = re.compile(
    r"\s*(?:the |a |an |any |all |these |those |such )?(?:\w+ ){0,2}?(?:claims?|allegations?|"
    r"accusations?|reports?|suggestions?|idea|charges?|assertions?)\b"
)
#: A concession before 'but' ("nobody likes a tax increase", "we do not ... lightly").
_CONCEDE = re.compile(
    r"\b(?:nobody|no one|not|never|don't|do not|doesn't|lightly)\b", re.IGNORECASE
)
_BUT = re.compile(r"\b(?:but|however|although|though|yet)\b")


def _cue_counts(text: str) -> dict[str, int]:
    """How many cue words of each position ``text`` has; a negated cue flips or drops."""
    low = text.lower()
    counts: dict[str, int] = {}
    for pos, cue in POSITION_CUES:
        for m in cue.finditer(low):
            if NEGATION.search(low, max(0, m.start() - 24), m.start()) and not m.group().startswith(
                ("not", "no ", "never", "cannot")
            ):
                flipped = NEGATED_POSITION.get(pos)
                if flipped is None:
                    continue
                pos_here = flipped
            else:
                pos_here = pos
            counts[pos_here] = counts.get(pos_here, 0) + 1
    return counts


def _strongest(counts: dict[str, int]) -> str | None:
    order = [pos for pos, _ in POSITION_CUES]
    best = sorted(counts.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    return best[0][0] if best else None


def _position(verb: str, clause: str) -> str:
    """The position of what an actor said: the verb's own meaning first ('rejected the
    claim' is a denial), then cue words; after a 'but' the later part decides, and a
    positive start taken back by a 'but' reads as concern."""
    if NEUTRAL_CUE.search(clause) and verb not in VERB_POS:
        return "neutral"
    if verb == "voted":
        return _strongest(_cue_counts(clause)) or "support"  # "voted 5-2 to ask ..."
    if verb in ("urged", "urges", "called for"):
        return {"concern": "concern", "oppose": "oppose"}.get(
            _strongest(_cue_counts(clause)) or "", VERB_POS[verb]
        )  # "urged caution" is a warning, "urged both sides to talk" backs talks
    if verb in VERB_POS:
        if verb.startswith("reject") and _CLAIM_NOUN.match(clause):
            return "deny"
        return VERB_POS[verb]
    parts = _BUT.split(clause, maxsplit=1)
    if len(parts) == 2:
        later = _strongest(_cue_counts(parts[1]))
        if later is not None:
            return later
        first = _strongest(_cue_counts(parts[0]))
        if first == "support":
            return "concern"
        if _CONCEDE.search(parts[0]):
            return "support"  # "Nobody wants to strike, but our members have run out of patience"
    return _strongest(_cue_counts(clause)) or "claim"


@dataclass
class _Recent:
    """Who 'he/she' and 'it/they' can refer to: the last person quoted, the last person and
    the last organization or group named, each with its sentence index."""

    speaker: tuple[str, int] | None = None
    person: tuple[str, int] | None = None
    body: tuple[str, int] | None = None

    def resolve(self, pronoun: str, index: int) -> list[str]:
        if pronoun in ("he", "she"):
            ref = self.speaker if self.speaker and index - self.speaker[1] <= 2 else self.person
        else:
            ref = self.body
        return [ref[0]] if ref and index - ref[1] <= 2 else []


def _before(text: str, here: list[Mention], at: int) -> list[str]:
    """The actor (or 'A and B') named right before offset ``at``, allowing 'has', 'also',
    'on Tuesday', 'in a statement' and an apposition ', the chief executive,' between."""
    for i in range(len(here) - 1, -1, -1):
        m = here[i]
        gap = re.sub(r"^, [^,]*, ", "", text[m.end : at].replace("'s ", " ", 1))
        if m.end <= at and _GAP.match(gap):
            keys = [m.key]
            if i and re.fullmatch(r"\s*(?:,|and|, and)\s*", text[here[i - 1].end : m.start]):
                keys.insert(0, here[i - 1].key)
            return keys
    return []


def _speakers(
    acts: dict[str, Act],
    text: str,
    s: Sentence,
    here: list[Mention],
    v: re.Match[str],
    recent: _Recent,
    previous: list[str],
) -> list[str]:
    """Who is speaking at reporting verb ``v``: the actor before it, a pronoun's referent,
    the actor right after it ('"...," said Maria Lopez'), or the subject of the verb it is
    coordinated with ('confirmed the breach but denied ...')."""
    keys = _before(text, here, v.start())
    if keys:
        return keys
    head = text[s.start : v.start()]
    pronoun = re.search(r"\b(he|she|it|they|He|She|It|They)\s+(?:has |have |had |also )?$", head)
    if pronoun:
        word = pronoun.group(1).lower()
        kinds = ("person",) if word in ("he", "she") else ("organization", "group", "country")
        near = [m.key for m in here if m.end <= v.start() and acts[m.key].type in kinds]
        return near[-1:] or recent.resolve(word, s.index)
    if v.group() in _SAID_BY:
        after = [m for m in here if m.start >= v.end()]
        if after and re.fullmatch(r"\s*", text[v.end() : after[0].start]):
            return [after[0].key]
    if previous and re.search(r"(?:,\s*|\s)(?:and|but)\s+(?:also\s+|later\s+)?$", head):
        return previous
    return []


def _attributed(
    finder: Actors, s: Sentence, here: list[Mention], recent: _Recent
) -> list[tuple[re.Match[str], list[str]]]:
    """The reporting verbs of sentence ``s`` with their speakers (possibly none)."""
    out: list[tuple[re.Match[str], list[str]]] = []
    previous: list[str] = []
    for v in VERB.finditer(finder.text, s.start, s.end):
        keys = _speakers(finder.acts, finder.text, s, here, v, recent, previous)
        out.append((v, keys))
        previous = keys or previous
    return out


def _verb_target(
    finder: Actors,
    s: Sentence,
    v: re.Match[str],
    quote: re.Match[str] | None,
    prev: Sentence | None,
) -> str:
    """What the reporting verb ``v`` is about: its clause (past a neutral cue), else the
    quote it introduces, else the previous sentence ("campaigners welcomed it")."""
    text, orig, verb = finder.text, finder.orig, v.group()
    stop = _CLAUSE_STOP.search(text[v.end() : s.end])
    clause = orig[v.end() : v.end() + stop.start() if stop else s.end]
    cue = NEUTRAL_CUE.search(clause)
    if verb in SAY and re.match(r"\s*(?:reporters|journalists|a news conference|in an? )", clause):
        clause = clause.split(" that ", 1)[1] if " that " in clause else ""
    target = _target(clause[cue.end() :] if cue else clause) or _target(clause)
    if quote is not None and (len(target) < 2 or quote.end() <= v.start() - s.start + 3):
        target = _target(quote.group(1))
    if (
        len(target) < 2
        and prev is not None
        and re.fullmatch(r"\s*(?:it|them|this|the move)\s*[.!]?\s*", clause)
    ):
        target = _target(prev.text)  # "Privacy campaigners welcomed it."
    return target


def find_stances(finder: Actors, mentions: list[Mention]) -> list[dict[str, object]]:
    """Stances in text order: the actor named right before (or after) each reporting verb,
    or the one a pronoun stands for ("he said", "it said"), and the actor a sentence cites
    "according to"."""
    text, orig, acts = finder.text, finder.orig, finder.acts
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str, str]] = set()
    recent = _Recent()
    for s in finder.sentences:
        here = mentions_in(mentions, s)
        sentence = evidence = orig[s.start : s.end]
        quote = re.search(r"[\"“]([^\"”]{8,})[\"”]", sentence)
        prev = finder.sentences[s.index - 1] if s.index else None
        if len(s.words) <= 5 and prev is not None and prev.text[:1] in '"“':
            evidence, quote = prev.text, re.search(r"[\"“]([^\"”]{8,})", prev.text)
        verbs = _attributed(finder, s, here, recent)
        for n, (v, keys) in enumerate(verbs):
            if not keys:
                continue
            verb = v.group()
            nxt = next((w.start() for w, k in verbs[n + 1 :] if k), s.end)
            if (
                verb in SAY
                and nxt < s.end
                and re.fullmatch(
                    r"\s*(?:that\s+)?(?:it|he|she|they)\s+(?:has |have |had |also )?",
                    text[v.end() : nxt],
                )
            ):
                continue  # "said it would not support": the second verb carries the stance
            stop = _HEARD_STOP.search(text[v.end() : nxt])
            end = v.end() + stop.start() if stop else nxt
            near = quote is not None and (
                evidence != sentence
                or quote.end() <= v.start() - s.start + 3
                or 0 <= quote.start() - (v.end() - s.start) <= 3
            )
            heard = orig[v.end() : end] + (
                " " + quote.group(1) if quote and near and verb in SAY else ""
            )
            position = _position(verb, heard)
            quoted = quote if quote and near else None
            target = _verb_target(finder, s, v, quoted, prev)
            parts = _AND_THAT.split(heard) if verb in SAY else [heard]
            readings = [(_position(verb, parts[0]) if len(parts) > 1 else position, target)]
            readings += [(_position(verb, p), _target(p)) for p in parts[1:]]
            for key in keys:
                for pos, what in readings:
                    if len(what) < 2 or (key, pos, what) in seen:
                        continue
                    seen.add((key, pos, what))
                    out.append(_stance(key, what, pos, evidence, verb))
                if acts[key].type == "person":
                    recent.speaker = (key, s.index)
        for m in here:
            if acts[m.key].type == "person":
                recent.person = (m.key, s.index)
            elif acts[m.key].type in ("organization", "group"):
                recent.body = (m.key, s.index)
        for acc in re.finditer(r"[Aa]ccording to ", text[s.start : s.end]):
            after = [x for x in here if x.start == s.start + acc.end()]
            if after and (after[0].key, "claim", "") not in seen:
                body = text[s.start + acc.end() : s.end].split(",", 1)[-1]
                seen.add((after[0].key, "claim", ""))
                out.append(_stance(after[0].key, _target(body) or "the report", "claim", evidence))
    return out[:MAX_STANCES]
