"""Grounding across Unicode normalization forms: NFD articles, NFC quotes, and back.

Text pasted from macOS, PDFs or some CMSs arrives in NFD (``ü`` as ``u`` + U+0308), while
models answer in NFC, or the other way round. Both must match, the reported offsets must
slice the original article, and an accent must still count as part of the wording.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from summarizer.grounding import contains_name, find_span, normalize
from summarizer.schema import ArticleSummary

ARTICLE = (
    "In Kýiv, Jürgen Müller met Jean-Noël Barrot. “Ça suffit,” said Müller, "
    "adding that the café in Málaga stayed shut. 한국 정부는 밝혔다."
)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("article_form", "quote_form"), [(_nfd, _nfc), (_nfc, _nfd), (_nfd, _nfd), (_nfc, _nfc)]
)
@pytest.mark.parametrize(
    "quote",
    [
        "Jürgen Müller met Jean-Noël Barrot",
        '"Ça suffit," said Müller',
        "the café in Málaga",
        "In Kýiv",
        "Málaga",
        "정부는 밝혔다",
    ],
)
def test_quotes_match_across_normalization_forms(
    article_form: Any, quote_form: Any, quote: str
) -> None:
    article = article_form(ARTICLE)
    span = find_span(article, quote_form(quote))
    assert span is not None
    start, end = span
    found = article[start:end]
    # The offsets slice the original article: whole characters, marks included.
    assert normalize(found).text == normalize(quote).text
    assert _nfc(found).endswith(_nfc(quote)[-3:])
    assert not unicodedata.combining(article[end : end + 1] or "x")
    assert not unicodedata.combining(article[start])


def test_offsets_after_decomposed_letters_point_into_the_original() -> None:
    article = _nfd(ARTICLE)
    assert len(article) > len(ARTICLE)  # decomposed: offsets differ between the forms
    start, end = find_span(article, "stayed shut") or (0, 0)
    assert article[start:end] == "stayed shut"
    start, end = find_span(article, "Müller,") or (0, 0)
    assert article[start:end] == _nfd("Müller,")
    assert (start, end) == (article.index(_nfd("Müller,")), article.index(_nfd("Müller,")) + 8)


@pytest.mark.parametrize(
    ("article", "quote"),
    [
        (_nfd(ARTICLE), "the cafe in"),  # an accent is part of the wording
        (_nfd(ARTICLE), "In Kyiv"),
        (_nfd(ARTICLE), "Jurgen"),
        (_nfd(ARTICLE), "Ju"),  # NFD "Ju" + U+0308: a match may not end inside a letter
        (ARTICLE, _nfd("Mu")),
        (ARTICLE, "\u0308ller"),  # nor start inside one
        (_nfd("분석 결과"), "부"),  # 부 is not the first part of 분 (ᄇ ᅮ ᆫ)
        ("\u1112\u1161\u11ab \ub9d0", "\ud558"),  # 하 is not the first part of 한 (jamo)
    ],
)
def test_accents_and_syllables_still_count(article: str, quote: str) -> None:
    assert find_span(article, quote) is None
    assert not contains_name(article, quote)


def test_decomposed_hangul_jamo_match_syllables() -> None:
    article = "\u1112\u1161\u11ab\u1100\u116e\u11a8 \uc815\ubd80"  # 한국 as conjoining jamo
    start, end = find_span(article, "한국 정부") or (0, 0)
    assert (start, end) == (0, len(article))
    assert find_span("한국 정부", article) == (0, 5)


@pytest.mark.parametrize("form", [_nfc, _nfd])
def test_names_match_across_normalization_forms(form: Any) -> None:
    article = form(ARTICLE)
    other = _nfd if form is _nfc else _nfc
    for name in ("Jürgen Müller", "jean-noël barrot", "Kýiv", "MÁLAGA"):
        assert contains_name(article, other(name)), name
    assert not contains_name(article, "Jurgen Muller")
    assert not contains_name(article, "Kyiv")


def test_normalized_text_is_the_same_for_both_forms() -> None:
    assert normalize(_nfd(ARTICLE)).text == normalize(_nfc(ARTICLE)).text


def test_schema_grounds_nfc_answer_in_nfd_article(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    article = _nfd(seed_text)
    assert article != seed_text  # "Jean-Noël" decomposes
    data = json.loads(json.dumps(good_answer))
    barrot = next(a for a in data["actors"] if a["name"] == "Jean-Noël Barrot")
    barrot["aliases"] = []  # the full name alone must be found
    quote = "France's Foreign Minister Jean-Noël Barrot echoed this concern"
    data["stances"][-1]["evidence"] = [quote]
    summary = ArticleSummary.model_validate(data, context={"article": article})
    span = summary.stances[-1].evidence_spans[0]
    assert article[span.start : span.end] == _nfd(quote)
    for stance in summary.stances:
        for ev in stance.evidence_spans:
            assert _nfc(article[ev.start : ev.end]).replace("’", "'") == _nfc(ev.quote).replace(
                "’", "'"
            )
