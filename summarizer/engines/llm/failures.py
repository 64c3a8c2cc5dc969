"""What went wrong talking to the model, in the library's error tree.

:func:`retryable` decides what the transport retries: HTTP 408, 409, 429 (except
``insufficient_quota``), 500 (except one saying the prompt does not fit the context
window), 502, 503, 504, timeouts and connection errors. Never retried: 400, 401, 403,
404, 422 and anything else another attempt cannot fix. :func:`classify` maps an ``openai``
exception to one :class:`~summarizer.errors.SummarizerError` with a one-line message that
names the endpoint (never credentials) and says what to change; :func:`translate` does
the same for whatever instructor raised, unwrapping its wrappers.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from summarizer.errors import (
    AuthenticationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderError,
    SummarizerError,
    ValidationFailed,
)
from summarizer.secrets import redact

if TYPE_CHECKING:
    from summarizer.config import Settings

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
# What servers say when the prompt does not fit: OpenAI and vLLM ("This model's maximum
# context length is N tokens"), vLLM V1 ("... longer than the maximum model length of N"),
# llama.cpp server ("the request exceeds the available context size"), llama-cpp-python
# ("Requested tokens (N) exceed context window of M"), Ollama ("input length exceeds the
# context length").
_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "exceed_context_size_error",
    "context length",
    "maximum context",
    "context window",
    "available context size",
    "maximum model length",
    "too many tokens",
    "exceeds the context",
    "n_ctx",
)
# The error's ``type`` / ``code`` when the server sets one: OpenAI's code, llama.cpp's type.
_CONTEXT_KINDS = frozenset({"context_length_exceeded", "exceed_context_size_error"})
# Statuses a context-length rejection comes with: 400 mostly, 413/422 from some proxies, 500
# from llama-cpp-python (an unformatted ValueError) and some Ollama versions.
_CONTEXT_STATUSES = frozenset({400, 413, 422, 500})
_QUOTA_MARKERS = ("insufficient_quota", "exceeded your current quota")


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def is_quota(body: Any) -> bool:
    """OpenAI's 429 ``insufficient_quota``: out of credit, which no retry fixes."""
    text = str(body if body is not None else "").lower()
    return any(m in text for m in _QUOTA_MARKERS)


def _error_kinds(body: Any) -> set[str]:
    """The lower-cased string ``type`` and ``code`` of an error body (top level or ``error``)."""
    kinds: set[str] = set()
    if isinstance(body, dict):
        for part in (body, body.get("error")):
            if isinstance(part, dict):
                for key in ("type", "code"):
                    value = part.get(key)
                    if isinstance(value, str):
                        kinds.add(value.strip().lower())
    return kinds


def body_message(body: Any, fallback: str = "") -> str:
    """The server's own message in an error body (``{"error": {"message": ...}}``)."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    if isinstance(body, str) and body:
        return body
    return fallback


def says_context_length(status: int | None, body: Any) -> bool:
    """Whether a rejection says the prompt is too long for the model's context window."""
    if status not in _CONTEXT_STATUSES:
        return False
    if _error_kinds(body) & _CONTEXT_KINDS:
        return True
    message = " ".join(body_message(body).lower().split())
    return any(m in message for m in _CONTEXT_MARKERS)


def is_context_length(exc: BaseException) -> bool:
    """:func:`says_context_length` for an ``openai`` exception."""
    return says_context_length(status_of(exc), getattr(exc, "body", None) or _server_message(exc))


def retryable(status: int, body: Any) -> bool:
    """Whether another attempt at a request answered with ``status`` could succeed.

    Not a 429 for a used-up quota, nor a 500 that says the prompt does not fit: the same
    request fails the same way.
    """
    return status in RETRY_STATUSES and not is_quota(body) and not says_context_length(status, body)


def wait_asked(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` / ``Retry-After``), if any.

    A negative, non-numeric or non-finite value is no request at all (the caller backs off
    as usual); an HTTP date in the past means "now".
    """
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, parsed.timestamp() - (time.time() if now is None else now))
    return value if math.isfinite(value) and value >= 0 else None


def retry_after(exc: BaseException) -> float | None:
    """:func:`wait_asked` for an exception that carries an HTTP response."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return None if headers is None else wait_asked(headers)


def reason(exc: BaseException) -> str:
    """A short label for a log line: ``HTTP 503`` or ``APITimeoutError``."""
    status = status_of(exc)
    if status is not None:
        return f"HTTP {status}"
    return type(exc).__name__


def _server_message(exc: BaseException) -> str:
    return body_message(getattr(exc, "body", None), str(getattr(exc, "message", "") or exc))


def secrets_of(settings: Settings) -> list[str]:
    """The secrets to blank out of anything said about ``settings``' endpoint."""
    return [settings.api_key.get_secret_value()] if settings.api_key else []


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def not_json_error(settings: Settings, snippet: str = "") -> ProviderError:
    """A 200 whose body is not a chat completion: usually a wrong ``--base-url``."""
    shown = _one_line(redact(snippet, secrets_of(settings)), 60)
    start = f" (body starts {shown!r})" if snippet else ""
    return ProviderError(
        f"{settings.endpoint_host} answered with something that is not a chat completion"
        f"{start}: check that --base-url is an OpenAI-compatible API (usually ending in /v1)"
    )


def classify(
    exc: BaseException, settings: Settings, requests: int = 1, note: str | None = None
) -> SummarizerError | None:
    """Our error for an ``openai`` exception, or None if ``exc`` is not one.

    Messages are one line, name the endpoint by scheme/host/path only, never contain the
    API key, and say what to change. ``note`` (why the retry loop stopped) is appended.
    """
    import openai

    host = settings.endpoint_host
    tries = f" after {requests} request(s)" if requests > 1 and not note else ""
    tail = f"; {note}" if note else ""
    err: SummarizerError
    if isinstance(exc, openai.APITimeoutError):
        err = ProviderError(
            f"{host} did not answer in time{tries} (--timeout={settings.timeout:g}s per "
            f"request, --deadline={settings.deadline:g}s in all){tail}"
        )
    elif isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f": {type(cause).__name__}" if cause else ""
        err = ProviderError(f"cannot reach {host}{tries} (connection failed{detail}){tail}")
    elif isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        # Never echo the server's text here: OpenAI's 401 message quotes part of the key.
        err = AuthenticationError(
            f"{host} rejected the API key (HTTP {exc.status_code}): check SUMMARIZER_API_KEY "
            "or OPENAI_API_KEY"
        )
    elif isinstance(exc, openai.NotFoundError):
        err = ModelNotFoundError(
            f"model {settings.model!r} was not found at {host} (HTTP 404): check --model "
            "or SUMMARIZER_MODEL, and that --base-url ends in /v1"
        )
    elif isinstance(exc, openai.APIStatusError):
        message = _one_line(redact(_server_message(exc), secrets_of(settings)))
        status = exc.status_code
        if is_context_length(exc):
            err = ContextLengthError(
                f"the article does not fit the context window of {settings.model!r} "
                f"(HTTP {status}): use a model with a longer context or a shorter article, "
                f"or lower --max-tokens; server said: {message}"
            )
        elif status == 429 and is_quota(getattr(exc, "body", None)):
            err = ProviderError(
                f"{host} refused the request: the account's quota is used up (HTTP 429, "
                f"not retried): {message}"
            )
        elif status == 429:
            err = ProviderError(f"{host} kept rate-limiting (HTTP 429){tries}: {message}{tail}")
        elif status >= 500:
            err = ProviderError(f"{host} failed with HTTP {status}{tries}: {message}{tail}")
        else:
            err = ProviderError(f"{host} rejected the request (HTTP {status}): {message}")
    elif isinstance(exc, openai.APIResponseValidationError):
        err = not_json_error(settings)
    elif isinstance(exc, openai.OpenAIError):
        err = ProviderError(f"{host}: {_one_line(redact(str(exc), secrets_of(settings)))}")
    else:
        return None
    return err


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes / contexts, outermost first, each once."""
    seen: set[int] = set()
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    return chain


def last_validation_error(exc: BaseException) -> str:
    """The first validation message of instructor's last failed attempt, as one line."""
    failed = getattr(exc, "failed_attempts", None) or []
    err: Any = failed[-1].exception if failed else exc
    errors = getattr(err, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            return f"{loc}: {first.get('msg', '')}".strip(": ")
        except Exception:
            pass
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def translate(
    exc: BaseException, settings: Settings, attempts: int, requests: int, note: str | None
) -> SummarizerError:
    """Map what instructor/openai raised to our error tree (the caller chains it).

    An error of ours raised inside the transport (a budget, a truncated answer) comes back
    wrapped by the SDK and by instructor: it is found anywhere in the chain first.
    """
    from instructor.core.exceptions import InstructorRetryException

    chain = _chain(exc)
    for cur in chain:
        if isinstance(cur, SummarizerError):
            return cur
    for cur in chain:
        mapped = classify(cur, settings, requests, note)
        if mapped is not None:
            return mapped
    if isinstance(exc, InstructorRetryException) and attempts > 0:
        # The model answered (attempts counts answers), so what failed was the answer.
        last = last_validation_error(exc)
        return ValidationFailed(
            f"the model's answer failed validation after {attempts} attempt(s) "
            f"({settings.max_retries} re-ask(s) allowed): {redact(last, secrets_of(settings))}",
            attempts=attempts,
        )
    failed = getattr(exc, "failed_attempts", None) or []
    inner = failed[-1].exception if failed else (exc.__cause__ or exc)
    text = redact(str(inner), secrets_of(settings))
    detail = f"{type(inner).__name__}: {text}".splitlines()[0][:300]
    return ProviderError(f"unexpected failure talking to {settings.endpoint_host}: {detail}")
