"""URL input (server, ``summarize URL``, batch): size, time and redirect limits; SSRF refusals."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.cli import app as cli_app
from summarizer.errors import InputError
from summarizer.fetch import FetchPolicy, afetch, blocked_reason, fetch_article


class Site:
    """A loopback web server: ``/article`` (HTML), ``/hop`` -> ``/article``, ``/loop``, ``/big``."""

    def __init__(self, article: str) -> None:
        paragraphs = "".join(f"<p>{p}</p>" for p in article.split("\n\n"))
        body = f"<body><article>{paragraphs}</article></body>"
        page = f"<html><head><title>Troops</title></head>{body}</html>"
        site = self
        self.hosts: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site.hosts.append(self.headers.get("Host", ""))
                if self.path == "/article":
                    self._send(200, page.encode(), "text/html; charset=utf-8")
                elif self.path == "/hop":
                    self._redirect("/article")
                elif self.path == "/to-localhost":
                    self._redirect(f"http://localhost:{site.port}/article")
                elif self.path == "/loop":
                    self._redirect("/loop")
                elif self.path == "/big":
                    self._send(200, b"word " * 200_000, "text/plain")
                elif self.path == "/ftp":
                    self._redirect("ftp://example.org/x")
                else:
                    self._send(404, b"no", "text/plain")

            def _redirect(self, where: str) -> None:
                self.send_response(302)
                self.send_header("Location", where)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _send(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def site(seed_text: str) -> Iterator[Site]:
    s = Site(seed_text)
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


OPEN = FetchPolicy(allow_private=True)


def test_loopback_refused_by_default(site: Site) -> None:
    with pytest.raises(InputError, match="loopback address"):
        fetch_article(site.url("/article"))
    assert site.hosts == []  # refused before any connection


def test_allowed_fetch_extracts_the_article(site: Site) -> None:
    article = fetch_article(site.url("/hop"), OPEN)
    assert article.title == "Troops" and "North Korea" in article.text
    assert site.hosts[-1] == f"127.0.0.1:{site.port}"


def test_checked_again_after_a_redirect(site: Site) -> None:
    policy = FetchPolicy(allow_hosts=frozenset({"127.0.0.1"}))
    assert "North Korea" in fetch_article(site.url("/hop"), policy).text
    with pytest.raises(InputError, match="localhost resolves to a loopback"):
        fetch_article(site.url("/to-localhost"), policy)


def test_connects_to_the_checked_address(site: Site) -> None:
    """DNS rebinding: the name is resolved once; the request goes to that address."""
    answers = iter([["127.0.0.1"], ["203.0.113.9"]])  # a second lookup would get another one

    async def resolve(host: str, port: int) -> list[str]:
        return next(answers)

    policy = FetchPolicy(allow_hosts=frozenset({"news.test"}), resolve=resolve)
    url = f"http://news.test:{site.port}/article"
    page = asyncio.run(afetch(url, policy))
    assert page.content.startswith(b"<html>") and site.hosts[-1] == f"news.test:{site.port}"


def test_limits(site: Site) -> None:
    with pytest.raises(InputError, match="more than 3 redirects"):
        fetch_article(site.url("/loop"), FetchPolicy(allow_private=True, max_redirects=3))
    with pytest.raises(InputError, match="byte limit"):
        fetch_article(site.url("/big"), FetchPolicy(allow_private=True, max_bytes=10_000))
    with pytest.raises(InputError, match="only http and https"):
        fetch_article(site.url("/ftp"), OPEN)
    with pytest.raises(InputError, match="HTTP 404"):
        fetch_article(site.url("/missing"), OPEN)
    with pytest.raises(InputError, match="only http and https"):
        fetch_article("file:///etc/passwd", OPEN)


def test_timeout() -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(InputError, match=r"within 0\.3s"):
            fetch_article(url, FetchPolicy(allow_private=True, timeout=0.3))
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("fe80::1", "link-local (cloud metadata)"),
        ("fd00:ec2::254", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "non-public"),
        ("0.0.0.0", "private"),
        ("224.0.0.1", "multicast"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_blocked_ranges(address: str, why: str | None) -> None:
    assert blocked_reason(address) == why


def test_summarize_url_cli(site: Site) -> None:
    runner = CliRunner()
    refused = runner.invoke(cli_app, ["summarize", site.url("/article"), "--engine", "extractive"])
    assert refused.exit_code == 3 and "--allow-private-urls" in refused.output
    ok = runner.invoke(
        cli_app,
        ["summarize", site.url("/article"), "--engine", "extractive", "--allow-private-urls"],
    )
    assert ok.exit_code == 0, ok.output
    assert "North Korea" in json.loads(ok.stdout)["summary"]


def test_batch_url_items(site: Site, tmp_path: Path) -> None:
    listing = tmp_path / "urls.jsonl"
    listing.write_text(json.dumps({"id": "u", "url": site.url("/article")}) + "\n", "utf-8")
    runner = CliRunner()
    args = ["batch", str(listing), site.url("/hop"), "--engine", "extractive"]
    refused = runner.invoke(cli_app, args)
    assert refused.exit_code == 13
    assert all(
        "loopback" in json.loads(line)["error"]["message"] for line in refused.stdout.splitlines()
    )
    ok = runner.invoke(cli_app, [*args, "--allow-private-urls"])
    assert ok.exit_code == 0, ok.output
    records = [json.loads(line) for line in ok.stdout.splitlines()]
    assert sorted(r["id"] for r in records) == sorted(["u", site.url("/hop")])
    assert all("result" in r for r in records)


def test_server_url_input(site: Site, tmp_path: Path) -> None:
    from tests.serving import client

    with client(tmp_path, flags={"engine": "extractive"}) as c:
        r = c.post("/v1/summaries", json={"url": site.url("/article")})
        assert r.status_code == 422 and "loopback" in r.json()["detail"]
    with client(tmp_path, flags={"engine": "extractive"}, allow_private_urls=True) as c:
        r = c.post("/v1/summaries", json={"url": site.url("/hop")})
        assert r.status_code == 200 and "North Korea" in r.json()["summary"]
