"""Long articles: chunking, per-chunk extraction over HTTP, alias-aware merge, grounding."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import sys
from typing import Any

import pytest

from summarizer import sentences
from summarizer.api import Summarizer
from summarizer.config import resolve_settings
from summarizer.engines.llm import chunked as chunking
from summarizer.engines.llm.chunked import split_chunks
from summarizer.engines.llm.merge import merge_actors, merge_questions
from summarizer.errors import ContextLengthError, ProviderError
from summarizer.grounding import contains_name, find_span, normalize
from summarizer.schema import ArticleSummary
from summarizer.testing import FunctionModel, ModelRequest
from summarizer.testing.fake_openai import FakeOpenAI, Reply, error_body
from summarizer.tokens import count_tokens, estimate_tokens
from tests.routing import answer, article_of, context_error, route, tool_of

NEW_ACTORS: list[dict[str, Any]] = [
    {"name": "Marta Kowalczyk", "type": "person", "role": "Polish defence minister",
     "aliases": ["Kowalczyk"]},
    {"name": "European Commission", "type": "organization", "role": "EU executive",
     "aliases": ["Commission"]},
    {"name": "Lars Eriksen", "type": "person", "role": "Danish envoy", "aliases": ["Eriksen"]},
]  # fmt: skip
SPEAKERS = ["Marta Kowalczyk", "European Commission", "Sybiha", "Lars Eriksen", "Kowalczyk"]
FILLER_SUBJECTS = ["The committee", "Officials", "The ministry", "Analysts", "Local councils",
                   "Diplomats", "The regional office", "Observers"]  # fmt: skip
FILLER_VERBS = ["reviewed", "discussed", "published", "examined", "questioned", "summarized"]
FILLER_OBJECTS = ["the budget figures", "the supply schedule", "the border reports",
                  "the weekly briefing", "the training plans", "the shipping data",
                  "the winter forecasts", "the parliamentary notes"]  # fmt: skip


def _quote(i: int) -> str:
    return f"We will keep section {i} of the support plan under review until the spring"


def _section(i: int, rng: random.Random) -> str:
    speaker = SPEAKERS[i % len(SPEAKERS)]
    sentences = [
        f"{rng.choice(FILLER_SUBJECTS)} {rng.choice(FILLER_VERBS)} {rng.choice(FILLER_OBJECTS)} "
        f"on day {rng.randint(1, 28)} of month {i + 1} in district {rng.randint(1, 90)}."
        for _ in range(30)
    ]
    sentences.insert(12, f'{speaker} said on Monday: "{_quote(i)}."')
    half = len(sentences) // 2
    return " ".join(sentences[:half]) + "\n\n" + " ".join(sentences[half:])


def long_article(seed_text: str, sections: int = 14) -> str:
    rng = random.Random(7)
    return seed_text.strip() + "\n\n" + "\n\n".join(_section(i, rng) for i in range(sections))


def _catalog(good: dict[str, Any], sections: int) -> tuple[list[dict[str, Any]], list[Any]]:
    actors = [*good["actors"], *NEW_ACTORS]
    stances = [(s["actor"], s) for s in good["stances"]]
    for i in range(sections):
        speaker = SPEAKERS[i % len(SPEAKERS)]
        full = next(a["name"] for a in actors if speaker in [a["name"], *a["aliases"]])
        stance = {"target": f"support plan section {i}", "position": "claim",
                  "evidence": [_quote(i)]}  # fmt: skip
        stances.append((full, stance))
    return actors, stances


def chunk_answer(chunk: str, good: dict[str, Any], sections: int) -> dict[str, Any]:
    """What a faithful model returns for one chunk: only what the chunk contains."""
    actors, stances = _catalog(good, sections)
    names: dict[str, str] = {}  # full name -> name used in this chunk
    out_actors = []
    for a in actors:  # whole names only: "Russia" is not named by "Russian"
        present = [n for n in [a["name"], *a["aliases"]] if contains_name(chunk, n)]
        if present:
            names[a["name"]] = present[0]
            out_actors.append({**a, "name": present[0], "aliases": present[1:]})
    out_stances = [
        {**s, "actor": names[full]}
        for full, s in stances
        if full in names and all(find_span(chunk, q) for q in s["evidence"])
    ]
    questions = []
    if "North Korea" in names:
        wording = "Are North Korean troops actively fighting in Ukraine?"
        if "Russia" not in names:
            wording = "Are North Korean troops fighting in Ukraine?"
        questions.append({"question": wording, "why_open": "Reports conflict.",
                          "related_actors": [names["North Korea"]]})  # fmt: skip
    return {
        "tldr": "Officials discussed the war and a support plan.",
        "summary": "Officials and ministers discussed the war, troops and the support plan.",
        "key_points": ["Ministers spoke.", "A plan was reviewed.", "Troops were discussed."],
        "actors": out_actors,
        "stances": out_stances,
        "open_questions": questions,
    }


OVERVIEW = {
    "tldr": "Ukraine's allies warn about North Korean troops while reviewing a support plan.",
    "summary": "Ministers warned about North Korean troops in Russia and reviewed a support plan "
    "section by section over several months.",
    "key_points": ["North Korean troops reported in Russia.", "Allies reviewed the plan.",
                   "Kowalczyk and Eriksen spoke repeatedly."],
}  # fmt: skip


def serve(fake: FakeOpenAI, good: dict[str, Any], sections: int, too_long: int = 0) -> None:
    def handler(body: dict[str, Any]) -> Reply:
        if tool_of(body) == "Overview":
            return answer(OVERVIEW, name="Overview")
        chunk = article_of(body)
        if too_long and estimate_tokens(chunk) > too_long:
            return context_error()
        return answer(chunk_answer(chunk, good, sections), delay=0.02)

    route(fake, handler)


def check_grounded(result: Any, article: str) -> None:
    summary: ArticleSummary = result.summary
    for stance in summary.stances:
        assert len(stance.evidence_spans) == len(stance.evidence)
        for span, evidence in zip(stance.evidence_spans, stance.evidence, strict=True):
            # the evidence is the article's own text; the model's string is span.quote
            assert normalize(article[span.start : span.end]).text == normalize(evidence).text


def test_split_chunks_are_slices_under_budget_with_overlap(seed_text: str) -> None:
    article = long_article(seed_text)
    assert len(article.split()) >= 6000
    chunks = split_chunks(article, 3000, 200)
    assert 3 <= len(chunks) <= 5
    for prev, cur in itertools.pairwise(chunks):
        assert cur.start < prev.end, "consecutive chunks overlap"
        assert cur.start > prev.start
    for c in chunks:
        assert article[c.start : c.end] == c.text
        assert estimate_tokens(c.text) <= 3000
    assert chunks[0].start == 0 and chunks[-1].end == len(article.rstrip())
    # cuts land on paragraph ends where possible
    assert all(article[c.end : c.end + 2] == "\n\n" for c in chunks[:-1])


def test_split_handles_a_paragraph_without_breaks() -> None:
    text = ("word " * 5000).strip()
    chunks = split_chunks(text, 500, 50)
    assert all(estimate_tokens(c.text) <= 500 for c in chunks)
    assert chunks[-1].end == len(text)


def _reference_units(article: str, budget: int) -> list[tuple[int, int, bool]]:
    """The original (quadratic) sentence splitter: the behaviour the fast one must keep."""
    units: list[tuple[int, int, bool]] = []
    for line in re.finditer(r"[^\n]*\S[^\n]*", article):
        a = line.start() + len(line.group()) - len(line.group().lstrip())
        b = line.end() - (len(line.group()) - len(line.group().rstrip()))
        cuts = [a]
        for m in sentences.SENTENCE_BREAK.finditer(article, a, b):
            if not sentences.ABBREVIATION.search(article[a : m.start() + 1]):
                cuts.append(m.end())
        cuts.append(b)
        first = True
        for s, e in itertools.pairwise(cuts):
            e = len(article[:e].rstrip()) if e > s else e
            if e <= s:
                continue
            spans = (
                [(s, e)]
                if estimate_tokens(article[s:e]) <= budget
                else chunking._hard_split(article, s, e, budget)
            )
            for ps, pe in spans:
                units.append((ps, pe, first))
                first = False
    return units


def _tricky_texts(seed_text: str) -> list[str]:
    rng = random.Random(11)
    words = ["Mr.", "Dr.", "U.S.", "E.U.", "No.", "etc.", "vs.", "Inc.", "said.", "it!",
             "why?", "Smith", "Kyiv", "(ok.)", '"yes."', "\u201cquote.\u201d", "Prof.",
             "Corp.", "X."]  # fmt: skip
    random_text = "".join(
        rng.choice(words) + rng.choice([" ", "  ", "\n", "\n\n", " \t ", "\u00a0 "])
        for _ in range(3000)
    )
    return [
        seed_text,
        long_article(seed_text, 3),
        random_text,
        random_text.replace("\n", " "),
        "Mr. Smith met Dr. Jones. They spoke. " * 400,
        ("x" * 60 + " Dr. Who arrived. ") * 200,  # an abbreviation just inside a long run
        "".join("z" * k + "Prof. Ann left. Dr. Bo came. " for k in range(40)),  # mid-word
        "   \n  Lead.  \n\n" + "A sentence here. " * 50 + "   ",
        ("word " * 3000).strip(),
        "Lead.\n" + " \t " * 2000 + "\n\n  Body text. More.\u3000\n \u00a0\n",
    ]


@pytest.mark.parametrize("budget", [40, 500, 3000])
def test_sentence_units_match_the_reference_splitter(seed_text: str, budget: int) -> None:
    for text in _tricky_texts(seed_text):
        assert chunking._units(text, budget) == _reference_units(text, budget)


class _CountingStr(str):
    """A str that adds up how many characters are copied out of it by slicing."""

    copied = 0

    def __getitem__(self, key: Any) -> str:
        piece = str.__getitem__(self, key)
        _CountingStr.copied += len(piece)
        return piece


class _WindowedAbbrev:
    """Wraps ``_ABBREV`` to record how much text each abbreviation check looks at."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.windows: list[int] = []

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self.windows.append(min(endpos, len(string)) - pos)
        return self.pattern.search(string, pos, endpos)


def test_a_long_line_is_split_without_rescanning_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Splitting was quadratic in the length of a line: every sentence-break candidate
    # sliced (and regex-searched) the line from its start. Count the work, not the time.
    sentence = "The committee reviewed the budget figures on day 3. Mr. Lee agreed. "
    article = _CountingStr(sentence * 1500)  # ~100 KB, one line
    abbrev = _WindowedAbbrev(sentences.ABBREVIATION)
    monkeypatch.setattr(sentences, "ABBREVIATION", abbrev)
    _CountingStr.copied = 0
    chunks = split_chunks(article, 3000, 200)
    assert len(abbrev.windows) >= 3000 and max(abbrev.windows) <= 64
    assert _CountingStr.copied <= 10 * len(article)
    assert [(c.start, c.end) for c in chunks] == [
        (c.start, c.end) for c in split_chunks(str(article), 3000, 200)
    ]


def test_a_megabytes_long_line_is_split() -> None:
    article = "Officials said the plan would be reviewed in the spring. " * 40_000  # 2.3 MB
    chunks = split_chunks(article, 3000, 200)
    assert chunks[0].start == 0 and chunks[-1].end == len(article.rstrip())
    assert all(estimate_tokens(c.text) <= 3000 for c in chunks)
    assert all(cur.start < prev.end for prev, cur in itertools.pairwise(chunks))


def test_long_article_is_chunked_merged_and_grounded(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    article = long_article(seed_text)
    serve(llm_env, good_answer, 14)
    s = Summarizer(chunk_tokens=3000, chunk_overlap=200, cache=False)
    result = s.summarize(article)
    summary = result.summary
    assert result.meta.chunks >= 3
    extraction = [r for r in llm_env.requests if tool_of(r.body) == "ArticleSummary"]
    assert len(extraction) == result.meta.chunks
    assert result.meta.requests == result.meta.chunks + 1  # plus the overview call
    for r in extraction:
        assert article_of(r.body) in article and estimate_tokens(article_of(r.body)) <= 3000
    overview = [r for r in llm_env.requests if tool_of(r.body) == "Overview"]
    assert len(overview) == 1 and "Part 1 of" in overview[0].body["messages"][-1]["content"]
    assert summary.tldr == OVERVIEW["tldr"]
    # actors: one entry each, aliases merged across chunks, 'Sybiha' folded into the full name
    names = [a.name for a in summary.actors]
    assert len(names) == len(set(names))
    assert "Sybiha" not in names and "Andrii Sybiha" in names
    assert "Kowalczyk" not in names and "Marta Kowalczyk" in names
    # stances: every section's quote once, none duplicated by the chunk overlap
    quotes = [q for st in summary.stances for q in st.evidence]
    assert len(quotes) == len(set(quotes))
    for i in range(14):
        assert _quote(i) in quotes
    kowalczyk = [st for st in summary.stances if st.actor == "Marta Kowalczyk"]
    assert len(kowalczyk) >= 3
    # open questions deduplicated across wordings
    assert len(summary.open_questions) == 1
    # evidence offsets are in the WHOLE article (late sections sit far past the seed)
    check_grounded(result, article)
    last = next(st for st in summary.stances if _quote(13) in st.evidence)
    assert last.evidence_spans[0].start > len(seed_text)


def test_async_long_article_matches_sync(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    article = long_article(seed_text)
    serve(llm_env, good_answer, 14)
    s = Summarizer(chunk_tokens=3000, chunk_overlap=200, cache=False)
    sync = s.summarize(article)
    result = asyncio.run(s.asummarize(article))
    assert result.meta.chunks == sync.meta.chunks
    assert result.summary.model_dump() == sync.summary.model_dump()
    check_grounded(result, article)


def _model(good: dict[str, Any], sections: int, too_long: int = 0, overview: Any = None) -> Any:
    """In process: the chunk answers of :func:`serve`, without HTTP."""

    def answer_for(request: ModelRequest) -> dict[str, Any]:
        if request.response_model == "Overview":
            if overview is not None:
                raise overview
            return OVERVIEW
        if too_long and estimate_tokens(request.article) > too_long:
            raise ContextLengthError("the article does not fit the context window (test)")
        return chunk_answer(request.article, good, sections)

    return answer_for


def test_context_length_error_falls_back_to_chunks(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    article = long_article(seed_text, sections=6)
    assert estimate_tokens(article) < 6000  # under the default threshold: one call first
    model = FunctionModel(_model(good_answer, 6, too_long=1500))
    result = Summarizer(engine_impl=model, cache=False).summarize(article)
    assert model.requests[0].article == article.strip()
    assert result.meta.chunks >= 2
    extraction = [r for r in model.requests if r.response_model == "ArticleSummary"]
    answered = [r for r in extraction if estimate_tokens(r.article) <= 1500]
    assert len(answered) == result.meta.chunks < len(extraction)  # the rest were refused
    check_grounded(result, article)


def test_overview_failure_falls_back_with_a_warning(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    article = long_article(seed_text, sections=6)
    model = FunctionModel(
        _model(good_answer, 6, overview=ProviderError("overview refused")),
        resolve_settings(engine="llm", base_url="http://x.invalid/v1", chunk_tokens=1000,
                         chunk_overlap=100),
    )  # fmt: skip
    result = Summarizer(engine_impl=model, cache=False).summarize(article)
    assert result.meta.chunks >= 3
    assert any("without the model" in w for w in result.meta.warnings)
    assert 3 <= len(result.summary.key_points) <= 7
    check_grounded(result, article)


def test_overview_failure_over_http_falls_back_too(
    llm_env: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    article = long_article(seed_text, sections=6)

    def handler(body: dict[str, Any]) -> Reply:
        if tool_of(body) == "Overview":
            return Reply(400, error_body("overview refused"))
        return answer(chunk_answer(article_of(body), good_answer, 6))

    route(llm_env, handler)
    result = Summarizer(chunk_tokens=1000, chunk_overlap=100, cache=False).summarize(article)
    assert any("without the model" in w for w in result.meta.warnings)
    check_grounded(result, article)


def test_merge_actors_bridges_aliases() -> None:
    a = {"name": "Russia", "type": "country", "role": "r", "aliases": ["Moscow"]}
    b = {"name": "Kremlin", "type": "organization", "role": "k", "aliases": []}
    c = {"name": "Moscow", "type": "country", "role": "m", "aliases": ["Kremlin"]}
    actors, canonical = merge_actors([[a], [b], [c]])
    assert [x["name"] for x in actors] == ["Russia"]
    assert set(actors[0]["aliases"]) == {"Moscow", "Kremlin"}
    assert canonical["kremlin"] == "Russia"


def test_merge_questions_dedupes_wordings() -> None:
    q1 = {"question": "Will the port reopen next week?", "why_open": "x", "related_actors": ["A"]}
    q2 = {"question": "Will the port reopen next week at all?", "why_open": "y",
          "related_actors": ["B"]}  # fmt: skip
    merged = merge_questions([[q1], [q2]], {"a": "A", "b": "B"})
    assert len(merged) == 1 and merged[0]["related_actors"] == ["A", "B"]


def test_estimate_is_conservative_for_english(seed_text: str) -> None:
    exact = count_tokens(seed_text)
    assert exact <= estimate_tokens(seed_text) <= exact * 1.5
    assert estimate_tokens("") == 0
    assert estimate_tokens("日本語") == 3


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-3.5-turbo"])
def test_count_tokens_runs(model: str) -> None:
    assert count_tokens("hello world", model) >= 2


def test_match_kinds_survive_the_merge_of_a_long_article(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    """Chunk stances keep the model's own quote and its match kind in the whole result."""
    exact = "This is a huge threat of further escalation of Russian aggression against Ukraine"
    loose = "This is huge threat of further escalation of Russian aggression against Ukraine"
    assert exact in seed_text

    def answer_for(request: ModelRequest) -> dict[str, Any]:
        if request.response_model == "Overview":
            return OVERVIEW
        data = chunk_answer(request.article, good_answer, 6)
        for stance in data["stances"]:
            stance["evidence"] = [loose if q == exact else q for q in stance["evidence"]]
        return data

    article = long_article(seed_text, sections=6)
    model = FunctionModel(
        answer_for,
        resolve_settings(engine="llm", base_url="http://x.invalid/v1", chunk_tokens=1000,
                         chunk_overlap=100),
    )  # fmt: skip
    result = Summarizer(engine_impl=model, cache=False).summarize(article)
    assert result.meta.chunks >= 3
    spans = [sp for st in result.summary.stances for sp in st.evidence_spans if sp.quote == loose]
    assert spans and all(sp.match == "aligned" for sp in spans)
    assert all(article[sp.start : sp.end] == exact for sp in spans)
    check_grounded(result, article)
