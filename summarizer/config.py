"""Configuration, declared once and resolved once: flag (argument) > environment > default.

Every setting is one field of :class:`Settings` (a ``pydantic-settings`` model): its type,
its limits, its default and its environment variable(s) are declared together, and the CLI
flag is the field name with dashes (``max_tokens`` -> ``--max-tokens``). The environment
variable is ``SUMMARIZER_<FIELD>``; ``api_key`` and ``base_url`` fall back to
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``. The API key is a ``SecretStr`` and never printed.
Every invalid value is a :class:`~summarizer.errors.ConfigError` naming the flag and the
variable, and what a good value looks like.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from summarizer.choices import ENGINES, EVIDENCE_MODES, MODES, EngineName, EvidenceName, ModeName
from summarizer.errors import ConfigError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_CHUNK_OVERLAP = 200
OPENAI_URL = "https://api.openai.com/v1"
NO_ENDPOINT_HELP = (
    "no model endpoint configured: set OPENAI_API_KEY (for OpenAI) or SUMMARIZER_BASE_URL / "
    "--base-url (for a local server such as http://127.0.0.1:8000/v1), or use --engine extractive"
)
BASE_URL_EXAMPLE = "e.g. http://127.0.0.1:8000/v1 (--base-url or SUMMARIZER_BASE_URL)"

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


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML file ``path`` as a dict; a :class:`ConfigError` naming ``what`` it is."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from exc


def _size(raw: Any) -> Any:
    try:
        return parse_size(raw) if isinstance(raw, str) else raw
    except ConfigError:
        raise ValueError("is not a size") from None


def _env(*names: str) -> Any:
    return AliasChoices(*names)


def _setting(default: Any, *env: str, **limits: Any) -> Any:
    """A field whose environment variables are ``env`` (first wins); limits as in ``Field``."""
    return Field(default, validation_alias=_env(*env), **limits)


#: The environment :func:`resolve_settings` reads (``None``: ``os.environ``).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("summarizer_environ", default=None)


class _Environment(EnvSettingsSource):
    """``os.environ``, or the mapping given to :func:`resolve_settings`; blank values are unset."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _ENVIRON.get()
        source = os.environ if environ is None else environ
        present = {k: v.strip() for k, v in source.items() if v is not None and v.strip() != ""}
        return parse_env_vars(present, self.case_sensitive, True, self.env_parse_none_str)


class Settings(BaseSettings):
    """Everything that shapes one run. Build it with :func:`resolve_settings`."""

    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, extra="forbid", validate_default=False
    )

    engine: EngineName = _setting("auto", "SUMMARIZER_ENGINE")
    model: str = _setting(DEFAULT_MODEL, "SUMMARIZER_MODEL", min_length=1)
    base_url: str | None = _setting(None, "SUMMARIZER_BASE_URL", "OPENAI_BASE_URL")
    api_key: SecretStr | None = Field(
        None, validation_alias=_env("SUMMARIZER_API_KEY", "OPENAI_API_KEY"), repr=False
    )
    mode: ModeName = _setting("tools", "SUMMARIZER_MODE")
    temperature: float = _setting(
        0.0, "SUMMARIZER_TEMPERATURE", ge=0.0, le=2.0, allow_inf_nan=False
    )
    top_p: float | None = _setting(None, "SUMMARIZER_TOP_P", gt=0.0, le=1.0, allow_inf_nan=False)
    seed: int | None = _setting(None, "SUMMARIZER_SEED")
    max_tokens: int = _setting(2048, "SUMMARIZER_MAX_TOKENS", gt=0)
    #: seconds for one HTTP request, whole (connect, send, every byte of the answer)
    timeout: float = _setting(60.0, "SUMMARIZER_TIMEOUT", gt=0, allow_inf_nan=False)
    #: validation re-asks (instructor)
    max_retries: int = _setting(2, "SUMMARIZER_MAX_RETRIES", ge=0)
    #: HTTP attempts after the first one for 5xx / timeouts / connection errors
    transport_retries: int = _setting(4, "SUMMARIZER_TRANSPORT_RETRIES", ge=0)
    #: seconds for all transport attempts of one model call, waits included
    deadline: float = _setting(300.0, "SUMMARIZER_DEADLINE", gt=0, allow_inf_nan=False)
    #: cap on one backoff sleep, Retry-After included
    retry_max_wait: float = _setting(30.0, "SUMMARIZER_RETRY_MAX_WAIT", ge=0, allow_inf_nan=False)
    token_budget: int | None = _setting(None, "SUMMARIZER_TOKEN_BUDGET", gt=0)
    #: provider rate limits shared by every call to this endpoint and key (None: learned
    #: from the x-ratelimit-* headers of the answers)
    rpm: float | None = _setting(None, "SUMMARIZER_RPM", gt=0, allow_inf_nan=False)
    tpm: int | None = _setting(None, "SUMMARIZER_TPM", gt=0)
    #: a TOML price file over the shipped one (summarizer/data/prices.toml)
    prices: str | None = _setting(None, "SUMMARIZER_PRICES")
    #: batch: stop sending new articles once they cost this many US dollars
    cost_budget: float | None = _setting(None, "SUMMARIZER_COST_BUDGET", gt=0, allow_inf_nan=False)
    #: long articles are chunked; inputs.MAX_BYTES bounds files
    max_input_chars: int = _setting(1_000_000, "SUMMARIZER_MAX_INPUT_CHARS", ge=1)
    #: articles estimated above this many tokens are split into chunks this size
    chunk_tokens: int = _setting(6_000, "SUMMARIZER_CHUNK_TOKENS", ge=400)
    #: tokens each chunk repeats from the previous one
    chunk_overlap: int = _setting(DEFAULT_CHUNK_OVERLAP, "SUMMARIZER_CHUNK_OVERLAP")
    #: articles in flight in a batch
    concurrency: int = _setting(8, "SUMMARIZER_CONCURRENCY", ge=1)
    cache: bool = _setting(True, "SUMMARIZER_CACHE")
    refresh: bool = _setting(False, "SUMMARIZER_REFRESH")
    cache_dir: str | None = _setting(None, "SUMMARIZER_CACHE_DIR")
    cache_size_limit: Annotated[int, BeforeValidator(_size)] = _setting(
        512 * 1024 * 1024, "SUMMARIZER_CACHE_SIZE_LIMIT", gt=0
    )
    prompts_dir: str | None = _setting(None, "SUMMARIZER_PROMPTS_DIR")
    #: fail (exit 10) rather than drop list items that still fail after the re-asks
    strict: bool = _setting(False, "SUMMARIZER_STRICT")
    #: how the model cites: verbatim quotes, or ids of the article's numbered sentences
    evidence: EvidenceName = _setting("quotes", "SUMMARIZER_EVIDENCE")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls)

    # -- derived ---------------------------------------------------------------------------
    @property
    def has_endpoint(self) -> bool:
        return self.base_url is not None or self.api_key is not None

    @property
    def effective_base_url(self) -> str:
        """The base URL without its query string (see :attr:`base_query`)."""
        parts = urlsplit(self.base_url or OPENAI_URL)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    @property
    def base_query(self) -> dict[str, str]:
        """Query parameters of the base URL (Azure's ``api-version``), sent on every request."""
        return dict(parse_qsl(urlsplit(self.base_url or OPENAI_URL).query))

    @property
    def endpoint_host(self) -> str:
        """Scheme, host and path of the endpoint: never credentials or query strings."""
        parts = urlsplit(self.effective_base_url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
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


FIELDS: tuple[str, ...] = tuple(Settings.model_fields)


def env_names(name: str) -> tuple[str, ...]:
    """The environment variables of setting ``name``, in priority order."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (f"SUMMARIZER_{name.upper()}",)


def where(name: str) -> str:
    """``--max-tokens / SUMMARIZER_MAX_TOKENS``: how a user sets ``name``."""
    return f"--{name.replace('_', '-')} / {env_names(name)[0]}"


_HINTS = {
    "engine": f"one of {', '.join(ENGINES)}",
    "mode": f"one of {', '.join(MODES)}",
    "evidence": f"one of {', '.join(EVIDENCE_MODES)}",
    "temperature": "0.0 to 2.0, e.g. 0",
    "top_p": "a value in (0, 1], e.g. 1",
    "timeout": "seconds, e.g. 60",
    "deadline": "seconds, e.g. 300",
    "retry_max_wait": "seconds, e.g. 30",
    "chunk_tokens": "400 or more, e.g. 6000",
    "cache_size_limit": "bytes or e.g. 512MB",
    "rpm": "requests per minute, e.g. 500",
    "tpm": "tokens per minute, e.g. 200000",
    "cost_budget": "US dollars, e.g. 5",
}


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]) if first.get("loc") else "setting"
    field = (
        name
        if name in Settings.model_fields
        else next((f for f in FIELDS if name in env_names(f)), name)
    )
    label = field.replace("_", "-")
    kind, value = first.get("type", ""), first.get("input")
    if field == "engine" and kind == "literal_error":
        return f"unknown engine {value!r}: choose one of {', '.join(ENGINES)}"
    if field == "mode" and kind == "literal_error":
        return f"unknown mode {value!r}: choose one of {', '.join(MODES)}"
    if field == "evidence" and kind == "literal_error":
        return f"unknown evidence mode {value!r}: choose one of {', '.join(EVIDENCE_MODES)}"
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "greater_than") and first.get("ctx", {}).get("ge") == 0:
        message = "must be 0 or more"
    elif kind == "greater_than" and first.get("ctx", {}).get("gt") == 0:
        message = "must be positive"
    elif kind == "finite_number":
        message = "must be a finite number"
    hint = _HINTS.get(field)
    shown = "" if field == "api_key" else f", got {value!r}"
    tail = f": set {where(field)} to {hint}" if hint else f" (set {where(field)})"
    return f"{label} {message}{shown}{tail}" if field in Settings.model_fields else str(error)


def _port_text(netloc: str) -> str:
    """The port part of ``[user[:password]@]host[:port]`` as written (never the password)."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport.partition("]")[2].removeprefix(":")
    return hostport.rpartition(":")[2] if ":" in hostport else ""


def check_base_url(url: str) -> str:
    """``url`` stripped, or a :class:`ConfigError` that says what is wrong with it."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 address
        raise ConfigError(f"base URL is not a valid URL ({exc}): use {BASE_URL_EXAMPLE}") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        shown = url if "@" not in url else "(a URL with credentials)"
        raise ConfigError(
            f"base URL {shown!r} is not an http(s) URL with a host: use {BASE_URL_EXAMPLE}"
        )
    bad_port = (
        f"base URL port {_port_text(parts.netloc)!r} is not valid: use a port from 1 to 65535, "
        f"{BASE_URL_EXAMPLE}"
    )
    try:
        port = parts.port  # ValueError when not a number or out of range
    except ValueError as exc:
        raise ConfigError(bad_port) from exc
    if port == 0:
        raise ConfigError(bad_port)
    if not parts.hostname:
        raise ConfigError(f"base URL has no host: use {BASE_URL_EXAMPLE}")
    if parts.username is not None or parts.password is not None:
        # The SDK would send them as Basic auth and drop the Bearer key.
        raise ConfigError(
            "the base URL carries credentials (user:password@): remove them and set the key "
            "with SUMMARIZER_API_KEY or OPENAI_API_KEY"
        )
    if parts.fragment:
        raise ConfigError(f"base URL has a #fragment, which no API uses: use {BASE_URL_EXAMPLE}")
    return url


def _check(s: Settings, explicit_overlap: bool) -> Settings:
    """Cross-field rules (each field's own limits are declared on the field)."""
    # Chunking repeats at most a quarter of a chunk (chunked.LongArticle), so the default
    # overlap fits any chunk size; an overlap the user chose must fit theirs.
    overlap = s.chunk_overlap if explicit_overlap else min(s.chunk_overlap, s.chunk_tokens // 4)
    if not 0 <= overlap < s.chunk_tokens // 2:
        raise ConfigError(
            f"chunk-overlap must be 0 or more and under half of chunk-tokens "
            f"({s.chunk_tokens}), got {s.chunk_overlap}: lower SUMMARIZER_CHUNK_OVERLAP or "
            "raise SUMMARIZER_CHUNK_TOKENS"
        )
    if s.engine == "llm" and not s.has_endpoint:
        raise ConfigError(NO_ENDPOINT_HELP)
    return s


def _coerce(name: str, value: Any) -> Any:
    if name in ("cache_dir", "prices") and isinstance(value, os.PathLike):
        return os.fspath(value)
    if name == "base_url" and isinstance(value, str):
        return check_base_url(value)
    return value


def resolve_settings(
    env: Mapping[str, str] | None = None, base: Settings | None = None, **overrides: Any
) -> Settings:
    """Merge explicit values (``None`` means "not given") over the environment and defaults.

    ``env`` replaces ``os.environ`` (tests); with ``base``, the environment is not read
    again: ``base`` was resolved already and ``overrides`` go over it.
    """
    unknown = set(overrides) - set(FIELDS)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    given = {k: _coerce(k, v) for k, v in overrides.items() if v is not None}
    token = _ENVIRON.set({} if base is not None else env)
    try:
        if base is not None:
            values = {**base.model_dump(), **given}
            settings = Settings(**values)
            chosen = base.model_fields_set | set(given)
        else:
            settings = Settings(**given)
            chosen = settings.model_fields_set
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    finally:
        _ENVIRON.reset(token)
    if settings.base_url is not None and "base_url" not in given:
        check_base_url(settings.base_url)  # from the environment
    explicit_overlap = "chunk_overlap" in chosen and (
        base is None or "chunk_overlap" in given or base.chunk_overlap != DEFAULT_CHUNK_OVERLAP
    )
    return _check(settings, explicit_overlap)
