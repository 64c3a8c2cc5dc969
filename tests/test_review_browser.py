"""The review view and the batch report in a real browser: headless Chromium via Playwright.

Uses the system Chromium (``apt-get install chromium``) and never downloads a browser.
Without Playwright or Chromium these tests skip with the reason, unless
``SUMMARIZER_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where that is a failure.
Screenshots go to ``reports/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import ROOT
from tests.review_data import INJECTION_ARTICLE, NAME, injection_answer

CHROMIUM = os.environ.get("SUMMARIZER_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("SUMMARIZER_REQUIRE_BROWSER") == "1"  # read before tests clear env
SHOTS = ROOT / "reports" / "screenshots"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

runner = CliRunner()


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class Tab:
    """A page with everything it logs, requests and pops up recorded."""

    def __init__(self, browser: Any, **context: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1360, "height": 900}, **context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []

        def on_console(message: Any) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("console", on_console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", on_dialog)

    def open(self, path: Path) -> Any:
        self.page.goto(path.resolve().as_uri())
        return self.page

    def foreign(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file://", "data:", "about:"))]

    def shot(self, name: str, full: bool = False) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / name), full_page=full)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    t = Tab(browser)
    yield t
    t.close()


def _in_thread(call: Callable[[], Any]) -> Any:
    """Playwright's sync API keeps an event loop running in this thread, and the
    summarizer's sync API refuses to run inside one: CLI runs go to a thread of their own."""
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(call()))
    worker.start()
    worker.join()
    return done[0]


def _summarize_html(article: Path, out: Path) -> None:
    args = ["summarize", str(article), "--format", "html", "-o", str(out), "--no-cache"]
    result = _in_thread(lambda: runner.invoke(app, args))
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def seed_view(
    llm_env: FakeOpenAI, seed_path: Path, good_answer: dict[str, Any], tmp_path: Path
) -> Path:
    llm_env.push(completion(good_answer))
    out = tmp_path / "seed.html"
    _summarize_html(seed_path, out)
    return out


@pytest.fixture
def injection_view(llm_env: FakeOpenAI, tmp_path: Path) -> Path:
    article = tmp_path / "tunnel.txt"
    article.write_text(INJECTION_ARTICLE, encoding="utf-8")
    llm_env.push(completion(injection_answer()))
    out = tmp_path / "tunnel.html"
    _summarize_html(article, out)
    return out


HIGHLIGHTS = """() => Array.from(document.querySelectorAll('mark')).map(m => [
  Number(m.dataset.start), Number(m.dataset.end), m.textContent, m.dataset.quote,
  m.dataset.position])"""
IN_VIEW = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight; }"""


def test_seed_view_opens_clean_and_stays_on_its_own_file(tab: Tab, seed_view: Path) -> None:
    page = tab.open(seed_view)
    page.wait_for_load_state("load")
    assert page.locator("mark").count() > 0
    tab.shot("seed-review.png", full=True)
    assert tab.errors == []
    assert tab.foreign() == []
    assert page.evaluate("document.body.classList.contains('js')")


def test_every_highlight_is_the_article_slice(
    tab: Tab, seed_view: Path, seed_text: str, good_answer: dict[str, Any]
) -> None:
    marks = tab.open(seed_view).evaluate(HIGHLIGHTS)
    assert marks
    whole: dict[str, str] = {}
    for start, end, text, quote, position in marks:
        assert text == seed_text[start:end]
        assert position in ("support", "oppose", "concern", "deny", "claim", "neutral")
        whole[quote] = whole.get(quote, "") + text
    quotes = {q for s in good_answer["stances"] for q in s["evidence"]}
    assert len(whole) == len(quotes)
    assert all(seed_text.find(text) >= 0 for text in whole.values())


def test_clicking_a_stance_brings_its_quote_into_view(tab: Tab, seed_view: Path) -> None:
    page = tab.open(seed_view)
    last = page.locator(".stance").last
    quote = last.get_attribute("data-quotes").split()[0]
    page.evaluate("window.scrollTo(0, 0)")
    assert not page.evaluate(IN_VIEW, f"#{quote}")
    last.locator(".target").click()
    page.wait_for_function(IN_VIEW, arg=f"#{quote}", timeout=5000)
    assert "flash" in (page.locator(f"#{quote}").get_attribute("class") or "")
    tab.shot("seed-stance-click.png")


def test_clicking_a_quote_shows_the_stances_that_cite_it(tab: Tab, seed_view: Path) -> None:
    page = tab.open(seed_view)
    mark = page.locator("mark.first").first
    stance_ids = (mark.get_attribute("data-stances") or "").split()
    mark.click()
    popover = page.locator("#popover")
    assert popover.is_visible()
    actor = page.locator(f"#stance-{stance_ids[0]} .who").inner_text()
    assert actor in popover.inner_text()
    assert "cited" in (page.locator(f"#stance-{stance_ids[0]}").get_attribute("class") or "")
    tab.shot("seed-quote-click.png")
    page.keyboard.press("Escape")
    assert not popover.is_visible()


def test_an_actor_lights_up_its_mentions(tab: Tab, seed_view: Path) -> None:
    page = tab.open(seed_view)
    page.locator('.tabs [data-tab="actors"]').click()
    card = page.locator(".actor", has_text="Jean-Noël Barrot").first
    expected = int(card.get_attribute("data-mentions") or 0)
    assert expected >= 3
    card.hover()
    assert page.locator(".mention.lit").count() == expected
    lit = page.evaluate("Array.from(document.querySelectorAll('.mention.lit'), m => m.textContent)")
    assert set(lit) <= {"Jean-Noël Barrot", "Barrot"}
    card.click()
    assert page.locator(".mention.current").count() == 1
    tab.shot("seed-actor-pinned.png")


def test_injection_article_runs_nothing_and_shows_the_tags(tab: Tab, injection_view: Path) -> None:
    page = tab.open(injection_view)
    page.wait_for_load_state("load")
    for mark in page.locator("mark").all():
        mark.click()
        page.keyboard.press("Escape")  # the list of citing stances may cover the next one
    page.locator('.tabs [data-tab="actors"]').click()
    for actor in page.locator(".actor").all():
        actor.hover()
        actor.click()
    page.wait_for_timeout(200)
    tab.shot("injection-review.png", full=True)
    assert tab.dialogs == []
    assert tab.errors == [] and tab.foreign() == []
    assert page.locator("script").count() == 1
    assert page.locator("img, iframe, object, embed, b, u, i").count() == 0
    assert page.evaluate("Array.from(document.querySelectorAll('*')).filter(e => "
        "Array.from(e.attributes).some(a => a.name.startsWith('on'))).length") == 0  # fmt: skip
    assert page.locator("a[href^='javascript']").count() == 0
    text = page.locator("#article").text_content()
    assert text == INJECTION_ARTICLE
    assert page.locator(".actor .name").first.text_content() == NAME
    for start, end, mark_text, _, _ in page.evaluate(HIGHLIGHTS):
        assert mark_text == INJECTION_ARTICLE[start:end]


def test_readable_with_javascript_off(browser: Any, seed_view: Path) -> None:
    tab = Tab(browser, java_script_enabled=False)
    try:
        page = tab.open(seed_view)
        assert page.locator("mark").count() > 0
        assert page.locator(".tabs").is_hidden()
        assert page.locator(".stance").first.is_visible()
        assert page.locator(".actor").first.is_visible()
        first = page.locator(".stance .cite").first
        target = first.get_attribute("href")
        first.click()
        page.wait_for_function(IN_VIEW, arg=target, timeout=5000)
        tab.shot("seed-no-js.png")
    finally:
        tab.close()


def test_prints_as_one_column_with_everything_shown(tab: Tab, seed_view: Path) -> None:
    page = tab.open(seed_view)
    page.emulate_media(media="print")
    assert page.locator(".tabs").is_hidden()
    assert page.locator(".actor").first.is_visible() and page.locator(".stance").first.is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.panel')).position") == "static"
    tab.shot("seed-print.png", full=True)
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "seed-print.pdf").write_bytes(pdf)


def test_report_index_filters_and_opens_each_review(tab: Tab, tmp_path: Path) -> None:
    articles = sorted((ROOT / "evals" / "articles").glob("00[0-4]_*.txt"))
    broken = tmp_path / "list.jsonl"
    broken.write_text(json.dumps({"id": "web", "url": "http://example.com/x"}) + "\n")
    results = tmp_path / "results.jsonl"
    args = ["batch", *map(str, articles), str(broken), "-o", str(results), "--engine",
            "extractive", "--ordered", "--no-progress"]  # fmt: skip
    batch = _in_thread(lambda: runner.invoke(app, args))
    assert batch.exit_code == 13, batch.stderr
    out = tmp_path / "report"
    made = runner.invoke(app, ["report", str(results), "-o", str(out)])
    assert made.exit_code == 0, made.stderr
    page = tab.open(out / "index.html")
    rows = page.locator("tr.row")
    assert rows.count() == len(articles) + 1
    assert "InputError" in page.locator("tr.st-failed").inner_text()
    tab.shot("report-index.png", full=True)

    page.fill("input[name=actor]", "north korea")
    visible = page.locator("tr.row:visible")
    assert 0 < visible.count() < rows.count()
    for row in visible.all():
        assert "north korea" in (row.get_attribute("data-actors") or "").lower()
    page.fill("input[name=actor]", "")
    page.select_option("select[name=position]", "deny")
    for row in page.locator("tr.row:visible").all():
        assert "deny" in (row.get_attribute("data-positions") or "").split()
    page.select_option("select[name=position]", "")
    chip = page.locator("tr.row .actor-chip").nth(2)
    name = chip.inner_text()
    chip.click()
    assert page.input_value("input[name=actor]") == name
    assert 1 <= page.locator("tr.row:visible").count() < rows.count()

    page.locator("tr.row:visible a.title").click()
    page.wait_for_load_state("load")
    assert page.locator("mark").count() > 0
    page.locator("a.back").click()
    page.wait_for_load_state("load")
    assert page.locator("tr.row").count() == len(articles) + 1
    assert tab.errors == [] and tab.foreign() == []
