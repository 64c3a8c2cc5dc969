"""Bearer-token keys for ``/v1/*``: loaded from the environment, compared in constant time.

``SUMMARIZER_SERVER_KEYS`` holds comma-separated tokens, ``SUMMARIZER_SERVER_KEYS_FILE``
names a file with one per line (``#`` comments and blank lines ignored); both may be set.
A key is identified in rate limits by a short hash, never by its text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from summarizer.errors import ConfigError

KEYS_VAR = "SUMMARIZER_SERVER_KEYS"
KEYS_FILE_VAR = "SUMMARIZER_SERVER_KEYS_FILE"
MIN_KEY_LENGTH = 16


def load_keys(env: Mapping[str, str] | None = None) -> tuple[SecretStr, ...]:
    environ = os.environ if env is None else env
    tokens = [t.strip() for t in environ.get(KEYS_VAR, "").split(",")]
    name = environ.get(KEYS_FILE_VAR, "").strip()
    if name:
        try:
            lines = Path(name).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{KEYS_FILE_VAR}: cannot read {name} ({exc})") from exc
        tokens += [line.strip() for line in lines if not line.lstrip().startswith("#")]
    keys = [t for t in tokens if t]
    short = [i for i, t in enumerate(keys, 1) if len(t) < MIN_KEY_LENGTH or not t.isprintable()]
    if short:
        raise ConfigError(
            f"server key #{short[0]} is shorter than {MIN_KEY_LENGTH} characters or not "
            f"printable: use long random tokens (e.g. `openssl rand -hex 32`)"
        )
    return tuple(SecretStr(k) for k in dict.fromkeys(keys))


def key_id(token: str) -> str:
    """A stable, non-reversible name for a key (rate-limit buckets)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or ``None``."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def matches(token: str, keys: tuple[SecretStr, ...]) -> bool:
    """Constant-time comparison against every key (no early exit on a match)."""
    given = token.encode("utf-8", "surrogateescape")
    found = False
    for key in keys:
        found |= hmac.compare_digest(given, key.get_secret_value().encode("utf-8"))
    return found
