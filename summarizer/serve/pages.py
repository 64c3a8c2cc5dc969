"""The web page of ``summarizer serve``: ``/`` and ``/jobs/{id}``, and its static files.

The page is one HTML shell and one script (``web/``): it calls the ``/v1`` API with the
reader's bearer token and shows each result's review view (rendered by the server, see
:func:`review_response`) in a sandboxed frame. These routes hold no data and need no key.
The Content-Security-Policy allows the server's own origin only, plus the review view's
inline style and script by hash (a ``srcdoc`` frame inherits its parent's policy).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from summarizer.serve.problems import Problem

if TYPE_CHECKING:
    from summarizer.serve.state import ServerState

STATIC = {"app.js": "text/javascript", "app.css": "text/css", "base.css": "text/css"}
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
web = APIRouter(include_in_schema=False)


def _file(name: str) -> str:
    if name == "base.css":  # the review view's palette and type, shared
        return resources.files("summarizer.review").joinpath("assets", name).read_text("utf-8")
    return resources.files("summarizer.serve").joinpath("web", name).read_text("utf-8")


@lru_cache(maxsize=1)
def page_csp() -> str:
    """The shell's policy: own origin only; inline code only the review view's, by hash."""
    from summarizer.review.page import assets

    review = assets("review").csp
    hashes = dict(part.strip().split(" ", 1) for part in review.split(";") if "sha256-" in part)
    return (
        "default-src 'self'; "
        f"script-src 'self' {hashes['script-src']}; "
        f"style-src 'self' {hashes['style-src']}; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def review_headers() -> dict[str, str]:
    """Headers of a served review page: its own policy (the one in its ``<meta>``)."""
    from summarizer.review.page import assets

    csp = f"{assets('review').csp}; frame-ancestors 'none'"
    return {**COMMON, "Content-Security-Policy": csp}


def review_response(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers=review_headers())


def _shell(request: Request) -> HTMLResponse:
    server: ServerState = request.app.state.server
    auth = "required" if server.config.keys else "none"
    html = _file("index.html").replace("{{auth}}", auth)
    return HTMLResponse(html, headers={**COMMON, "Content-Security-Policy": page_csp()})


@web.get("/")
async def home(request: Request) -> HTMLResponse:
    return _shell(request)


@web.get("/jobs/{job_id}")
async def job_page(job_id: str, request: Request) -> HTMLResponse:
    if not JOB_ID.match(job_id):
        raise Problem(404, "not a job id")
    return _shell(request)  # the job itself is read through /v1, with the reader's key


@web.get("/web/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        raise Problem(404, f"no file {name!r}")
    headers = {**COMMON, "Cache-Control": "no-cache"}
    return Response(_file(name), media_type=STATIC[name], headers=headers)
