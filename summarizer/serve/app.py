"""The FastAPI app: :func:`create_app` for a config, :func:`app_from_env` for uvicorn."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from summarizer import __version__
from summarizer.errors import SummarizerError
from summarizer.serve.auth import load_keys
from summarizer.serve.config import ServeConfig, ServeOptions
from summarizer.serve.limits import BodyLimit, Clock
from summarizer.serve.metrics import RequestMetrics
from summarizer.serve.models import JobRequest
from summarizer.serve.pages import web
from summarizer.serve.problems import (
    Problem,
    http_problem,
    internal_problem,
    library_problem,
    problem,
    validation_problem,
)
from summarizer.serve.routes import ops, v1
from summarizer.serve.state import ServerState

#: Live servers of this process, for the shutdown signal (see ``summarizer.cli.serve``).
RUNNING: list[ServerState] = []


def _handlers(app: FastAPI, server: ServerState) -> None:
    async def on_library(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SummarizerError)
        return library_problem(exc, server.config.scrub)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return validation_problem(list(exc.errors()))

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem(exc.status, server.config.scrub(exc.detail), exc.headers)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return http_problem(exc)

    async def on_other(request: Request, exc: Exception) -> Response:
        response: Response = internal_problem(request, exc, server.config.scrub)
        return response

    app.add_exception_handler(SummarizerError, on_library)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_other)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus the models of the hand-parsed ``POST /v1/jobs`` body."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        models = JobRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(models.pop("$defs", {}))
        components["JobRequest"] = models
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(config: ServeConfig, *, clock: Clock = time.monotonic) -> FastAPI:
    server = ServerState(config, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(server.warm_up)
        server.open()
        RUNNING.append(server)
        try:
            yield
        finally:
            RUNNING.remove(server)
            await server.close()

    app = FastAPI(
        title="summarizer",
        version=__version__,
        description="Typed, grounded structured summaries of news articles.",
        lifespan=lifespan,
    )
    app.state.server = server
    _handlers(app, server)
    app.include_router(v1, prefix="/v1")
    app.include_router(ops)
    app.include_router(web)
    app.add_middleware(BodyLimit, limit=config.options.max_body)
    app.add_middleware(RequestMetrics, metrics=server.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app of a ``summarizer serve`` process (its options in ``SUMMARIZER_SERVE_CONFIG``)."""
    return create_app(ServeConfig.build(ServeOptions.from_env(), load_keys()))
