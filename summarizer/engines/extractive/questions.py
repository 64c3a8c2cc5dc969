"""Open questions: what the article leaves unresolved, found from cue phrases.

Each cue family marks one way a story stays open: an unconfirmed report ("could not
confirm"), a possible appeal ("vowed to appeal", "an appeal is possible"), a party that
gives no answer ("declined to comment", "did not respond"), an admitted unknown
("unclear whether", "too early to say"), a decision under way ("is considering") and a
future step ("will decide next month", "talks are expected to resume", "has yet to").
A question is built from the cue sentence's own words (its subject and the rest of the
clause), so it keeps the sentence's key nouns; ``why_open`` names the cue. A sentence
gives at most one question; denials of a reported claim add one more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from dataclasses import dataclass
from functools import partial

from summarizer.engines.extractive.actors import Actors, Mention, mentions_in
from summarizer.engines.extractive.lexicon import VERB, VERB_POS, word_set
from summarizer.schema import MAX_QUESTIONS
from summarizer.sentences import Sentence

#: Where a subject noun phrase starts: after a clause mark or a word that opens a clause.
_SUBJECT_START = re.compile(
    r"(?:^|[,;:(]\s*|\s[—–-]+\s|[\"“”‘]\s*|\b(?:said|says|say|told \w+|that|and|but|while|"
    r"whether|if|when|because|after|before|as|so|although|though|added|warned|noted|"
    r"insisted|argued|announced|confirmed|stated|expects?|expected|believes?|believed|"
    r"hopes?|hoped|thinks?|thought|until|once|unless)\s+)"
)
#: Where a predicate ends: clause punctuation, quotes, dashes, or a new clause.
_CLAUSE_END = re.compile(
    r"[,;:.!?](?=\s|$|[\"”’])|\s[—–]+\s|\sand (?:\w+ed|would|will|could|should)\s|"
    r"\s(?:but|while|because|although|though|"
    r"since|so that|unless|whereas|amid|even as|and said|and added|and that)\s"
)
_PRONOUN = frozenset(("he", "she", "it", "they", "we", "i", "you"))
_POSSESSIVE = frozenset(("his", "her", "its", "their", "our", "my"))
_RELATIVE = frozenset(
    ("which", "who", "whom", "whose", "that", "this", "there", "what", "these", "those", "where")
)
_PREPOSITION = frozenset(
    ("about", "of", "in", "on", "at", "for", "with", "from", "to", "by", "into", "than", "like")
)
_WEAK_PRED = frozenset(("not", "never", "have", "also", "like", "only", "rather", "probably"))
#: Words a question should not end on ("... teachers that the country did not have" keeps
#: its verbs; "... flagged for review by" loses the "by").
_DANGLING = word_set(
    "a an the of to in on at by for with from and or but that which who whom whose as than "
    "into onto over under about its their his her our my this these those"
)
_NEGATIVE_SUBJECT = frozenset(("neither", "no", "nobody", "none", "nothing", "few"))
_MAX_SUBJECT_WORDS = 8
_MAX_PREDICATE_WORDS = 16


@dataclass(frozen=True)
class Context:
    """What a question builder may use besides the sentence: who 'he/she' ('who') and
    'it' stand for, and the words the article writes in lower case."""

    names: dict[str, str]
    lower: Set[str]
    earlier: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cue:
    """One cue family: a pattern, how to phrase its question and why it stays open."""

    name: str
    pattern: re.Pattern[str]
    ask: Callable[[re.Match[str], str, Context], str | None]
    reason: str


def _predicate(text: str) -> str:
    """The clause from ``text`` on, up to its end or :data:`_MAX_PREDICATE_WORDS` words."""
    stop = _CLAUSE_END.search(text)
    words = (text[: stop.start()] if stop else text).split()[:_MAX_PREDICATE_WORDS]
    while words and words[-1].lower().strip(".,'’\"”") in _DANGLING:
        words.pop()
    return " ".join(words).strip(" \"“”‘’'")


def _subject(before: str, ctx: Context) -> str | None:
    """The noun phrase right before a cue, pronouns resolved to the sentence's speaker."""
    before = re.sub(r",\s*(?:which|who)\b[^,]*,\s*$", " ", before) + " "
    starts = [m.end() for m in _SUBJECT_START.finditer(before)]
    subject = before[starts[-1] if starts else 0 :].strip(" \"“”‘’'")
    words = subject.split()
    if not words or len(words) > _MAX_SUBJECT_WORDS or VERB.search(subject):
        return None
    first = words[0].lower().strip("\"“”‘’'")
    if (
        first in _RELATIVE
        or first in _PREPOSITION
        or first in _NEGATIVE_SUBJECT
        or words[-1].lower() in _RELATIVE
    ):
        return None
    names = ctx.names
    if first in _PRONOUN or first in _POSSESSIVE:
        owner = names.get("it" if first in ("it", "its") else "who")
        if owner is None or first in ("we", "i", "you", "our", "my"):
            return None
        return (owner if first in _PRONOUN else owner + "'s") + (
            " " + " ".join(words[1:]) if len(words) > 1 else ""
        )
    return subject[0].lower() + subject[1:] if first in ctx.lower else subject


def _will(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    subject = _subject(sentence[: m.start()], ctx)
    pred = _predicate(sentence[m.end() :])
    if subject is None or not pred or pred.split()[0].lower() in _WEAK_PRED:
        return None
    return f"Will {subject} {pred}?"


def _expect_object(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    pred = _predicate(sentence[m.end() :])
    return f"Will {m.group('obj')} {pred}?" if pred else None


def _appeal(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    subject = _subject(sentence[: m.start()], ctx) if m.group("subj") is None else None
    owner = ctx.names.get("it") or ctx.names.get("who")
    if m.group("subj") is None and (subject or owner):
        return f"Will {subject or owner} appeal?"  # "Rovers said ... and vowed to appeal"
    decision = re.search(
        r"\b(?:ruling|decision|verdict|judgment|judgement|sentence|order)\b", sentence
    )
    return f"Will the {decision.group() if decision else 'decision'} be appealed?"


def _no_comment(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    subject = _subject(sentence[: m.start()], ctx)
    if subject is None:
        return None
    topic = _predicate(sentence[m.end() :])
    topic = re.sub(r"^(?:on|about|to|for|regarding|whether|the request|requests?)\b\s*", "", topic)
    if not topic:
        earlier = re.split(r"\b(?:said|says|told \w+)\s+(?:that\s+)?", sentence[: m.start()])
        topic = _predicate(earlier[-1]) if len(earlier) > 1 else ""
    return f"What does {subject} say about {topic}?" if topic else f"What is {subject}'s response?"


def _unknown(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    rest = _predicate(sentence[m.end() :])
    if len(rest.split()) < 2:
        return None
    word = m.group("wh").lower()
    if word in ("whether", "if"):
        return f"Is it known whether {rest}?"
    return f"{word.capitalize()} {rest}?"


def _confirm(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    rest = _predicate(sentence[m.end() :])
    rest = re.sub(r"^(?:that|whether)\s+", "", rest)
    return f"Can {rest} be confirmed?" if len(rest.split()) >= 2 else None


_REPORTED = re.compile(
    r"(?P<who>(?:\S+ ){0,6}?)(?:said|says|reported|claimed|alleged|wrote|posted)"
    r"(?:(?: [^,.;]{0,60}?)? that)? (?P<what>(?:it|he|she|they|[A-Z]\w*|the|a|an) [^;]{12,}?)"
    r"(?:, and |; |[.!?](?:\s|$)|$)"
)
_ANAPHOR = re.compile(
    r"^(?:the|this|that|these|such|its|their) (?:\w+ ){0,2}?(?:claims?|reports?|figures?|"
    r"allegations?|accounts?|assertions?|numbers?|details?)$",
    re.IGNORECASE,
)


def _claim_of(text: str) -> str | None:
    """The longest reported clause ("X said (that) ...") in ``text``, 'it' made X."""
    best: str | None = None
    for m in _REPORTED.finditer(text):
        words = m.group("what").split()
        if words[1].lower() in ("was", "is", "were", "are", "said") or re.search(
            r"\b(?:not|never|no)\b", m.group("what")
        ):
            continue
        kept = words[:30]
        while kept and kept[-1].lower() in _DANGLING:
            kept.pop()
        what = " ".join(kept)
        who = re.findall(r"(?<!^)\b[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)*", m.group("who").strip())
        head, _, tail = what.partition(" ")
        if head.lower() in _PRONOUN and who:
            what = who[-1] + " " + tail
        if best is None or len(what) > len(best):
            best = what
    return best


def _unverified(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    subject = _subject(sentence[: m.start()], ctx)
    if subject is None or subject.split()[0].lower() in _PRONOUN:
        return None
    if _ANAPHOR.match(subject):
        for text in ctx.earlier:
            what = _claim_of(text)
            if what:
                return f"Is it true that {what}?"
    return f"Can {subject} be verified?"


def _due(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    """'The attorney general's decision on an investigation is due within two weeks' ->
    'What will the attorney general's decision on an investigation be?'"""
    subject = _subject(sentence[: m.start()], ctx)
    return f"What will {subject} be?" if subject else None


def _hesitant(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    """'... a formal invitation, which allies are hesitant to grant' -> 'Will allies grant
    a formal invitation?'; otherwise 'Will <subject> <verb ...>?'."""
    verb = _predicate(sentence[m.end() :])
    rel = re.search(r"((?:a|an|the) [^,;]+?), which ((?:\S+ ){0,6}?\S+)$", sentence[: m.start()])
    if rel and verb:
        return f"Will {rel.group(2)} {verb.split()[0]} {rel.group(1)}?"
    subject = _subject(sentence[: m.start()], ctx)
    return f"Will {subject} {verb}?" if subject and verb else None


def _considering(m: re.Match[str], sentence: str, ctx: Context) -> str | None:
    subject = _subject(sentence[: m.start()], ctx)
    rest = _predicate(sentence[m.end() :])
    if subject is None or not rest:
        return None
    return f"What will {subject} decide about {rest}?"


_FUTURE_VERBS = (
    r"decide|rule|vote|consider|review|announce|publish|determine|choose|approve|meet|hear|"
    r"resume|respond|reply|sign|issue|deliver|report"
)
CUES: tuple[Cue, ...] = (
    Cue(
        "could not confirm",
        re.compile(r"\b(?:could|can|did|would) not (?:independently )?(?:confirm|verify)\b"),
        _confirm,
        "the report is not confirmed",
    ),
    Cue(
        "not verified",
        re.compile(
            r"\s(?:could not be|can ?not be|ha(?:s|ve) not been|was not|were not) "
            r"(?:independently )?(?:verified|confirmed)"
        ),
        _unverified,
        "the claim has not been independently verified",
    ),
    Cue(
        "appeal",
        re.compile(
            r"(?:(?P<subj>\ban appeal (?:is|was|remains|seemed) (?:possible|likely|expected))|"
            r"\s(?:vowed|plans?|planned|intends?|intended|promised|threatened|is expected|are "
            r"expected|has \w+ days|have \w+ days|could|can|may|might|would|will) to appeal\b|"
            r"\s(?:could|can|may|might|would|will|vowed to|plans? to) (?=appeal\b)|"
            r"\s(?:is|are|was|were) considering an appeal)"
        ),
        _appeal,
        "an appeal is possible, so the outcome is not final",
    ),
    Cue(
        "declined to comment",
        re.compile(
            r"\s(?:declined|refused) to (?:comment|say|give|name|disclose|discuss|specify|"
            r"elaborate|provide|answer|confirm or deny)\b|\s(?:did not|has not|have not|had "
            r"not|would not|could not be reached to) (?:immediately )?(?:respond|reply|"
            r"comment|return)\b|\scould not be reached for comment|\s(?:had|has|gave) no "
            r"(?:immediate )?comment|\sdid not name\b|\sdid not say\b(?! whether)"
        ),
        _no_comment,
        "a party has not given its side",
    ),
    Cue(
        "unclear",
        re.compile(
            r"\b(?:unclear|not clear|not known|unknown|uncertain|not yet known|too early to (?:say|"
            r"tell|know)|remains to be seen|to (?:show|say|tell|know|determine|establish)|"
            r"declined to say|did not say|has not said|would not say|no word on|not decided)"
            r",? (?P<wh>whether|if|when|how|why|what|who|which)\b"
        ),
        _unknown,
        "the article says it is not known",
    ),
    Cue(
        "hesitant to",
        re.compile(r"\s(?:is|are|was|were|remains?|seems?) (?:hesitant|reluctant) to\s"),
        _hesitant,
        "the decision is held back",
    ),
    Cue(
        "is considering",
        re.compile(
            r"\s(?:is|are|was|were) (?:considering|weighing|reviewing|studying|examining|"
            r"assessing|investigating)\b"
        ),
        _considering,
        "a decision is pending",
    ),
    Cue(
        "has yet to",
        re.compile(r"\s(?:has|have|had) (?:yet|still) to\s|\s(?:is|are) yet to\s"),
        _will,
        "it has not happened yet",
    ),
    Cue(
        "will decide",
        re.compile(
            r"\s(?:will|would|is expected to|are expected to|is due to|are due to|is set to|"
            r"are set to|is scheduled to|are scheduled to|plans to|intends? to) (?=(?:"
            + _FUTURE_VERBS
            + r")\b)"
        ),
        _will,
        "a decision is still to come",
    ),
    Cue(
        "expected to",
        re.compile(
            r"\b(?:expect(?:s|ed)?|ask(?:s|ed)?|urg(?:es|ed)|call(?:s|ed) on|press(?:es|ed)|"
            r"want(?:s|ed)?) (?P<obj>(?:the|a|an|both|all) [\w'’ -]{1,40}?) to\s"
        ),
        _expect_object,
        "the outcome is expected but has not happened",
    ),
    Cue(
        "is due",
        re.compile(
            r"\s(?:is|are) (?:due|expected|scheduled|set) (?=(?:within|by|on|in|next|later|before|"
            r"after|this|at)\b)"
        ),
        _due,
        "a decision is still to come",
    ),
    Cue(
        "will",
        re.compile(
            r"\s(?:will|would|is expected to|are expected to|was expected to|were expected to|"
            r"is due to|are due to|is set to|are set to|is scheduled to|are scheduled to|"
            r"is likely to|are likely to|planned to|intends? to|hopes? to|hoped to|"
            r"aims? to|ha(?:s|ve) until [\w ]{1,20} to)\s"
        ),
        _will,
        "it has not happened yet",
    ),
)


def _context(
    s: Sentence, mentions: list[Mention], finder: Actors, kept: dict[str, str], cue_at: int
) -> Context:
    """Who 'he/she' and 'it' can stand for at offset ``cue_at``: the last kept actor
    named before it in the sentence (a person for 'who', anyone for 'it')."""
    out: dict[str, str] = {}
    for m in mentions_in(mentions, s):
        if m.start >= cue_at or m.key not in kept:
            continue
        kind = finder.acts[m.key].type
        if kind == "person":
            out["who"] = kept[m.key]
        elif kind in ("organization", "country", "group"):
            out["it"] = kept[m.key]
    back = finder.sentences[max(0, s.index - 2) : s.index][::-1]
    return Context(out, finder.lower, tuple(finder.orig[b.start : b.end] for b in back))


def _tidy(question: str) -> str:
    question = re.sub(r"[\"“”]", "", question)
    question = re.sub(r"\s+", " ", question).strip()
    question = re.sub(r"\s+\?$", "?", question)
    return question[0].upper() + question[1:]


def _denied_question(stance: dict[str, object]) -> str:
    """'denied that the ground had been overvalued' -> 'Is it true that the ground had been
    overvalued?'; 'disputed the findings' -> 'Are the findings accurate?'."""
    evidence = (
        " ".join(str(q) for q in stance["evidence"]) if isinstance(stance["evidence"], list) else ""
    )
    verb = str(stance.get("verb"))
    at = evidence.find(verb)
    what = _predicate(evidence[at + len(verb) :]) if at >= 0 else str(stance["target"])
    what = re.sub(r"^(?:that|any|all)\s+", "", what) if what.startswith("that ") else what
    if re.search(r"\b(?:had|has|have|was|were|is|are|did|would|will)\b", what):
        return f"Is it true that {what}?"
    noun = re.sub(r"^(?:a|an|the|any|all)\s+", "", what)
    if not noun:
        return "Is the denied report accurate?"
    plural = noun.split()[0].endswith("s") and not noun.split()[0].endswith("ss")
    return f"{'Are' if plural else 'Is'} the {noun} accurate?"


def _denial(stances: list[dict[str, object]], kept: dict[str, str]) -> dict[str, object] | None:
    deniers = [st for st in stances if VERB_POS.get(str(st.get("verb"))) == "deny"]
    if not deniers:
        return None
    names = list(dict.fromkeys(kept[str(st["actor"])] for st in deniers))
    others = [
        kept[str(st["actor"])]
        for st in stances
        if st["position"] in ("claim", "oppose") and str(st["target"]).startswith(tuple(names))
    ]
    ask = _denied_question(deniers[0])
    return {
        "question": ask,
        "why_open": f'Cue "denied": denied by {" and ".join(names)}; the article does not '
        "settle it.",
        "related_actors": list(dict.fromkeys(names + others))[:6],
    }


def _sentence_question(
    s: Sentence, sentence: str, context_at: Callable[[int], Context]
) -> tuple[int, str, str] | None:
    """The first cue family (in :data:`CUES` order) that yields a question here."""
    for rank, cue in enumerate(CUES):
        for m in cue.pattern.finditer(sentence):
            question = cue.ask(m, sentence, context_at(s.start + m.start()))
            if question and 12 <= len(question) <= 300:
                cue_text = " ".join(m.group().split()) or cue.name
                return rank, _tidy(question), f'Cue "{cue_text}": {cue.reason}.'
    return None


def open_questions(
    finder: Actors, mentions: list[Mention], stances: list[dict[str, object]], kept: dict[str, str]
) -> list[dict[str, object]]:
    """Open questions in text order: one from a denial, then one per cue sentence."""
    out: list[dict[str, object]] = []
    denial = _denial(stances, kept)
    if denial is not None:
        out.append(denial)
    found: list[tuple[int, int, dict[str, object]]] = []
    for s in finder.sentences:
        if s.boilerplate:
            continue
        sentence = finder.orig[s.start : s.end]
        hit = _sentence_question(s, sentence, partial(_context, s, mentions, finder, kept))
        if hit is None:
            continue
        rank, question, why = hit
        if any(q["question"] == question for q in out) or any(
            f[2]["question"] == question for f in found
        ):
            continue
        related = list(
            dict.fromkeys(kept[m.key] for m in mentions_in(mentions, s) if m.key in kept)
        )
        found.append(
            (rank, s.index, {"question": question, "why_open": why, "related_actors": related[:6]})
        )
    room = MAX_QUESTIONS - len(out)
    best = sorted(found, key=lambda f: (f[0] >= len(CUES) - 1, f[1]))[:room]
    out.extend(q for _, _, q in sorted(best, key=lambda f: f[1]))
    return out
