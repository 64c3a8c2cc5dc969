"""The web page of ``summarizer serve``: routes, headers and escaping in-process, and the
page itself in headless Chromium against a real server (uvicorn in a thread, loopback).

The browser tests reuse the launcher of ``test_review_browser`` (system Chromium, skip
with the reason, fail instead under ``SUMMARIZER_REQUIRE_BROWSER=1``).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from summarizer.review.page import assets
from tests.review_data import INJECTION_ARTICLE
from tests.serving import SERVER_KEY, auth, client
from tests.test_review_browser import Tab, browser

__all__ = ["browser"]  # the fixture, shared with the review view's browser tests
EXTRACTIVE: dict[str, Any] = {"engine": "extractive"}
SCRIPTS = re.compile(r"<script\b([^>]*)>", re.I)
HOSTILE_TITLE = '<img src=x onerror=alert("title")> "Jo" </td>'


def _finished(c: TestClient, job: str) -> dict[str, Any]:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        row: dict[str, Any] = c.get(f"/v1/jobs/{job}", headers=auth()).json()
        if row["status"] not in ("queued", "running"):
            return row
        time.sleep(0.02)
    raise AssertionError("the job did not finish")


@pytest.fixture
def web(tmp_path: Path) -> Iterator[TestClient]:
    with client(tmp_path, keys=(SERVER_KEY,), flags=EXTRACTIVE) as c:
        yield c


# ---------------------------------------------------------------- in-process


def test_the_page_is_served_at_root_and_for_a_job_without_a_key(web: TestClient) -> None:
    for path in ("/", f"/jobs/{'a' * 32}"):
        r = web.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 'data-auth="required"' in r.text and 'id="submit-form"' in r.text
    assert web.get("/jobs/not-a-job").status_code == 404


def test_without_keys_the_page_asks_for_no_token(tmp_path: Path) -> None:
    with client(tmp_path, flags=EXTRACTIVE) as c:
        assert 'data-auth="none"' in c.get("/").text


def test_the_page_policy_allows_its_own_origin_and_the_review_code_only(
    web: TestClient,
) -> None:
    csp = web.get("/").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    review = assets("review").csp
    assert directives["default-src"] == "'self'"
    script = directives["script-src"].split()
    assert script[0] == "'self'" and all(s.startswith("'sha256-") for s in script[1:])
    assert all(s in review for s in script[1:]) and len(script) == 2  # the review's one script
    assert "unsafe" not in csp and "*" not in csp and "http" not in csp
    assert directives["frame-ancestors"] == "'none'"
    # the shell itself carries no inline code: every script has a src on this origin
    for attrs in SCRIPTS.findall(web.get("/").text):
        assert re.search(r'src="/web/[a-z]+\.js"', attrs)
    assert " style=" not in web.get("/").text


@pytest.mark.parametrize(
    ("name", "kind"),
    [("app.js", "text/javascript"), ("app.css", "text/css"), ("base.css", "text/css")],
)
def test_static_files_are_served_from_the_package(web: TestClient, name: str, kind: str) -> None:
    r = web.get(f"/web/{name}")
    assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
    assert r.headers["x-content-type-options"] == "nosniff"


def test_only_the_named_static_files_are_served(web: TestClient) -> None:
    assert web.get("/web/app.js").status_code == 200
    for name in ("index.html", "..%2Fapp.py", "__init__.py", "nope.js"):
        assert web.get(f"/web/{name}").status_code == 404


def test_the_script_writes_data_as_text_only() -> None:
    script = (Path(__file__).parents[1] / "summarizer/serve/web/app.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "textContent" in script


def test_summaries_as_html_is_the_escaped_review_page_with_its_policy(web: TestClient) -> None:
    body = {"text": INJECTION_ARTICLE, "title": HOSTILE_TITLE}
    assert web.post("/v1/summaries?format=html", json=body).status_code == 401
    r = web.post("/v1/summaries?format=html", json=body, headers=auth())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"].startswith(assets("review").csp)
    assert "<mark" in r.text and 'data-start="' in r.text
    assert len(SCRIPTS.findall(r.text)) == 1  # the review's own, hash-pinned
    assert "<img" not in r.text and 'alert("pwned")</script>' not in r.text
    assert "&lt;img src=x onerror=alert(&#34;title&#34;)&gt;" in r.text


def test_summaries_stay_json_by_default(web: TestClient) -> None:
    body = {"text": INJECTION_ARTICLE}
    plain = web.post("/v1/summaries", json=body, headers=auth())
    explicit = web.post("/v1/summaries?format=json", json=body, headers=auth())
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["tldr"] == explicit.json()["tldr"] and "meta" in plain.json()
    assert web.post("/v1/summaries?format=xml", json=body, headers=auth()).status_code == 422


def test_a_job_line_opens_as_its_review_page(web: TestClient) -> None:
    lines = [
        {"id": "one", "text": INJECTION_ARTICLE, "title": HOSTILE_TITLE},
        {"id": "two", "text": "   "},  # fails: nothing to summarize
    ]
    ndjson = "".join(json.dumps(x) + "\n" for x in lines)
    headers = {**auth(), "Content-Type": "application/x-ndjson"}
    job = web.post("/v1/jobs", content=ndjson, headers=headers).json()["id"]
    assert _finished(web, job)["counts"]["done"] == 2
    order = [
        json.loads(x)["id"]
        for x in web.get(f"/v1/jobs/{job}/results", headers=auth()).text.splitlines()
    ]
    ok, failed = order.index("one") + 1, order.index("two") + 1
    assert web.get(f"/v1/jobs/{job}/reviews/{ok}").status_code == 401
    page = web.get(f"/v1/jobs/{job}/reviews/{ok}", headers=auth())
    assert page.status_code == 200 and "<mark" in page.text
    assert page.headers["content-security-policy"].startswith(assets("review").csp)
    assert "&lt;img src=x" in page.text and "<img" not in page.text
    assert web.get(f"/v1/jobs/{job}/reviews/{failed}", headers=auth()).status_code == 404
    assert web.get(f"/v1/jobs/{job}/reviews/3", headers=auth()).status_code == 404
    assert web.get(f"/v1/jobs/{'b' * 32}/reviews/1", headers=auth()).status_code == 404
    assert web.get(f"/v1/jobs/{job}/reviews/0", headers=auth()).status_code == 422


# ---------------------------------------------------------------- in a browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A real server (extractive engine, one key) on a loopback port, in a thread."""
    import uvicorn
    from pydantic import SecretStr

    from summarizer.config import resolve_settings
    from summarizer.serve.app import create_app
    from summarizer.serve.config import ServeConfig, ServeOptions

    config = ServeConfig(
        resolve_settings(**EXTRACTIVE),
        ServeOptions().check(),
        (SecretStr(SERVER_KEY),),
        tmp_path / "state",
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < end and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


class Site(Tab):
    """A tab on the served page that also records every request's headers."""

    def __init__(self, browser: Any, base: str) -> None:
        super().__init__(browser)
        self.base = base
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.context.on("request", lambda r: self.sent.append((r.url, r.headers)))

    def home(self) -> Any:
        self.page.goto(self.base + "/")
        self.page.fill("#token", SERVER_KEY)
        self.page.click("#token-form button")
        return self.page

    def foreign(self) -> list[str]:
        own = (self.base + "/", "about:", "blob:" + self.base + "/", "data:")
        return [u for u, _ in self.sent if not u.startswith(own)]

    def check_clean(self) -> None:
        assert self.errors == [] and self.dialogs == []
        assert self.foreign() == []
        assert all(SERVER_KEY not in url for url, _ in self.sent)  # never in a URL
        api = [(u, h) for u, h in self.sent if u.startswith(self.base + "/v1/")]
        assert api and all(h.get("authorization") == f"Bearer {SERVER_KEY}" for _, h in api)


@pytest.fixture
def site(browser: Any, served: str) -> Iterator[Site]:
    s = Site(browser, served)
    yield s
    s.close()


def _frame_ready(page: Any) -> Any:
    frame = page.frame_locator("#frame")
    frame.locator("mark").first.wait_for(timeout=20000)
    return frame


def test_a_pasted_article_round_trips_to_its_review_view(site: Site, seed_text: str) -> None:
    page = site.home()
    site.shot("serve-home.png")
    page.fill("#title", "Seed article")
    page.fill("#text", seed_text)
    page.click("#go")
    frame = _frame_ready(page)
    site.shot("serve-review.png")
    assert page.locator("#review").is_visible() and not page.locator("#home").is_visible()
    article = frame.locator("#article").text_content()
    assert article == seed_text
    marks = frame.locator("mark").evaluate_all(
        "ms => ms.map(m => [Number(m.dataset.start), Number(m.dataset.end), m.textContent])"
    )
    assert marks and all(text == seed_text[a:b] for a, b, text in marks)
    frame.locator(".stance").first.click()  # the review's own script runs in the frame
    page.wait_for_timeout(300)
    site.shot("serve-review-stance.png")
    page.click("#back")
    assert page.locator("#home").is_visible() and page.input_value("#text") == seed_text
    site.check_clean()


def test_an_injection_article_runs_nothing_on_the_page(site: Site) -> None:
    page = site.home()
    page.fill("#title", HOSTILE_TITLE)
    page.fill("#text", INJECTION_ARTICLE)
    page.click("#go")
    frame = _frame_ready(page)
    for mark in frame.locator("mark").all():
        mark.click()
        frame.locator("body").press("Escape")
    assert frame.locator("#article").text_content() == INJECTION_ARTICLE
    assert page.locator("#review-label").text_content() == HOSTILE_TITLE
    site.shot("serve-injection.png")
    for scope in (page, frame):
        assert scope.locator("img, object, embed, b, u, i").count() == 0
        assert scope.locator("a[href^='javascript']").count() == 0
    assert frame.locator("script").count() == 1
    site.check_clean()


def test_a_job_file_shows_its_articles_and_opens_one(
    site: Site, seed_text: str, tmp_path: Path
) -> None:
    items = [
        {"id": "seed", "text": seed_text, "title": "Seed article"},
        {"id": "tunnel", "text": INJECTION_ARTICLE, "title": HOSTILE_TITLE},
        {"id": "empty", "text": " "},
    ]
    upload = tmp_path / "feed.jsonl"
    upload.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    page = site.home()
    page.click('.tab[data-source="file"]')
    page.set_input_files("#file", str(upload))
    site.shot("serve-upload.png")
    page.click("#go")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    page.locator("#job-status", has_text="completed").wait_for(timeout=20000)
    rows = page.locator("#rows tr")
    assert rows.count() == 3
    titles = sorted(t for t in page.locator("#rows .title").all_text_contents())
    assert titles == sorted(["Seed article", HOSTILE_TITLE, "empty"])
    assert page.locator("#rows .st-failed").count() == 1
    assert page.locator("#rows img, #rows td td").count() == 0  # the hostile title is text
    assert page.locator("#rows .open").count() == 2
    site.shot("serve-job.png")
    page.locator("#rows tr", has_text="Seed article").locator(".open").click()
    frame = _frame_ready(page)
    assert frame.locator("#article").text_content() == seed_text
    site.shot("serve-job-review.png")
    page.click("#back")
    assert page.locator("#job").is_visible() and rows.count() == 3
    page.reload()  # the job page stands on its own (token kept for this tab's session)
    page.locator("#job-status", has_text="completed").wait_for(timeout=20000)
    assert page.locator("#rows tr").count() == 3
    site.check_clean()
