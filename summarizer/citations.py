"""``--evidence sentences``: the model cites the article's numbered sentences, the library
copies them.

The prompt gives the article one sentence a line, ``[S1] ...`` (numbered by
:func:`numbered_sentences`, the project's one sentence splitter). The model fills
:class:`CitedSummary`, whose stances cite ``{"sentence": "S4"}`` (optionally with a
``quote`` inside that sentence) instead of copying passages. Validating it turns each
citation into the sentence's verbatim text (or the sub-quote, when it is inside that
sentence) and validates the :class:`~summarizer.schema.ArticleSummary` that makes, so the
result, its evidence offsets and its JSON Schema are exactly those of quote mode. An id
that does not exist fails validation (a re-ask whose message says which ids exist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    create_model,
    model_validator,
)

from summarizer.grounding import ground_quote, has_min_words
from summarizer.schema import (
    MAX_EVIDENCE,
    MAX_STANCES,
    ArticleSummary,
    Stance,
    article_of,
    current_repairs,
    describe_item,
    drop_property_titles,
)
from summarizer.sentences import split_sentences

#: "S4", "s4", "[S4]", "4", 4: the forms of a sentence id that are read as S4.
_SENTENCE_ID = re.compile(r"\[?\s*S?\s*(\d{1,7})\s*\]?", re.IGNORECASE)


@dataclass(frozen=True)
class NumberedSentence:
    """One sentence of the article as the prompt numbers it (``id`` is ``"S1"``...)."""

    id: str
    text: str
    start: int
    end: int
    paragraph: bool  # the first sentence of a line (paragraph) of the article


@lru_cache(maxsize=8)
def numbered_sentences(article: str) -> tuple[NumberedSentence, ...]:
    """The article's sentences, numbered from S1, with their offsets."""
    out: list[NumberedSentence] = []
    previous_end = 0
    for sentence in split_sentences(article):
        paragraph = not out or "\n" in article[previous_end : sentence.start]
        out.append(
            NumberedSentence(
                f"S{len(out) + 1}", sentence.text, sentence.start, sentence.end, paragraph
            )
        )
        previous_end = sentence.end
    return tuple(out)


def sentence_number(ref: Any) -> int | None:
    """The number of a sentence id as a model may write it, or None."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref
    if isinstance(ref, str):
        m = _SENTENCE_ID.fullmatch(ref.strip())
        if m is not None:
            return int(m.group(1))
    return None


class Citation(BaseModel):
    """One sentence of the article that shows a stance."""

    model_config = ConfigDict(json_schema_extra=drop_property_titles)

    sentence: str = Field(
        description="The id of one article sentence that shows the stance, as numbered in "
        "the article, e.g. 'S4'."
    )
    quote: str | None = Field(
        default=None,
        description="Optional: the words inside that sentence that show it, copied exactly. "
        "Leave it out to cite the whole sentence.",
    )


def _fields(model: type[BaseModel], **replaced: Any) -> dict[str, Any]:
    """``model``'s fields (types and descriptions), some replaced: one source of truth."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in model.model_fields.items()
    }
    return {**fields, **replaced}


CitedStance = create_model(
    "CitedStance",
    __config__=ConfigDict(json_schema_extra=drop_property_titles),
    __doc__="One actor's position toward one target, backed by cited sentences.",
    **_fields(
        Stance,
        evidence=(
            list[Citation],
            Field(
                min_length=1,
                max_length=MAX_EVIDENCE,
                description=f"1-{MAX_EVIDENCE} sentences of the article that show this "
                "stance, cited by id.",
            ),
        ),
    ),
)


class _CitedSummaryBase(BaseModel):
    """A neutral, grounded structured summary of one news article, citing its sentences."""

    model_config = ConfigDict(title="CitedSummary", json_schema_extra=drop_property_titles)
    _summary: ArticleSummary | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _as_article_summary(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        article = article_of(info)
        if article is None or not isinstance(data, dict):
            return handler(data)
        summary = ArticleSummary.model_validate(
            quote_sentences(data, article), context=info.context
        )
        made = cls.model_construct(**data)
        made._summary = summary
        return made

    def article_summary(self) -> ArticleSummary:
        """The :class:`ArticleSummary` this answer makes, evidence copied from the article."""
        if self._summary is None:
            raise ValueError("a CitedSummary validated without an article has no ArticleSummary")
        return self._summary


CitedSummary = create_model(
    "CitedSummary",
    __base__=_CitedSummaryBase,
    __doc__=ArticleSummary.__doc__,
    **_fields(
        ArticleSummary,
        stances=(
            list[CitedStance],
            Field(
                default_factory=list,
                max_length=MAX_STANCES,
                description=ArticleSummary.model_fields["stances"].description,
            ),
        ),
    ),
)


def quote_sentences(data: dict[str, Any], article: str) -> dict[str, Any]:
    """``data`` (a :class:`CitedSummary` answer) as an ArticleSummary answer: each cited
    sentence replaced by its text, or by the sub-quote when it is inside that sentence (exactly,
    elided or aligned, as :func:`summarizer.grounding.ground_quote` matches quotes)."""
    stances = data.get("stances")
    if not isinstance(stances, list):
        return data
    sentences = numbered_sentences(article)
    quoted: list[Any] = []
    for stance in stances:
        evidence = stance.get("evidence") if isinstance(stance, dict) else None
        if not isinstance(evidence, list):
            quoted.append(stance)  # the summary's own validation says what is wrong
            continue
        try:
            texts = [_cited_text(c, sentences, stance.get("actor")) for c in evidence]
        except ValueError as exc:
            repairs = current_repairs()
            if repairs is None or not repairs.salvage:
                raise
            repairs.drop(describe_item("stances", stance), str(exc))
            continue
        quoted.append({**stance, "evidence": texts})
    return {**data, "stances": quoted}


def _cited_text(citation: Any, sentences: tuple[NumberedSentence, ...], actor: Any) -> str:
    ref, sub = (
        (citation.get("sentence"), citation.get("quote"))
        if isinstance(citation, dict)
        else (citation, None)
    )
    number = sentence_number(ref)
    if number is None or not 1 <= number <= len(sentences):
        last = f"S{len(sentences)}" if sentences else "none"
        raise ValueError(
            f"evidence sentence id {ref!r} for actor {actor!r} does not exist: the article's "
            f"sentences are S1 to {last}. Cite one of those ids."
        )
    sentence = sentences[number - 1]
    if isinstance(sub, str) and sub.strip():
        if has_min_words(sub) and ground_quote(sentence.text, sub) is not None:
            return sub  # grounded again in the whole article, as in quote mode
        repairs = current_repairs()
        if repairs is None or not repairs.mend:
            raise ValueError(
                f"the quote {sub!r} for actor {actor!r} is not in sentence {sentence.id}. Copy "
                "words from that sentence exactly, or cite the sentence without a quote."
            )
        repairs.mended.append(
            f"the quote {sub!r} cited with {sentence.id} is not in that sentence: the whole "
            "sentence is the evidence"
        )
    return sentence.text
