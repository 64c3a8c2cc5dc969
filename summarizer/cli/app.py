"""The ``summarizer`` Typer app, its logging, and the one place errors become exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn, TextIO

import typer

from summarizer import __version__
from summarizer.batch.inputs import printable
from summarizer.errors import EXIT_CODES, EXIT_INTERRUPTED, OutputError, SummarizerError

app = typer.Typer(
    name="summarizer",
    help="Turn a news article into a typed, verifiable structured summary.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_state: dict[str, bool] = {"verbose": False}


class _StderrHandler(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (a test runner may swap it per call),
    every line with secrets blanked out."""

    def emit(self, record: logging.LogRecord) -> None:
        from summarizer.logs import scrub

        try:
            sys.stderr.write(scrub(self.format(record)) + "\n")
        except Exception:
            self.handleError(record)


def setup_logging(verbose: bool) -> None:
    """The library's own records on stderr (INFO with ``-v``, else WARNING and up).

    Driven libraries (instructor logs every failed call with the server's raw text) stay
    off stderr: the library's one-line, redacted messages replace them.
    """
    _state["verbose"] = verbose
    logger = logging.getLogger("summarizer")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("summarizer: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def _redact(text: str) -> str:
    """Blank out the API key: a traceback's chained causes carry the server's raw text."""
    from summarizer.logs import scrub

    return scrub(text)


def stdout() -> TextIO:
    """Standard output, or :class:`OutputError` if the process was started with it closed
    (``>&-``): checked before any work, so a result is never computed only to be lost."""
    if sys.stdout is None:
        raise OutputError(
            "standard output is closed, so the result would be lost: use -o FILE, "
            "or leave standard output open"
        )
    return sys.stdout


def write_stdout(text: str) -> None:
    """``text`` on standard output, flushed; a failed write is an :class:`OutputError`."""
    stream = stdout()
    try:
        stream.write(text)
        stream.flush()
    except OSError as exc:  # EPIPE (the reader went away), ENOSPC, EBADF
        raise OutputError(
            f"cannot write the result to standard output ({exc.strerror or exc})"
        ) from exc


def fail(exc: BaseException) -> NoReturn:
    """One line on stderr and a documented exit code; traceback only with --verbose."""
    if _state["verbose"]:
        import traceback

        sys.stderr.write(_redact("".join(traceback.format_exception(exc))))
    if isinstance(exc, SummarizerError):
        code = next((c for cls, c in EXIT_CODES.items() if isinstance(exc, cls)), 1)
        typer.echo(f"summarizer: error: {printable(_redact(str(exc)))}", err=True)
        raise typer.Exit(code)
    if isinstance(exc, OSError):  # e.g. -o into a missing directory
        typer.echo(f"summarizer: error: {printable(_redact(str(exc)))}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"summarizer: internal error: {type(exc).__name__}: {printable(_redact(str(exc)))} "
        "(rerun with -v for the traceback)",
        err=True,
    )
    raise typer.Exit(1)


@contextmanager
def reported() -> Iterator[None]:
    """Turn any failure inside a command into one stderr line and its exit code."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        typer.echo("summarizer: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        fail(exc)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"summarizer {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn a news article into a typed, verifiable structured summary."""
