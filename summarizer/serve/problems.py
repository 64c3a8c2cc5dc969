"""RFC 9457 ``application/problem+json`` answers, one for every way a request can fail.

A :class:`~summarizer.errors.SummarizerError` becomes its class's ``http_status`` with the
class name and exit code; request validation is a 422 (as an ``InputError``); the
server's own refusals (401, 404, 413, 429, 503) raise :class:`Problem`. Anything else is
a 500 whose detail says nothing about the cause (it is logged, redacted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from summarizer.errors import InputError, SummarizerError

log = logging.getLogger("summarizer.serve")
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """A refusal by the server itself (not the library): status, detail, extra headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem(
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def library_problem(exc: SummarizerError, scrub: Callable[[str], str]) -> JSONResponse:
    return problem(
        exc.http_status,
        scrub(exc.message),
        error=type(exc).__name__,
        exit_code=exc.exit_code,
    )


def _where(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


def validation_problem(errors: Sequence[Any]) -> JSONResponse:
    """422 for a body or query that does not fit the schema (the input is never echoed)."""
    cleaned: list[dict[str, Any]] = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
        if isinstance(e, dict)
    ]
    first = cleaned[0] if cleaned else {"loc": [], "msg": "invalid request"}
    message = str(first["msg"]).removeprefix("Value error, ")
    detail = f"{_where(first['loc'])}: {message}"
    if len(cleaned) > 1:
        detail += f" (and {len(cleaned) - 1} more)"
    return problem(
        422, detail, errors=cleaned, error=InputError.__name__, exit_code=InputError.exit_code
    )


def http_problem(exc: HTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


def internal_problem(request: Request, exc: BaseException, scrub: Callable[[str], str]) -> Any:
    log.error(
        "internal error on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        scrub(str(exc)),
    )
    return problem(500, "internal error: the server logged it")
