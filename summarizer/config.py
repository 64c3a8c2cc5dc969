"""Configuration, resolved once: explicit argument (CLI flag) > environment > default.

Environment variables: ``SUMMARIZER_ENGINE``, ``SUMMARIZER_MODEL``, ``SUMMARIZER_BASE_URL``,
``SUMMARIZER_API_KEY`` (falling back to ``OPENAI_API_KEY``), ``OPENAI_BASE_URL``,
``SUMMARIZER_MODE``, ``SUMMARIZER_TEMPERATURE``, ``SUMMARIZER_MAX_TOKENS``,
``SUMMARIZER_TIMEOUT``, ``SUMMARIZER_MAX_RETRIES``, ``SUMMARIZER_CACHE_DIR``...
(the README lists them all). The API key is held as a ``SecretStr`` and never printed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from summarizer.errors import ConfigError

Engine = Literal["auto", "llm", "extractive"]
MODES: tuple[str, ...] = ("tools", "json_schema", "json", "md_json")
ENGINES: tuple[str, ...] = ("auto", "llm", "extractive")
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_CHUNK_OVERLAP = 200
OPENAI_URL = "https://api.openai.com/v1"
NO_ENDPOINT_HELP = (
    "no model endpoint configured: set OPENAI_API_KEY (for OpenAI) or SUMMARIZER_BASE_URL / "
    "--base-url (for a local server such as http://127.0.0.1:8000/v1), or use --engine extractive"
)


@dataclass(frozen=True)
class Settings:
    """Everything that shapes one run. Build it with :func:`resolve_settings`."""

    engine: str = "auto"
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False)
    mode: str = "tools"
    temperature: float = 0.0
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int = 2048
    timeout: float = 60.0
    max_retries: int = 2  # validation re-asks (instructor)
    transport_retries: int = 4  # HTTP attempts after the first one (tenacity)
    deadline: float = 300.0  # seconds for all transport attempts of one request
    retry_max_wait: float = 30.0  # cap on one backoff sleep, Retry-After included
    token_budget: int | None = None
    max_input_chars: int = 1_000_000  # long articles are chunked; inputs.MAX_BYTES bounds files
    chunk_tokens: int = 6_000  # articles estimated above this are split into chunks this size
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP  # tokens each chunk repeats from the previous one
    concurrency: int = 8  # articles in flight in a batch
    cache: bool = True
    refresh: bool = False
    cache_dir: str | None = None
    cache_size_limit: int = 512 * 1024 * 1024
    prompts_dir: str | None = None

    @property
    def has_endpoint(self) -> bool:
        return self.base_url is not None or self.api_key is not None

    @property
    def effective_base_url(self) -> str:
        return self.base_url or OPENAI_URL

    @property
    def endpoint_host(self) -> str:
        """Scheme, host and path of the endpoint: never credentials or query strings."""
        parts = urlsplit(self.effective_base_url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{parts.scheme}://{host}{parts.path.rstrip('/')}"

    @property
    def resolved_engine(self) -> str:
        if self.engine == "auto":
            return "llm" if self.has_endpoint else "extractive"
        return self.engine

    def with_overrides(self, **overrides: Any) -> Settings:
        return resolve_settings(base=self, **overrides)


def _num(kind: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            return kind(raw)
        except ValueError as exc:
            raise ConfigError(
                f"environment variable {name}={raw!r} is not a valid {kind.__name__}"
            ) from exc

    return parse


def _bool(raw: str) -> bool:
    return raw.strip().lower() not in ("", "0", "false", "no", "off")


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(raw: str | int, name: str = "cache size limit") -> int:
    """Bytes from ``"536870912"``, ``"512MB"``, ``"512 MiB"``, ``"1g"`` (binary units)."""
    if isinstance(raw, int):
        return raw
    text = raw.strip().lower().replace(" ", "").removesuffix("ib").removesuffix("b")
    number, unit = text, ""
    if text and text[-1] in _SIZE_UNITS:
        number, unit = text[:-1], text[-1]
    try:
        return int(float(number) * _SIZE_UNITS[unit])
    except (ValueError, OverflowError):
        raise ConfigError(f"{name} {raw!r} is not a size: use bytes or e.g. 512MB, 2GB") from None


# field -> (environment variables in priority order, parser)
_ENV: dict[str, tuple[tuple[str, ...], Callable[[str], Any]]] = {
    "engine": (("SUMMARIZER_ENGINE",), str),
    "model": (("SUMMARIZER_MODEL",), str),
    "base_url": (("SUMMARIZER_BASE_URL", "OPENAI_BASE_URL"), str),
    "api_key": (("SUMMARIZER_API_KEY", "OPENAI_API_KEY"), SecretStr),
    "mode": (("SUMMARIZER_MODE",), str),
    "temperature": (("SUMMARIZER_TEMPERATURE",), _num(float, "SUMMARIZER_TEMPERATURE")),
    "top_p": (("SUMMARIZER_TOP_P",), _num(float, "SUMMARIZER_TOP_P")),
    "seed": (("SUMMARIZER_SEED",), _num(int, "SUMMARIZER_SEED")),
    "max_tokens": (("SUMMARIZER_MAX_TOKENS",), _num(int, "SUMMARIZER_MAX_TOKENS")),
    "timeout": (("SUMMARIZER_TIMEOUT",), _num(float, "SUMMARIZER_TIMEOUT")),
    "max_retries": (("SUMMARIZER_MAX_RETRIES",), _num(int, "SUMMARIZER_MAX_RETRIES")),
    "transport_retries": (
        ("SUMMARIZER_TRANSPORT_RETRIES",),
        _num(int, "SUMMARIZER_TRANSPORT_RETRIES"),
    ),
    "deadline": (("SUMMARIZER_DEADLINE",), _num(float, "SUMMARIZER_DEADLINE")),
    "retry_max_wait": (("SUMMARIZER_RETRY_MAX_WAIT",), _num(float, "SUMMARIZER_RETRY_MAX_WAIT")),
    "token_budget": (("SUMMARIZER_TOKEN_BUDGET",), _num(int, "SUMMARIZER_TOKEN_BUDGET")),
    "cache": (("SUMMARIZER_CACHE",), _bool),
    "cache_dir": (("SUMMARIZER_CACHE_DIR",), str),
    "cache_size_limit": (
        ("SUMMARIZER_CACHE_SIZE_LIMIT",),
        lambda raw: parse_size(raw, "SUMMARIZER_CACHE_SIZE_LIMIT"),
    ),
    "prompts_dir": (("SUMMARIZER_PROMPTS_DIR",), str),
    "max_input_chars": (("SUMMARIZER_MAX_INPUT_CHARS",), _num(int, "SUMMARIZER_MAX_INPUT_CHARS")),
    "chunk_tokens": (("SUMMARIZER_CHUNK_TOKENS",), _num(int, "SUMMARIZER_CHUNK_TOKENS")),
    "chunk_overlap": (("SUMMARIZER_CHUNK_OVERLAP",), _num(int, "SUMMARIZER_CHUNK_OVERLAP")),
    "concurrency": (("SUMMARIZER_CONCURRENCY",), _num(int, "SUMMARIZER_CONCURRENCY")),
}


# float settings: (flag or variable to name in a message, what a sensible value looks like)
_FLOATS: dict[str, tuple[str, str]] = {
    "temperature": ("--temperature / SUMMARIZER_TEMPERATURE", "0.0 to 2.0, e.g. 0"),
    "top_p": ("SUMMARIZER_TOP_P", "a value in (0, 1], e.g. 1"),
    "timeout": ("--timeout / SUMMARIZER_TIMEOUT", "seconds, e.g. 60"),
    "deadline": ("--deadline / SUMMARIZER_DEADLINE", "seconds, e.g. 300"),
    "retry_max_wait": ("SUMMARIZER_RETRY_MAX_WAIT", "seconds, e.g. 30"),
}


def _port_text(netloc: str) -> str:
    """The port part of ``[user[:password]@]host[:port]`` as written (never the password)."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport.partition("]")[2].removeprefix(":")
    return hostport.rpartition(":")[2] if ":" in hostport else ""


def _check_base_url(s: Settings) -> None:
    example = "e.g. http://127.0.0.1:8000/v1 (--base-url or SUMMARIZER_BASE_URL)"
    try:
        parts = urlsplit(s.effective_base_url)
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 address
        raise ConfigError(f"base URL is not a valid URL ({exc}): use {example}") from exc
    bad_port = (
        f"base URL port {_port_text(parts.netloc)!r} is not valid: use a port from 1 to 65535, "
        f"{example}"
    )
    try:
        port = parts.port  # ValueError when not a number or out of range
    except ValueError as exc:
        raise ConfigError(bad_port) from exc
    if port == 0:
        raise ConfigError(bad_port)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {s.endpoint_host!r} is not an http(s) URL: use {example}")


def _check(s: Settings, explicit_overlap: bool = True) -> Settings:
    """Validate ``s``. ``explicit_overlap``: the user chose ``chunk_overlap`` (not the default)."""
    for name, (where, hint) in _FLOATS.items():
        value = getattr(s, name)
        if value is not None and not math.isfinite(value):
            raise ConfigError(
                f"{name.replace('_', '-')} must be a finite number, got {value}: set "
                f"{where} to {hint}"
            )
    if s.engine not in ENGINES:
        raise ConfigError(f"unknown engine {s.engine!r}: choose one of {', '.join(ENGINES)}")
    if s.mode not in MODES:
        raise ConfigError(f"unknown mode {s.mode!r}: choose one of {', '.join(MODES)}")
    if not 0.0 <= s.temperature <= 2.0:
        raise ConfigError(f"temperature {s.temperature} is out of range: use 0.0 to 2.0")
    if s.top_p is not None and not 0.0 < s.top_p <= 1.0:
        raise ConfigError(f"top_p {s.top_p} is out of range: use a value in (0, 1]")
    for name in ("max_tokens", "timeout", "deadline"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"{name.replace('_', '-')} must be positive, got {getattr(s, name)}")
    for name in ("max_retries", "transport_retries", "retry_max_wait"):
        if getattr(s, name) < 0:
            raise ConfigError(f"{name.replace('_', '-')} must be 0 or more, got {getattr(s, name)}")
    for name in ("max_input_chars", "concurrency"):
        if getattr(s, name) < 1:
            raise ConfigError(f"{name.replace('_', '-')} must be 1 or more, got {getattr(s, name)}")
    if s.chunk_tokens < 400:
        raise ConfigError(f"chunk-tokens must be 400 or more, got {s.chunk_tokens}")
    # Chunking repeats at most a quarter of a chunk (chunking.LongArticle._split), so the
    # default overlap fits any chunk size; an overlap the user chose must fit theirs.
    overlap = s.chunk_overlap if explicit_overlap else min(s.chunk_overlap, s.chunk_tokens // 4)
    if not 0 <= overlap < s.chunk_tokens // 2:
        raise ConfigError(
            f"chunk-overlap must be 0 or more and under half of chunk-tokens "
            f"({s.chunk_tokens}), got {s.chunk_overlap}: lower SUMMARIZER_CHUNK_OVERLAP or "
            "raise SUMMARIZER_CHUNK_TOKENS"
        )
    if s.cache_size_limit <= 0:
        raise ConfigError(f"cache size limit must be positive, got {s.cache_size_limit}")
    if s.token_budget is not None and s.token_budget <= 0:
        raise ConfigError(f"token budget must be positive, got {s.token_budget}")
    if s.base_url is not None:
        _check_base_url(s)
    if s.engine == "llm" and not s.has_endpoint:
        raise ConfigError(NO_ENDPOINT_HELP)
    return s


def resolve_settings(
    env: Mapping[str, str] | None = None, base: Settings | None = None, **overrides: Any
) -> Settings:
    """Merge explicit values (``None`` means "not given") over the environment and defaults."""
    environ = os.environ if env is None else env
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    if base is None:
        for name, (names, parse) in _ENV.items():
            for var in names:
                raw = environ.get(var)
                if raw is not None and raw.strip() != "":
                    values[name] = parse(raw.strip())
                    break
    for name, value in overrides.items():
        if value is None:
            continue
        if name == "api_key" and isinstance(value, str):
            value = SecretStr(value)
        elif name == "cache_dir" and isinstance(value, os.PathLike):
            value = os.fspath(value)
        elif name == "cache_size_limit" and isinstance(value, str):
            value = parse_size(value)
        values[name] = value
    settings = replace(base or Settings(), **values)
    # an overlap is the user's choice if given now, or carried over from a base that had one
    explicit_overlap = "chunk_overlap" in values or (
        base is not None and base.chunk_overlap != DEFAULT_CHUNK_OVERLAP
    )
    return _check(settings, explicit_overlap)
