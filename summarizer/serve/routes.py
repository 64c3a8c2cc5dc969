"""The HTTP endpoints: ``/v1/*`` (keys and rate limits apply) and the operational ones."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from summarizer.serve.auth import bearer, key_id, matches
from summarizer.serve.jobs import ACTIVE, unique_records
from summarizer.serve.models import JobItem, JobList, JobRequest, JobStatus, SummaryRequest
from summarizer.serve.pages import review_response
from summarizer.serve.problems import MEDIA_TYPE, Problem

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from summarizer.serve.state import ServerState

NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
KEEPALIVE = 15.0
POLL = 1.0  # seconds between looks at the job file while nothing happens here
_bearer = HTTPBearer(auto_error=False, description="One of SUMMARIZER_SERVER_KEYS")


def server_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def client_of(request: Request) -> str:
    """The hash of the caller's key (set by :func:`guard`; "" when the server has no keys)."""
    return str(getattr(request.state, "client", ""))


async def guard(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> None:
    """401 without a valid bearer token (when keys are set); 429 past the key's rate."""
    server = server_of(request)
    ident = request.client.host if request.client else "anonymous"
    request.state.client = ""  # without keys every caller is the same client
    if server.config.keys:
        token = bearer(request.headers.get("authorization"))
        if token is None or not matches(token, server.config.keys):
            raise Problem(
                401, "a valid bearer token is required", {"WWW-Authenticate": 'Bearer realm="v1"'}
            )
        ident = request.state.client = key_id(token)
    if server.limiter is not None:
        server.limiter.check(ident)


PROBLEM = {"content": {MEDIA_TYPE: {"schema": {"type": "object"}}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, **PROBLEM}
    for code, text in (
        (401, "No valid bearer token."),
        (413, "The body is over the limit."),
        (422, "Invalid request, options or article."),
        (429, "Rate limit reached (Retry-After)."),
        (502, "The model provider failed."),
        (503, "At capacity (Retry-After)."),
    )
}
v1 = APIRouter(dependencies=[Depends(guard)], responses=ERRORS)
ops = APIRouter()


HTML = {"text/html": {"schema": {"type": "string"}}}
Format = Annotated[
    Literal["json", "html"],
    Query(description="`html`: the review view (`summarize --format html`) instead of JSON."),
]


@v1.post(
    "/summaries",
    summary="Summarize one article",
    responses={
        200: {
            "description": "Exactly what `summarizer summarize --format json` prints "
            "(`format=html`: its review page).",
            "content": HTML,
        }
    },
)
async def create_summary(
    body: SummaryRequest, request: Request, format: Format = "json"
) -> Response:
    server = server_of(request)
    overrides = body.options.overrides() if body.options else {}
    text, title = await server.article(body.text, body.html, body.url, body.title)
    async with server.summarizers.lease(overrides) as summarizer:
        result = await summarizer.asummarize(text, title=title)
    if format == "html":
        from summarizer.review.page import render_review

        html = await asyncio.to_thread(render_review, result, text, title=title)
        return review_response(html)
    return JSONResponse(result.to_dict())


def _invalid(exc: ValidationError, *prefix: str) -> RequestValidationError:
    errors = [{**e, "loc": ("body", *prefix, *e["loc"])} for e in exc.errors()]
    return RequestValidationError(errors)


def _ndjson(raw: bytes) -> list[JobItem]:
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": f"not UTF-8 ({exc.reason})", "type": "unicode"}]
        ) from None
    items: list[JobItem] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                items.append(JobItem.model_validate_json(line))
            except ValidationError as exc:
                raise _invalid(exc, f"line {lineno}") from None
    if not items:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "no items: send one JSON object a line", "type": "empty"}]
        )
    return items


def _job_body(raw: bytes, content_type: str) -> tuple[list[JobItem], dict[str, Any]]:
    if content_type in NDJSON_TYPES:
        return _ndjson(raw), {}
    try:
        request = JobRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None
    return request.items, request.options.overrides() if request.options else {}


JOB_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}},
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "One JobItem a line."}
            },
        },
    }
}


@v1.post(
    "/jobs",
    status_code=202,
    response_model=JobStatus,
    summary="Start a job of many articles",
    openapi_extra=JOB_BODY,
)
async def create_job(request: Request) -> JSONResponse:
    server = server_of(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    items, overrides = _job_body(await request.body(), content_type)
    limit = server.config.options.max_job_items
    if len(items) > limit:
        raise Problem(413, f"{len(items):,} items: a job takes at most {limit:,} (--max-job-items)")
    server.summarizers.settings(overrides)  # refuse bad option values now, not per item
    server.purge_old_jobs()
    job = server.jobs.store.create(unique_records(items), overrides, client_of(request))
    server.jobs.start(job)
    row = server.job(job, client_of(request))
    return JSONResponse(row, status_code=202, headers={"Location": f"/v1/jobs/{job}"})


@v1.get("/jobs", response_model=JobList, summary="The caller's jobs, newest first")
async def list_jobs(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="Jobs per page.")] = 100,
    before: Annotated[
        float | None,
        Query(ge=0, le=1e12, description="Only jobs created before this Unix time (paging)."),
    ] = None,
) -> JSONResponse:
    rows = server_of(request).jobs.store.jobs_of(client_of(request), limit, before)
    page = [row.to_dict() for row in rows]
    more = len(rows) == limit
    return JSONResponse({"jobs": page, "next_before": rows[-1].created if more else None})


@v1.get("/jobs/{job_id}", response_model=JobStatus, summary="A job's status and counts")
async def get_job(job_id: str, request: Request) -> JSONResponse:
    return JSONResponse(server_of(request).job(job_id, client_of(request)))


@v1.get(
    "/jobs/{job_id}/results",
    summary="A job's result lines (NDJSON, as `summarizer batch` writes them)",
    responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
)
async def get_results(
    job_id: str,
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**62, description="Lines already read.")] = 0,
) -> Response:
    server = server_of(request)
    server.job(job_id, client_of(request))  # 404 if unknown or another key's
    lines = server.jobs.store.lines(job_id, after)
    return Response(
        "".join(lines),
        media_type="application/x-ndjson",
        headers={"X-Next-After": str(after + len(lines))},
    )


@v1.get(
    "/jobs/{job_id}/reviews/{line}",
    summary="The review page of a job's result line (1 = the first line of /results)",
    response_class=HTMLResponse,
    responses={200: {"content": HTML}, 404: {"description": "No such job or line.", **PROBLEM}},
)
async def get_review(
    job_id: str, line: Annotated[int, Path(ge=1, le=2**62)], request: Request
) -> Response:
    from summarizer.review.report import render_line

    server = server_of(request)
    server.job(job_id, client_of(request))
    found = server.jobs.store.lines(job_id, line - 1)
    if not found:
        raise Problem(404, f"job {job_id} has no result line {line} yet")
    html = await asyncio.to_thread(render_line, json.loads(found[0]))
    if html is None:
        raise Problem(404, f"result line {line} of job {job_id} is a failure, not a summary")
    return review_response(html)


@v1.get(
    "/jobs/{job_id}/events",
    summary="A job's progress (server-sent events)",
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def get_events(job_id: str, request: Request) -> StreamingResponse:
    server = server_of(request)
    server.job(job_id, client_of(request))
    return StreamingResponse(_events(server, job_id), media_type="text/event-stream")


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def _events(server: ServerState, job: str) -> AsyncIterator[str]:
    last: dict[str, Any] | None = None
    quiet = 0.0
    while True:
        changed = server.jobs.changed(job)
        row = server.jobs.store.get(job)
        if row is None:
            return
        data = row.to_dict()
        if data != last:
            yield _event("progress", data)
            last = data
        if row.status not in ACTIVE:
            yield _event("end", data)
            return
        if server.draining.is_set():
            return
        try:  # woken by this process's runner; polled for another worker's progress
            await asyncio.wait_for(changed.wait(), POLL)
            quiet = 0.0
        except TimeoutError:
            quiet += POLL
            if quiet >= KEEPALIVE:
                quiet = 0.0
                yield ": keep-alive\n\n"


@v1.delete("/jobs/{job_id}", response_model=JobStatus, summary="Cancel a job")
async def cancel_job(job_id: str, request: Request) -> JSONResponse:
    server = server_of(request)
    server.job(job_id, client_of(request))
    await server.jobs.cancel(job_id)
    return JSONResponse(server.job(job_id, client_of(request)))


@v1.get("/schema", summary="The JSON Schema of a summary")
async def get_schema() -> Response:
    return Response(_schema_body(), media_type="application/json")


@functools.cache
def _schema_body() -> bytes:
    """The summary's JSON Schema as sent: built once (it cost ~3.7 ms a request)."""
    from summarizer.schema import schema_json

    return schema_json().encode("utf-8")


@ops.get("/healthz", summary="Liveness")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@ops.get("/readyz", summary="Readiness: the cache is usable and an engine is configured")
async def readyz(request: Request) -> JSONResponse:
    ready, details = await server_of(request).readiness()
    return JSONResponse(details, status_code=200 if ready else 503)


@ops.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(server_of(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
