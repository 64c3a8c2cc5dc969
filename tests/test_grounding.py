"""Grounding across Unicode normalization forms: NFD articles, NFC quotes, and back.

Text pasted from macOS, PDFs or some CMSs arrives in NFD (``ü`` as ``u`` + U+0308), while
models answer in NFC, or the other way round. Both must match, the reported offsets must
slice the original article, and an accent must still count as part of the wording.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import pytest

from summarizer import grounding
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


def test_plain_characters_need_no_per_character_work() -> None:
    """Every character copied in runs really is final: NFC on its own, not whitespace,
    not a combining mark, not folded. (The whole code space is checked.)"""
    plain = re.compile(f"[{grounding._PLAIN_CHARS}]")
    for code in range(0x110000):
        ch = chr(code)
        if plain.match(ch):
            assert unicodedata.normalize("NFC", ch) == ch, hex(code)
            assert not ch.isspace() and not grounding._non_starter(ch), hex(code)
            assert ch not in grounding._CHAR_MAP and ch != "\u2026", hex(code)
        assert bool(re.match(r"\s", ch)) == ch.isspace(), hex(code)  # _SEGMENT's \s


@pytest.mark.parametrize(
    "word", ["Zelenskyy", "Müller", "Ελλάδα", "Киев", "정부는", "北朝鮮", "ロシア"]
)
def test_running_text_is_copied_in_runs(word: str) -> None:
    """Long articles stay fast: plain letters never take the one-character-at-a-time path
    (counted through its cache, not timed); marks and folded typography do."""
    text = " ".join([word] * 2000) + " \u201cquoted\u201d \u2014 caf\u0065\u0301"
    grounding._fold.cache_clear()
    norm = normalize(text)
    info = grounding._fold.cache_info()
    assert info.hits + info.misses == 4  # the two quote marks, the dash and "e" + U+0301
    assert norm.text.endswith('"quoted" - caf\u00e9')
    assert normalize(text, fold_case=True).text == norm.text.casefold()


def test_a_long_run_of_marks_is_cut_into_bounded_characters() -> None:
    text = "a" + "\u0301\u0316" * 5000 + " end"
    norm = normalize(text)
    assert norm.text.endswith(" end") and find_span(text, "end") == (len(text) - 3, len(text))
    assert max(end - norm.index[pos] for pos, end in norm.ends.items()) <= 31


def test_the_case_folded_form_reuses_the_plain_one() -> None:
    """Names are matched case-folded; that costs no second pass over the article unless
    folding moves characters ("ß" -> "ss"), and both ways give the same result."""
    article = "Jürgen MÜLLER of the Ελλάδα desk said \u201cfine\u201d \u2014 caf\u0065\u0301."
    grounding.normalized.cache_clear()
    folded = grounding.normalized(article, fold_case=True)
    assert folded.index is grounding.normalized(article).index  # shared, not rebuilt
    assert folded == normalize(article, fold_case=True)
    sharp = "Die Straße in Köln"
    assert grounding.normalized(sharp, fold_case=True) == normalize(sharp, fold_case=True)
    assert contains_name(sharp, "STRASSE") and contains_name(article, "jürgen müller")
