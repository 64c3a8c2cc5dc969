"""The loggers this library owns or drives: silent by default, never carrying a secret.

The library never prints. Its own loggers (``summarizer.*``, from ``getLogger(__name__)``)
have a ``NullHandler`` at the top, and so do the loggers of the libraries it drives
(``instructor``, ``openai``, ``httpx2``, ``httpcore2``), so nothing reaches Python's
last-resort handler when an application configured no logging: instructor logs every
failed call at ERROR with the provider's raw text, which may echo an API key.

When an application does configure logging, records still pass through
:class:`RedactSecrets`, attached to every logger of those libraries that exists once
they are imported (a filter on a logger only sees that logger's own records), so a key
the server echoed is blanked before any handler formats it.
"""

from __future__ import annotations

import logging
import threading

from summarizer.secrets import environment_secrets, redact

OWN = "summarizer"
DRIVEN = ("instructor", "openai", "httpx2", "httpcore2")
_SECRETS: set[str] = set()
_LOCK = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Blank ``value`` out of every record from now on (an API key given in code)."""
    if value:
        with _LOCK:
            _SECRETS.add(value)


def scrub(text: str) -> str:
    """``text`` without any secret this process knows of."""
    return redact(text, [*_SECRETS, *environment_secrets()])


class RedactSecrets(logging.Filter):
    """Rewrites a record's message with every known secret blanked out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text = str(error)
            if scrub(text) != text:  # a traceback would print the raw text: drop it
                record.exc_info, record.exc_text = None, None
                record.msg = f"{record.msg} ({type(error).__name__}: {scrub(text)})"
        return True


_FILTER = RedactSecrets()


def quiet_driven_libraries() -> None:
    """A ``NullHandler`` on each driven library's logger, and :class:`RedactSecrets` on
    each of their loggers (and ours) that exists now. Call it after importing them; it is cheap and
    idempotent."""
    with _LOCK:
        for name in DRIVEN:
            top = logging.getLogger(name)
            if not any(isinstance(h, logging.NullHandler) for h in top.handlers):
                top.addHandler(logging.NullHandler())
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if not isinstance(logger, logging.Logger) or name.split(".")[0] not in (*DRIVEN, OWN):
                continue
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
