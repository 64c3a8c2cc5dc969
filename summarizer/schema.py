"""The output contract: pydantic models the model fills and the library verifies.

Field semantics live in ``Field(description=...)``: instructor sends them to the model
as the tool/JSON schema, so they are written for the model. Validators check every
claim against the article passed as validation context (``{"article": text}``); their
messages are sent back to the model on a re-ask, so each says exactly what to fix.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    computed_field,
    field_validator,
    model_validator,
)

from summarizer.grounding import (
    MIN_QUOTE_WORDS,
    Grounding,
    MatchKind,
    closest_passage,
    contains_name,
    find_mentions,
    find_span,
    ground_quote,
    has_min_words,
)
from summarizer.sentences import first_sentence, is_one_sentence

ActorType = Literal["person", "organization", "country", "group"]
Position = Literal["support", "oppose", "concern", "deny", "claim", "neutral"]

ACTOR_TYPES: tuple[str, ...] = ("person", "organization", "country", "group")
POSITIONS: tuple[str, ...] = ("support", "oppose", "concern", "deny", "claim", "neutral")

MAX_ACTORS = 25
MAX_STANCES = 30
MAX_QUESTIONS = 10
MAX_EVIDENCE = 4


def _bounded(value: str, field: str, low: int, high: int) -> str:
    """Length limits live in validators, not in the JSON schema: llama.cpp turns schema
    string limits into grammars that blow up, and the message tells the model the fix."""
    value = value.strip()
    if len(value) < low:
        raise ValueError(f"{field} is too short: write at least {low} characters")
    if len(value) > high:
        raise ValueError(f"{field} is {len(value)} characters: shorten it to at most {high}")
    return value


_ARTICLE: ContextVar[str | None] = ContextVar("summarizer_article", default=None)


@contextmanager
def grounded_in(article: str) -> Iterator[None]:
    """Validate against ``article`` inside this block, without a validation context.

    instructor renders every message as a Jinja template when it is given a ``context``,
    which would rewrite an article containing ``{{`` or ``{%`` (or fail on it); the LLM
    engine therefore passes the article to the validators through this context variable.
    """
    token = _ARTICLE.set(article)
    try:
        yield
    finally:
        _ARTICLE.reset(token)


def _article(info: ValidationInfo) -> str | None:
    ctx = info.context
    if isinstance(ctx, dict):
        article = ctx.get("article")
        if isinstance(article, str):
            return article
    return _ARTICLE.get()


def article_of(info: ValidationInfo) -> str | None:
    """The article a validator checks against: the ``context``'s, else :func:`grounded_in`'s."""
    return _article(info)


@dataclass
class Repairs:
    """What the library mended or dropped in one model answer (README: "Failure modes").

    The LLM engine opens one per structured call (:func:`repairing`) and calls
    :meth:`next_answer` as each answer arrives. With ``mend``, validators mend format slips
    (a tldr of two sentences) and note them in ``mended``; on answer number ``salvage_at``
    (the last one allowed; 0: never) list items that fail are dropped, each named in
    ``dropped``, instead of failing the whole answer. ``strict`` turns both off.
    """

    salvage_at: int = 0
    mend: bool = True
    answers: int = 0
    mended: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def next_answer(self) -> None:
        """A new answer is about to be validated: what was noted for the last one is void."""
        self.answers += 1
        self.mended.clear()
        self.dropped.clear()

    @property
    def salvage(self) -> bool:
        return 0 < self.salvage_at <= self.answers

    def drop(self, what: str, reason: str) -> None:
        reason = " ".join(reason.removeprefix("Value error, ").split())
        reason = _ADVICE.split(reason, maxsplit=1)[0]  # what was wrong, not what to do
        if len(reason) > 240:
            reason = reason[:239] + "\u2026"
        self.dropped.append(f"dropped {what}: {reason}")


#: Where a validator's message turns from what is wrong to advice for the model.
_ADVICE = re.compile(r"(?<=\.) (?=(?:Copy|Use|Cite|Merge|Remove|Add|Leave|The closest)\b)")
_REPAIRS: ContextVar[Repairs | None] = ContextVar("summarizer_repairs", default=None)


@contextmanager
def repairing(repairs: Repairs) -> Iterator[Repairs]:
    """Let the validators inside this block mend and (on the last answer) drop, noting it
    in ``repairs``. Outside such a block validation is strict, as for any pydantic model."""
    token = _REPAIRS.set(repairs)
    try:
        yield repairs
    finally:
        _REPAIRS.reset(token)


def current_repairs() -> Repairs | None:
    """The :class:`Repairs` of the structured call being validated, if any."""
    return _REPAIRS.get()


def _salvaging() -> Repairs | None:
    repairs = _REPAIRS.get()
    return repairs if repairs is not None and repairs.salvage else None


def _value(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def describe_item(field_name: str, item: Any) -> str:
    """How a warning names one list item of an answer."""
    if field_name == "actors":
        return f"actor {_value(item, 'name')!r}"
    if field_name == "stances":
        return f"stance of {_value(item, 'actor')!r} on {_value(item, 'target')!r}"
    return f"open question {_value(item, 'question')!r}"


def _drop_failing(
    field_name: str, items: list[Any], handler: ValidatorFunctionWrapHandler, repairs: Repairs
) -> Any:
    """Validate ``items``, dropping each that fails (and noting why) until the rest pass.
    An error that is not inside one item (the list's own length) is raised."""
    while True:
        try:
            return handler(items)
        except ValidationError as exc:
            reasons: dict[int, str] = {}
            for error in exc.errors():
                loc = error.get("loc", ())
                if not loc or not isinstance(loc[0], int):
                    raise
                path = ".".join(str(p) for p in loc[1:])
                reasons.setdefault(loc[0], f"{path}: {error['msg']}" if path else error["msg"])
            for index, reason in sorted(reasons.items()):
                repairs.drop(describe_item(field_name, items[index]), reason)
            items = [item for i, item in enumerate(items) if i not in reasons]


def drop_property_titles(schema: dict[str, Any]) -> None:
    """pydantic titles every property after its name ("Tldr"); the model gains nothing from
    them and they cost ~130 prompt tokens on every call, so the schema leaves them out."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)


class _Model(BaseModel):
    model_config = ConfigDict(json_schema_extra=drop_property_titles)


class EvidenceSpan(_Model):
    """Where a quote stands in the article (added by the library, never by the model)."""

    quote: str = Field(description="The quote as the model gave it.")
    start: int = Field(description="Offset of the first character in the article.")
    end: int = Field(description="Offset one past the last character in the article.")
    match: MatchKind = Field(
        description="How the quote matched: exact (quote marks, dashes, whitespace and "
        "Unicode forms folded), elided (fragments around '...' in order in one paragraph; "
        "the evidence is the whole passage) or aligned (differs only by case, punctuation "
        "and a few function words). The evidence is always the article's own text."
    )


class Mention(_Model):
    """Where the article names an actor (added by the library, never by the model)."""

    text: str = Field(description="The name or alias as written at this place in the article.")
    start: int = Field(description="Offset of the first character in the article.")
    end: int = Field(description="Offset one past the last character in the article.")


class Actor(_Model):
    """A person, organization, country or group that acts or speaks in the article."""

    name: str = Field(
        description=(
            "The actor's fullest name as written in the article, e.g. 'Andrii Sybiha' or "
            "'National Intelligence Service'. Must appear in the article text."
        ),
    )
    type: ActorType = Field(
        description="One of: person, organization, country, group (a collective such as "
        "'protesters' or 'allies')."
    )
    role: str = Field(
        description="The actor's role in this story in a few words, e.g. "
        "\"Ukraine's foreign minister\" or 'source of the deployment report'.",
    )
    aliases: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="Other names the article uses for the same actor: surname alone, title "
        "plus name, capital city standing for a government ('Pyongyang' for North Korea). "
        "Only names that appear in the article.",
    )
    _mentions: list[Mention] = PrivateAttr(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _bounded(v, "actor name", 2, 120)

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        return _bounded(v, "actor role", 0, 200)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> Actor:
        article = _article(info)
        if article is None:
            return self
        seen: set[str] = {self.name.casefold()}
        kept: list[str] = []
        for alias in self.aliases:
            alias = alias.strip()
            if alias and alias.casefold() not in seen and contains_name(article, alias):
                seen.add(alias.casefold())
                kept.append(alias)
        # Aliases the article never uses are dropped: everything we output is grounded.
        self.aliases = kept
        if not contains_name(article, self.name) and not kept:
            raise ValueError(
                f"actor name {self.name!r} does not appear in the article. Use the name exactly "
                "as the article writes it, or remove this actor."
            )
        self._mentions = [
            Mention(text=article[start:end], start=start, end=end)
            for start, end in find_mentions(article, [self.name, *kept])
        ]
        return self

    @computed_field(  # type: ignore[prop-decorator]
        description="Where the article names this actor (name or an alias, whole words, "
        "case-insensitive), added by the library."
    )
    @property
    def mentions(self) -> list[Mention]:
        return list(self._mentions)


def _not_in_article(article: str, quote: str, actor: object) -> str:
    closest = closest_passage(article, quote)
    hint = f" The closest passage in the article is {closest[:400]!r}." if closest else ""
    return (
        f"evidence quote {quote!r} for actor {actor!r} is not in the article.{hint} Copy the "
        "passage character-for-character from the article text (a shorter exact passage is "
        "fine), or remove this stance."
    )


class Stance(_Model):
    """One actor's position toward one target, backed by verbatim quotes."""

    actor: str = Field(
        description="The `name` of an actor listed in `actors`, exactly as written there."
    )
    target: str = Field(
        description="What the stance is about: a person, policy, event or claim, in a few words.",
    )
    position: Position = Field(
        description="support: backs it; oppose: rejects, accuses or condemns; concern: warns "
        "of risks; deny: denies an accusation or claim; claim: asserts a fact without "
        "judging it; neutral: declines to confirm or take sides."
    )
    evidence: list[str] = Field(
        min_length=1,
        max_length=MAX_EVIDENCE,
        description="1-4 passages copied character-for-character from the article that show "
        "this stance. Copy, do not paraphrase, translate or shorten words inside a passage.",
    )
    _spans: list[EvidenceSpan] = PrivateAttr(default_factory=list)
    _groundings: list[Grounding] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _model_quotes(cls, data: Any, info: ValidationInfo) -> Any:
        """A stance read back with its spans (a cache hit, a saved result), validated with
        an explicit ``context``, is grounded again from the model's own quotes, so quotes
        and match kinds survive the trip. (Never a model's answer: the LLM engine grounds
        through :func:`grounded_in`, and the model only writes ``evidence``.)"""
        ctx = info.context
        if not (isinstance(ctx, dict) and isinstance(ctx.get("article"), str)):
            return data
        if not isinstance(data, dict):
            return data
        spans, evidence = data.get("evidence_spans"), data.get("evidence")
        if not (isinstance(spans, list) and isinstance(evidence, list) and spans):
            return data
        quotes = [s.get("quote") if isinstance(s, dict) else None for s in spans]
        if len(quotes) != len(evidence) or not all(isinstance(q, str) for q in quotes):
            return data
        for stored in evidence:  # the stored evidence is the article's text: still there?
            if not isinstance(stored, str) or find_span(ctx["article"], stored) is None:
                raise ValueError(_not_in_article(ctx["article"], str(stored), data.get("actor")))
        return {**data, "evidence": quotes}

    @field_validator("target")
    @classmethod
    def _target(cls, v: str) -> str:
        return _bounded(v, "stance target", 2, 200)

    @field_validator("evidence")
    @classmethod
    def _nonempty_quotes(cls, v: list[str]) -> list[str]:
        quotes = [q.strip() for q in v]
        for quote in quotes:
            if not has_min_words(quote):
                raise ValueError(
                    f"evidence quote {quote!r} is too short: copy a passage of at least "
                    f"{MIN_QUOTE_WORDS} words from the article"
                )
        return quotes

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> Stance:
        article = _article(info)
        if article is None:
            return self
        found: list[Grounding] = []
        for quote in self.evidence:
            grounding = ground_quote(article, quote)
            if grounding is None:
                raise ValueError(_not_in_article(article, quote, self.actor))
            found.append(grounding)
        self._groundings = found
        self._place(article, [self.actor])
        return self

    def _place(self, article: str, names: list[str]) -> None:
        """Spans (a repeated passage: the occurrence nearest a mention of ``names``) and
        evidence as the article's own text."""
        mentions: list[tuple[int, int]] = []
        if any(len(g.placements) > 1 for g in self._groundings):
            mentions = find_mentions(article, names)
        spans = []
        for g in self._groundings:
            start, end = g.nearest(mentions)
            spans.append(EvidenceSpan(quote=g.quote, start=start, end=end, match=g.match))
        self._spans = spans
        self.evidence = [article[span.start : span.end] for span in spans]

    @computed_field(  # type: ignore[prop-decorator]
        description="Offsets of each evidence quote in the article, added by the library."
    )
    @property
    def evidence_spans(self) -> list[EvidenceSpan]:
        return list(self._spans)


class OpenQuestion(_Model):
    """Something the article leaves unresolved."""

    question: str = Field(description="The unresolved matter, phrased as a question.")
    why_open: str = Field(
        description="Why the article leaves it open: a denial against a claim, an unconfirmed "
        "report, a pending decision...",
    )
    related_actors: list[str] = Field(
        default_factory=list,
        max_length=6,
        description="`name`s of listed actors involved in the question.",
    )

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        return _bounded(v, "open question", 5, 300)

    @field_validator("why_open")
    @classmethod
    def _why(cls, v: str) -> str:
        return _bounded(v, "why_open", 0, 400)


class ArticleSummary(_Model):
    """A neutral, grounded structured summary of one news article."""

    model_config = ConfigDict(title="ArticleSummary", json_schema_extra=drop_property_titles)

    tldr: str = Field(
        description="The article's main news in ONE sentence (at most 350 characters).",
    )
    summary: str = Field(
        description="A short neutral paragraph (2-5 sentences) covering who did what, when and "
        "why it matters. No opinions of your own.",
    )
    key_points: list[str] = Field(
        min_length=3,
        max_length=7,
        description="3-7 short factual statements, most important first.",
    )
    actors: list[Actor] = Field(
        default_factory=list,
        max_length=MAX_ACTORS,
        description="Every person, organization, country or group that acts or speaks. News "
        "outlets merely cited as sources ('Politico reported') are not actors. One entry per "
        "actor: put other names for it in `aliases`.",
    )
    stances: list[Stance] = Field(
        default_factory=list,
        max_length=MAX_STANCES,
        description="Positions that listed actors take, each with verbatim evidence. Empty if "
        "nobody takes a position.",
    )
    open_questions: list[OpenQuestion] = Field(
        default_factory=list,
        max_length=MAX_QUESTIONS,
        description="Questions the article raises but does not answer.",
    )

    @model_validator(mode="before")
    @classmethod
    def _mend(cls, data: Any) -> Any:
        """Inside :func:`repairing`: a tldr of several sentences keeps the first, and the
        rest opens the summary (a format slip, mended without a re-ask and noted)."""
        repairs = _REPAIRS.get()
        if repairs is None or not repairs.mend or not isinstance(data, dict):
            return data
        tldr, summary = data.get("tldr"), data.get("summary")
        if not (isinstance(tldr, str) and isinstance(summary, str)):
            return data
        first = first_sentence(tldr.strip())
        rest = tldr.strip()[len(first) :].strip()
        if not rest:
            return data
        repairs.mended.append(
            "tldr had more than one sentence: kept the first, moved the rest to the start "
            "of summary"
        )
        return {**data, "tldr": first, "summary": f"{rest} {summary.strip()}".strip()}

    @field_validator("actors", "stances", "open_questions", mode="wrap")
    @classmethod
    def _salvage_items(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        """On the last allowed answer (see :class:`Repairs`), items that fail are dropped."""
        repairs = _salvaging()
        if repairs is None or not isinstance(value, list) or info.field_name is None:
            return handler(value)
        return _drop_failing(info.field_name, value, handler, repairs)

    @field_validator("tldr")
    @classmethod
    def _one_sentence(cls, v: str) -> str:
        v = _bounded(v, "tldr", 10, 350)
        if not is_one_sentence(v):
            raise ValueError("tldr must be exactly one sentence; move the rest into `summary`")
        return v

    @field_validator("summary")
    @classmethod
    def _summary(cls, v: str) -> str:
        return _bounded(v, "summary", 20, 1500)

    @field_validator("key_points")
    @classmethod
    def _points(cls, v: list[str]) -> list[str]:
        points = [p.strip() for p in v]
        if any(not p for p in points):
            raise ValueError("key_points must not contain empty strings")
        if any(len(p) > 400 for p in points):
            raise ValueError("each key point must be one short statement (under 400 characters)")
        return points

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> ArticleSummary:
        salvage = _salvaging()
        lookup = self._actor_names(salvage)
        names = [a.name for a in self.actors]
        labels = {a.name: [a.name, *a.aliases] for a in self.actors}
        article = _article(info)
        stances: list[Stance] = []
        for stance in self.stances:
            canonical = lookup.get(stance.actor.strip().casefold())
            if canonical is None:
                problem = (
                    f"stance actor {stance.actor!r} is not a listed actor. Use exactly one of "
                    f"{names} or add the actor to `actors` first."
                )
                if salvage is None:
                    raise ValueError(problem)
                salvage.drop(describe_item("stances", stance), problem)
                continue
            stance.actor = canonical
            if article is not None:  # nearest any of the actor's names, aliases too
                stance._place(article, labels[canonical])
            stances.append(stance)
        self.stances = stances
        for question in self.open_questions:
            fixed: list[str] = []
            for name in question.related_actors:
                canonical = lookup.get(name.strip().casefold())
                if canonical is None:
                    problem = (
                        f"open question related actor {name!r} is not a listed actor. Use "
                        f"exactly one of {names}, or leave it out."
                    )
                    if salvage is None:
                        raise ValueError(problem)
                    salvage.drop(f"related actor {name!r} of {question.question!r}", problem)
                    continue
                if canonical not in fixed:
                    fixed.append(canonical)
            question.related_actors = fixed
        return self

    def _actor_names(self, salvage: Repairs | None) -> dict[str, str]:
        """Every actor's name and aliases (case-folded) -> its name. One actor listed
        twice, or two sharing a name, is an error (when salvaging: the later one is dropped)."""
        lookup: dict[str, str] = {}
        kept: list[Actor] = []
        for actor in self.actors:
            problem = self._clash(actor, lookup)
            if problem is not None:
                if salvage is None:
                    raise ValueError(problem)
                salvage.drop(describe_item("actors", actor), problem)
                continue
            kept.append(actor)
            for label in dict.fromkeys([actor.name, *actor.aliases]):
                lookup[label.casefold()] = actor.name
        self.actors = kept
        return lookup

    @staticmethod
    def _clash(actor: Actor, lookup: dict[str, str]) -> str | None:
        if lookup.get(actor.name.casefold()) == actor.name:
            return f"actor {actor.name!r} is listed twice: keep one entry per actor"
        for label in dict.fromkeys([actor.name, *actor.aliases]):
            other = lookup.get(label.casefold())
            if other is not None and other != actor.name:
                return (
                    f"actors {other!r} and {actor.name!r} share the name {label!r}: merge "
                    "them into one actor and list the other names as aliases"
                )
        return None


def schema_dict() -> dict[str, Any]:
    """The JSON Schema of the output (what ``summarizer schema`` prints and ``schemas/`` holds)."""
    return ArticleSummary.model_json_schema(mode="serialization")


def schema_json() -> str:
    return json.dumps(schema_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@lru_cache(maxsize=1)
def schema_hash() -> str:
    """Short hash of the schema the model sees (fields, types, descriptions, limits)."""
    model_view = json.dumps(ArticleSummary.model_json_schema(), sort_keys=True)
    return hashlib.sha256(model_view.encode()).hexdigest()[:16]
