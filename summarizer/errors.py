"""One error tree for the whole library.

The library raises these and never prints or exits; the CLI maps each class to one
line on stderr and a documented exit code (see ``EXIT_CODES`` and the README); the HTTP
service (``summarizer serve``) answers each with its ``http_status``.
"""

from __future__ import annotations

from typing import Any


class SummarizerError(Exception):
    """Base class of every error this library raises on purpose."""

    exit_code: int = 1
    http_status: int = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message


class ConfigError(SummarizerError):
    """The configuration is missing or invalid (no endpoint, bad flag value...)."""

    exit_code = 2
    http_status = 422


class InputError(SummarizerError):
    """The article cannot be read or is not usable text."""

    exit_code = 3
    http_status = 422


class OutputError(SummarizerError):
    """The result cannot be written: standard output is closed, a broken pipe, a full disk."""

    exit_code = 1


class ProviderError(SummarizerError):
    """The model endpoint failed: network, HTTP status, malformed answer."""

    exit_code = 4
    http_status = 502


class AuthenticationError(ProviderError):
    """The endpoint rejected the API key (HTTP 401/403)."""

    exit_code = 5
    http_status = 502


class ModelNotFoundError(ProviderError):
    """The endpoint does not serve the requested model (HTTP 404)."""

    exit_code = 6
    http_status = 422


class ContextLengthError(ProviderError):
    """The prompt did not fit the model's context window."""

    exit_code = 7
    http_status = 422


class TruncatedOutputError(ProviderError):
    """The model stopped at its token limit (``finish_reason == "length"``)."""

    exit_code = 8
    http_status = 502


class BudgetExceeded(SummarizerError):
    """The token budget for one article was spent before a valid answer arrived."""

    exit_code = 9
    http_status = 422


class ValidationFailed(SummarizerError):
    """The model's answers never passed validation within the allowed re-asks."""

    exit_code = 10
    http_status = 502


class CacheError(SummarizerError):
    """The cache directory cannot be used (only raised by explicit cache commands)."""

    exit_code = 11
    http_status = 503


class EvalFailed(SummarizerError):
    """An eval run scored below its thresholds."""

    exit_code = 12
    http_status = 500


#: ``summarizer batch``: at least one article failed (each failure's code is in its line).
EXIT_SOME_FAILED = 13
#: Interrupted with Ctrl-C (SIGINT).
EXIT_INTERRUPTED = 130

#: Exit codes used by the CLI, most specific class first. 0 is success.
EXIT_CODES: dict[type[SummarizerError], int] = {
    cls: cls.exit_code
    for cls in (
        ConfigError,
        InputError,
        AuthenticationError,
        ModelNotFoundError,
        ContextLengthError,
        TruncatedOutputError,
        ProviderError,
        BudgetExceeded,
        ValidationFailed,
        CacheError,
        EvalFailed,
        OutputError,
        SummarizerError,
    )
}
