"""Configuration, resolved once: explicit argument (CLI flag) > environment > default.

Environment variables: ``SUMMARIZER_ENGINE``, ``SUMMARIZER_MODEL``, ``SUMMARIZER_BASE_URL``,
``SUMMARIZER_API_KEY`` (falling back to ``OPENAI_API_KEY``), ``OPENAI_BASE_URL``,
``SUMMARIZER_MODE``, ``SUMMARIZER_TEMPERATURE``, ``SUMMARIZER_MAX_TOKENS``,
``SUMMARIZER_TIMEOUT``, ``SUMMARIZER_MAX_RETRIES``, ``SUMMARIZER_CACHE_DIR``...
(the README lists them all). The API key is held as a ``SecretStr`` and never printed.
"""

from __future__ import annotations

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
    chunk_overlap: int = 200  # tokens each chunk repeats from the previous one
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


def _check(s: Settings) -> Settings:
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
    if not 0 <= s.chunk_overlap < s.chunk_tokens // 2:
        raise ConfigError(
            f"chunk-overlap must be 0 or more and under half of chunk-tokens, got {s.chunk_overlap}"
        )
    if s.cache_size_limit <= 0:
        raise ConfigError(f"cache size limit must be positive, got {s.cache_size_limit}")
    if s.token_budget is not None and s.token_budget <= 0:
        raise ConfigError(f"token budget must be positive, got {s.token_budget}")
    if s.base_url is not None:
        parts = urlsplit(s.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"base URL {s.endpoint_host!r} is not an http(s) URL: use e.g. "
                "http://127.0.0.1:8000/v1"
            )
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
    return _check(replace(base or Settings(), **values))
