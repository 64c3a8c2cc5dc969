"""What an operator sets for ``summarizer serve``: limits, keys, state, the default settings."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from summarizer.config import Settings, resolve_settings
from summarizer.errors import ConfigError

#: Where ``summarizer serve`` passes its options to worker processes (no secrets in it).
CONFIG_VAR = "SUMMARIZER_SERVE_CONFIG"
STATE_DIR_VAR = "SUMMARIZER_STATE_DIR"


def default_state_dir() -> Path:
    from platformdirs import user_state_dir

    raw = os.environ.get(STATE_DIR_VAR, "").strip()
    return Path(raw).expanduser() if raw else Path(user_state_dir("summarizer", appauthor=False))


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeOptions:
    """The server's own options (the ``summarize`` flags travel as ``flags``)."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    no_auth: bool = False
    max_body: int = 8 * 1024 * 1024
    max_inflight: int = 16
    max_queue: int = 64
    rate_limit: float | None = None  # requests a minute per key
    allow_private_urls: bool = False
    state_dir: str | None = None
    grace: float = 30.0
    max_job_items: int = 10_000
    keep_jobs: float = 7.0  # days a finished job is kept (0: forever)
    flags: dict[str, Any] = field(default_factory=dict)

    def check(self) -> ServeOptions:
        for name in ("max_body", "max_inflight", "max_job_items", "workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be 1 or more")
        if self.max_queue < 0:
            raise ConfigError("--max-queue must be 0 or more")
        if self.rate_limit is not None and not self.rate_limit > 0:
            raise ConfigError("--rate-limit must be a positive number of requests a minute")
        if not 0 <= self.keep_jobs <= 36500:
            raise ConfigError("--keep-jobs must be 0 (forever) to 36500 days")
        if not 0 <= self.grace < 3600:
            raise ConfigError("--grace must be 0 to 3600 seconds")
        return self

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServeOptions:
        raw = os.environ.get(CONFIG_VAR)
        if not raw:
            return cls()
        data = json.loads(raw)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class ServeConfig:
    """Everything one server process runs with."""

    settings: Settings
    options: ServeOptions = field(default_factory=ServeOptions)
    keys: tuple[SecretStr, ...] = ()
    state_dir: Path = field(default_factory=default_state_dir)

    @classmethod
    def build(cls, options: ServeOptions, keys: tuple[SecretStr, ...]) -> ServeConfig:
        settings = resolve_settings(**options.flags)
        state = Path(options.state_dir).expanduser() if options.state_dir else default_state_dir()
        return cls(settings, options.check(), keys, state)

    def secrets(self) -> list[str]:
        """Every secret this server holds: the provider key and the server keys."""
        values = [k.get_secret_value() for k in self.keys]
        if self.settings.api_key is not None:
            values.append(self.settings.api_key.get_secret_value())
        return [v for v in values if v]

    def scrub(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text
