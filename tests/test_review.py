"""The HTML review view and the batch report, checked without a browser.

Highlights are checked by parsing the page: every ``<mark>`` holds exactly the article
text between its ``data-start`` and ``data-end``, whatever overlaps; untrusted text never
becomes markup. ``tests/test_review_browser.py`` checks the same pages in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.result import RunMeta, SummaryResult
from summarizer.review import render_review
from summarizer.review.layers import Piece, Range, Text, layout
from summarizer.schema import ArticleSummary
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.review_data import INJECTION_ARTICLE, NAME, injection_answer

runner = CliRunner()


class Page(HTMLParser):
    """Start tags, and the text inside each ``<mark>`` and mention span."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.marks: list[tuple[dict[str, str | None], str]] = []
        self.mentions: list[tuple[dict[str, str | None], str]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("mark", "span", "script", "style") and tag != "meta":
            self.open.append((tag, dict(attrs), []))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("mark", "span", "script", "style"):
            return
        name, attrs, parts = self.open.pop()
        assert name == tag, f"</{tag}> closes <{name}>"
        content = "".join(parts)
        if tag == "mark":
            self.marks.append((attrs, content))
        elif tag == "span" and "mention" in (attrs.get("class") or "").split():
            self.mentions.append((attrs, content))
        elif tag == "script":
            self.scripts.append(content)
        elif tag == "style":
            self.styles.append(content)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, _, parts in self.open:
            parts.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert not page.open, "unclosed elements"
    return page


def _result(answer: dict[str, Any], article: str) -> SummaryResult:
    summary = ArticleSummary.model_validate(answer, context={"article": article})
    meta = RunMeta(engine="llm", model="m", schema_hash="x", version="0", attempts=2)
    return SummaryResult(summary=summary, meta=meta)


# -- layers --------------------------------------------------------------------------------
def _flatten(nodes: list[Any], out: dict[int, list[tuple[int, int]]], text: list[int]) -> None:
    for node in nodes:
        if isinstance(node, Text):
            text.extend(range(node.start, node.end))
            continue
        assert isinstance(node, Piece)
        inner: list[int] = []
        _flatten(node.children, out, inner)
        assert inner == list(range(node.start, node.end)), "a piece holds exactly its slice"
        out.setdefault(id(node.range), []).append((node.start, node.end))
        text.extend(inner)


def test_layout_cuts_any_overlap_into_nested_pieces_that_spell_each_range() -> None:
    rng = random.Random(15)
    for _ in range(300):
        length = rng.randint(1, 60)
        ranges = []
        for k in range(rng.randint(0, 8)):
            a, b = sorted(rng.sample(range(length + 1), 2)) if length > 1 else (0, 1)
            ranges.append(Range(a, b, k))
        pieces: dict[int, list[tuple[int, int]]] = {}
        covered: list[int] = []
        _flatten(layout(length, ranges), pieces, covered)
        assert covered == list(range(length)), "the article, in order, once"
        for r in ranges:
            spans = pieces[id(r)]
            assert spans[0][0] == r.start and spans[-1][1] == r.end
            assert all(x[1] == y[0] for x, y in pairwise(spans)), "contiguous pieces"


def test_layout_drops_ranges_outside_the_article() -> None:
    nodes = layout(5, [Range(3, 9, "x"), Range(2, 2, "y"), Range(-1, 2, "z")])
    assert nodes == [Text(0, 5)]


# -- the review page -----------------------------------------------------------------------
def test_every_mark_holds_its_article_slice_and_quotes_are_whole(
    seed_text: str, good_answer: dict[str, Any]
) -> None:
    result = _result(good_answer, seed_text)
    page = parse(render_review(result, seed_text, title="Seed"))
    assert page.marks
    for attrs, text in page.marks:
        assert text == seed_text[int(attrs["data-start"] or 0) : int(attrs["data-end"] or 0)]
        assert attrs["data-position"] in (
            "support",
            "oppose",
            "concern",
            "deny",
            "claim",
            "neutral",
        )
    for attrs, text in page.mentions:
        assert text == seed_text[int(attrs["data-start"] or 0) : int(attrs["data-end"] or 0)]
    spans = {(s.start, s.end) for st in result.summary.stances for s in st.evidence_spans}
    firsts = {(int(a["data-start"] or 0), a["data-quote"]) for a, _ in page.marks if a.get("id")}
    assert len(firsts) == len(spans), "one first piece per distinct quote"
    mentioned = sum(len(a.mentions) for a in result.summary.actors)
    assert len({(a["data-start"], a["data-end"]) for a, _ in page.mentions}) <= mentioned


def test_untrusted_text_is_escaped_everywhere() -> None:
    result = _result(injection_answer(), INJECTION_ARTICLE)
    html = render_review(result, INJECTION_ARTICLE, title='<script>alert("title")</script>')
    page = parse(html)
    tags = [t for t, _ in page.tags]
    assert tags.count("script") == 1, "only the page's own script"
    for forbidden in ("img", "b", "i", "u", "a"):
        assert [a for t, a in page.tags if t == forbidden and t != "a"] == []
    assert not [a for t, a in page.tags if t == "a" and "javascript" in (a.get("href") or "")]
    assert not [a for _, a in page.tags for k in a if k.startswith("on")], "no event handlers"
    text = "".join(page.text)
    assert '<script>alert("pwned")</script>' in text and "<img src=x onerror=alert(1)>" in text
    assert "The </mark> tag closes nothing" in text and NAME in text
    # two overlapping quotes and a name inside them: still exact slices
    assert len(page.marks) >= 4
    for attrs, mark_text in page.marks:
        start, end = int(attrs["data-start"] or 0), int(attrs["data-end"] or 0)
        assert mark_text == INJECTION_ARTICLE[start:end]


def test_the_csp_allows_exactly_the_inline_style_and_script() -> None:
    result = _result(injection_answer(), INJECTION_ARTICLE)
    html = render_review(result, INJECTION_ARTICLE)
    page = parse(html)
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None and csp.startswith("default-src 'none'")

    def pin(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src {pin(page.scripts[0])}'" in csp
    assert f"style-src {pin(page.styles[0])}'" in csp
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "nothing from another host"


def test_without_the_article_the_quotes_are_listed(good_answer: dict[str, Any]) -> None:
    summary = ArticleSummary.model_validate(good_answer)  # no article: no offsets
    meta = RunMeta(engine="extractive", schema_hash="x", version="0")
    html = render_review(SummaryResult(summary=summary, meta=meta), None, note="no text here")
    page = parse(html)
    assert page.marks == [] and "no text here" in "".join(page.text)
    assert good_answer["stances"][0]["evidence"][0] in "".join(page.text)


# -- the CLI -------------------------------------------------------------------------------
def test_summarize_format_html(llm_env: FakeOpenAI, tmp_path: Path) -> None:
    article = tmp_path / "tunnel.txt"
    article.write_text(INJECTION_ARTICLE, encoding="utf-8")
    llm_env.push(completion(injection_answer()))
    out = tmp_path / "view.html"
    result = runner.invoke(
        app, ["summarize", str(article), "--format", "html", "-o", str(out), "--no-cache"]
    )
    assert result.exit_code == 0, result.stderr
    page = parse(out.read_text(encoding="utf-8"))
    assert len(page.marks) >= 4 and [t for t, _ in page.tags].count("script") == 1
    text = "".join(page.text)
    assert "City Hall row over a tunnel" in text  # the detected headline is the title
    assert "fake-model" in text and "150 (100 prompt + 50 completion)" in text


def _batch(tmp_path: Path, llm_env: FakeOpenAI | None = None) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(INJECTION_ARTICLE, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text(INJECTION_ARTICLE.replace("tunnel", "bridge"))
    inline = {"id": "inline", "title": "Inline <b>one</b>", "text": INJECTION_ARTICLE}
    missing = {"id": "gone", "path": "nowhere.txt"}
    (tmp_path / "list.jsonl").write_text(json.dumps(inline) + "\n" + json.dumps(missing) + "\n")
    out = tmp_path / "results.jsonl"
    args = ["batch", str(tmp_path / "in"), str(tmp_path / "list.jsonl"), "-o", str(out)]
    result = runner.invoke(app, [*args, "--engine", "extractive", "--ordered", "--no-progress"])
    assert result.exit_code == 13, result.stderr  # the missing file fails its own line
    return out


def test_batch_lines_carry_title_digest_and_inline_text(tmp_path: Path) -> None:
    lines = [json.loads(x) for x in _batch(tmp_path).read_text().splitlines()]
    by_id = {r["id"]: r for r in lines}
    inline = by_id["inline"]
    assert inline["text"] == INJECTION_ARTICLE and inline["title"] == "Inline <b>one</b>"
    on_disk = next(r for r in lines if r.get("path", "").endswith("a.txt"))
    assert "text" not in on_disk, "a file's text stays in the file"
    assert on_disk["text_sha256"] == hashlib.sha256(INJECTION_ARTICLE.encode()).hexdigest()
    assert "error" in by_id["gone"] and "result" in on_disk


def test_report_writes_an_index_and_one_page_per_article(tmp_path: Path) -> None:
    results = _batch(tmp_path)
    (tmp_path / "in" / "b.txt").write_text("Changed since the batch ran, entirely.\n")
    (results.parent / "garbage").write_text("")
    with results.open("a") as fh:
        fh.write("{not json\n")
    out = tmp_path / "report"
    (out / "articles").mkdir(parents=True)
    (out / "articles" / "00099.html").write_text("stale")
    result = runner.invoke(app, ["report", str(results), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "3 article page(s), 2 failed line(s), 1 without their article text" in result.stderr
    index = parse((out / "index.html").read_text(encoding="utf-8"))
    rows = [a for t, a in index.tags if t == "tr" and "row" in (a.get("class") or "")]
    assert [r["data-status"] for r in rows] == ["ok", "ok", "ok", "failed", "unreadable"]
    text = "".join(index.text)
    assert "Inline <b>one</b>" in text and "no such file" in text
    # The only <b> tags are the template's stance counts: the title's "<b>" stays text.
    pills = [a for t, a in index.tags if t == "span" and a.get("class") == "count-pill"]
    assert len([a for t, a in index.tags if t == "b"]) == len(pills)
    links = [a["href"] for t, a in index.tags if t == "a" and a.get("class") == "title"]
    assert sorted(p.name for p in (out / "articles").iterdir()) == [
        "00001.html", "00002.html", "00003.html"
    ]  # fmt: skip
    pages = {href: parse((out / str(href)).read_text()) for href in links}

    def drawn(page: Page) -> bool:
        return any(t == "article" and a.get("id") == "article" for t, a in page.tags)

    assert len([p for p in pages.values() if drawn(p)]) == 2, "unchanged file and inline text"
    changed = next(p for p in pages.values() if not drawn(p))
    assert "changed since the batch ran" in "".join(changed.text)
    for page in pages.values():
        assert ("a", {"class": "back", "href": "../index.html"}) in page.tags


def test_report_named_like_a_file(tmp_path: Path) -> None:
    results = _batch(tmp_path)
    out = tmp_path / "day.html"
    result = runner.invoke(app, ["report", str(results), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.is_file() and len(list((tmp_path / "day_files").iterdir())) == 3
    assert 'href="day_files/00001.html"' in out.read_text()


def test_report_of_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 3 and "no such file" in result.stderr
