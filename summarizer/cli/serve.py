"""``summarizer serve``: the HTTP API on uvicorn (needs ``pip install 'summarizer[serve]'``)."""

from __future__ import annotations

import importlib.util
import logging
import signal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from summarizer.cli.app import app, reported, setup_logging
from summarizer.cli.options import AllowPrivateUrlsOpt, Verbose, run_flags
from summarizer.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from summarizer.serve.config import ServeOptions

INSTALL_HINT = "summarizer: error: serving needs the extra: pip install 'summarizer[serve]'"
EXTRA_MODULES = ("fastapi", "uvicorn", "prometheus_client")
log = logging.getLogger("summarizer.serve")


def _have_extra() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in EXTRA_MODULES)


def _flags(run: dict[str, Any]) -> dict[str, Any]:
    """The run flags given, as JSON-ready settings (every worker's defaults)."""
    from enum import Enum

    values = dict(run)
    out: dict[str, Any] = {"cache": False} if values.pop("no_cache", False) else {}
    if values.pop("refresh", False):
        out["refresh"] = True
    for name, value in values.items():
        if value is not None:
            out[name] = value.value if isinstance(value, Enum) else value
    if "cache_dir" in out:
        out["cache_dir"] = str(out["cache_dir"])
    return out


def _serve_logging(verbose: bool) -> None:
    """INFO reaches the metrics hook (provider 429s); stderr still shows warnings only."""
    setup_logging(verbose)
    logger = logging.getLogger("summarizer")
    if not verbose:
        for handler in logger.handlers:
            handler.setLevel(logging.WARNING)
    logger.setLevel(logging.INFO)


def run_server(options: ServeOptions) -> None:
    """Start uvicorn (``options.workers`` processes); SIGTERM drains, then exit 0."""
    import os

    import uvicorn

    from summarizer.serve.auth import load_keys
    from summarizer.serve.config import CONFIG_VAR, ServeConfig, is_loopback

    keys = load_keys()
    checked = ServeConfig.build(options, keys)  # every setting checked before anything binds
    if not keys and not is_loopback(options.host):
        if not options.no_auth:
            raise ConfigError(
                f"refusing to serve on {options.host} without keys: set SUMMARIZER_SERVER_KEYS "
                "(or SUMMARIZER_SERVER_KEYS_FILE), bind 127.0.0.1, or pass --no-auth"
            )
        log.warning("serving on %s with --no-auth: anyone reaching it may use it", options.host)
    os.environ[CONFIG_VAR] = options.to_env()  # workers rebuild the app from this (no secrets)
    config = uvicorn.Config(
        "summarizer.serve.app:app_from_env",
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers,
        timeout_graceful_shutdown=int(options.grace),
        log_level="info",
        proxy_headers=False,
    )
    # uvicorn re-raises the signal once it has drained; by then exiting 0 is right
    signal.signal(signal.SIGTERM, _exit_zero)
    if options.workers > 1:
        from uvicorn.supervisors import Multiprocess

        _share_metrics(checked.state_dir / f"metrics-{options.port}")

        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        _draining_server()(config).run()


def _share_metrics(directory: Path) -> None:
    """Workers write their metrics here and ``/metrics`` sums them (see
    ``summarizer.serve.metrics``); emptied first: figures start at zero with the server."""
    import os

    from summarizer.serve.metrics import MULTIPROC_VAR

    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_VAR] = str(directory)


def _exit_zero(sig: int, frame: Any) -> None:
    raise SystemExit(0)


def _draining_server() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """Tells the app the process is stopping, so event streams end before the grace."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            from summarizer.serve.app import RUNNING

            for state in list(RUNNING):
                state.drain_soon()
            super().handle_exit(sig, frame)

    return Server


@app.command()
@run_flags
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Server processes.")] = 1,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Allow a non-loopback host without keys.")
    ] = False,
    max_body: Annotated[
        str, typer.Option("--max-body", help="Largest request body, e.g. 8MB (413 above).")
    ] = "8MB",
    max_inflight: Annotated[
        int, typer.Option("--max-inflight", help="Model calls at once, shared by all requests.")
    ] = 16,
    max_queue: Annotated[
        int, typer.Option("--max-queue", help="Requests waiting for a model call (503 past it).")
    ] = 64,
    rate_limit: Annotated[
        float | None,
        typer.Option("--rate-limit", help="Requests a minute per key (429 past it)."),
    ] = None,
    max_job_items: Annotated[
        int, typer.Option("--max-job-items", help="Articles one job may hold.")
    ] = 10_000,
    keep_jobs: Annotated[
        float,
        typer.Option("--keep-jobs", help="Days a finished job is kept (0: forever)."),
    ] = 7.0,
    grace: Annotated[
        float, typer.Option("--grace", help="Seconds in-flight requests get on SIGTERM.")
    ] = 30.0,
    state_dir: Annotated[
        str | None,
        typer.Option("--state-dir", help="Where jobs are kept. [env: SUMMARIZER_STATE_DIR]"),
    ] = None,
    allow_private_urls: AllowPrivateUrlsOpt = False,
    verbose: Verbose = False,
    *,
    run: dict[str, Any],
) -> None:
    """Serve the HTTP API: POST /v1/summaries, /v1/jobs; docs at /docs.

    Keys: SUMMARIZER_SERVER_KEYS (comma-separated) or SUMMARIZER_SERVER_KEYS_FILE.
    """
    if not _have_extra():
        typer.echo(INSTALL_HINT, err=True)
        raise typer.Exit(2)
    _serve_logging(verbose)
    with reported():
        from summarizer.config import parse_size
        from summarizer.serve.config import ServeOptions

        flags = _flags(run)
        options = ServeOptions(
            host=host, port=port, workers=workers, no_auth=no_auth,
            max_body=parse_size(max_body, "--max-body"), max_inflight=max_inflight,
            max_queue=max_queue, rate_limit=rate_limit, allow_private_urls=allow_private_urls,
            state_dir=state_dir, grace=grace, max_job_items=max_job_items,
            keep_jobs=keep_jobs, flags=flags,
        )  # fmt: skip
        run_server(options)
