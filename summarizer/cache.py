"""A content-addressed disk cache of validated results (``diskcache``).

The key is the SHA-256 of a canonical JSON of everything that changes the answer: engine,
model, endpoint (scheme + host + path, never credentials or query), mode, sampling
parameters, max tokens, prompt hash, schema hash, re-ask count, chunking parameters,
the title and the normalized article text. The API key is never part of it.

Only validated, non-degraded results are stored, in a JSON envelope that repeats the
key and records when and how the entry was made; failures never are. On a read the
envelope is checked and the summary re-validated against the article, so a damaged or
foreign entry is a miss, never an answer. A broken cache directory is a warning and an
uncached run, never a crash. Only the LLM engine is cached: the extractive engine is
deterministic, takes milliseconds and depends on code that no key could hash.

``SUMMARIZER_CACHE_URL=redis://host:port/db`` puts the same keys and envelopes in Redis
(:mod:`summarizer.cache_redis`) instead, so several servers and batch runs share one cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from summarizer.errors import CacheError, ConfigError
from summarizer.grounding import canonical_text

if TYPE_CHECKING:
    from summarizer.config import Settings

log = logging.getLogger(__name__)

#: Bumped whenever the key material or the envelope changes shape.
KEY_VERSION = 3
#: Seconds SQLite waits for a lock held by another process before giving up.
SQLITE_TIMEOUT = 10.0
#: The smallest cache size limit accepted. An empty cache database already takes 32 KiB
#: (diskcache counts it in the volume it culls against), so a lower limit would keep
#: nothing, silently; 1 MiB holds some dozens of results.
MIN_SIZE_LIMIT = 1024 * 1024
#: A shared cache (``redis://...``) used instead of the cache directory.
CACHE_URL_VAR = "SUMMARIZER_CACHE_URL"


def redact_url(url: str) -> str:
    """``redis://user:secret@host:6379/0`` -> ``redis://host:6379/0`` (no credentials)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        return parts._replace(netloc=netloc, query="").geturl()
    except ValueError:
        return "<invalid cache URL>"


class Cache(Protocol):
    """The part of ``diskcache.Cache`` used here (diskcache ships no type information)."""

    def get(self, key: str, default: Any = ..., *, retry: bool = ...) -> Any: ...
    def set(self, key: str, value: str, *, retry: bool = ...) -> bool: ...
    def delete(self, key: str, *, retry: bool = ...) -> bool: ...
    def stats(self, enable: bool = ..., reset: bool = ...) -> tuple[int, int]: ...
    def volume(self) -> int: ...
    def clear(self, *, retry: bool = ...) -> int: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...


def default_cache_dir() -> Path:
    """The per-user cache directory (``platformdirs``), e.g. ``~/.cache/summarizer``."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("summarizer", appauthor=False))


def cache_dir(settings: Settings) -> Path:
    """``--cache-dir`` > ``SUMMARIZER_CACHE_DIR`` > the per-user cache directory."""
    return Path(settings.cache_dir).expanduser() if settings.cache_dir else default_cache_dir()


def key_material(
    engine: str,
    engine_material: dict[str, Any],
    schema_hash: str,
    text: str,
    title: str | None = None,
) -> dict[str, Any]:
    """Everything that changes the answer, as a plain dict (no secrets).

    ``engine_material`` is the engine's own part (:meth:`Engine.cache_material`): for the
    LLM engine the model, endpoint, mode, sampling, every prompt template and every
    response model.
    """
    return {
        **engine_material,
        "v": KEY_VERSION,
        "engine": engine,
        "schema_hash": schema_hash,
        "title": canonical_text(title) if title else "",
        "text": canonical_text(text),
    }


def canonical_json(material: dict[str, Any]) -> str:
    return json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def cache_key(material: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``material``."""
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_size(size: int) -> str:
    """``536870912`` -> ``'512.0 MiB'`` (binary units)."""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def check_size_limit(size_limit: int) -> None:
    """:class:`ConfigError` naming :data:`MIN_SIZE_LIMIT` if the limit is below it."""
    if size_limit < MIN_SIZE_LIMIT:
        raise ConfigError(
            f"cache size limit {format_size(size_limit)} is below the minimum of "
            f"{format_size(MIN_SIZE_LIMIT)} (an empty cache database alone takes 32 KiB, "
            "so nothing would be kept): raise --cache-size-limit / "
            "SUMMARIZER_CACHE_SIZE_LIMIT, or turn the cache off with --no-cache"
        )


class ResultCache:
    """``diskcache.Cache`` holding JSON envelopes; every failure degrades to "no cache".

    ``get``/``put`` never raise: a directory that cannot be opened, a corrupt database or
    a damaged entry is logged as a warning and treated as a miss (or a skipped write).
    ``stats``/``clear`` back the explicit ``summarizer cache`` commands and raise
    :class:`~summarizer.errors.CacheError` instead.
    """

    def __init__(self, directory: Path, size_limit: int, url: str | None = None) -> None:
        check_size_limit(size_limit)
        self.directory = Path(directory)
        self.size_limit = size_limit
        # a shared backend (Redis) instead of the directory: SUMMARIZER_CACHE_URL
        self.url = url if url is not None else (os.environ.get(CACHE_URL_VAR) or "").strip()
        self.location = redact_url(self.url) if self.url else str(self.directory)
        self._cache: Cache | None = None
        self._broken: str | None = None
        self._lock = threading.Lock()  # batch runs share one instance across threads

    # -- opening ---------------------------------------------------------------------
    def _connect(self) -> Cache:
        import importlib

        if self.url:
            from summarizer.cache_redis import RedisStore

            return RedisStore(self.url)

        diskcache = importlib.import_module("diskcache")  # untyped: seen through ``Cache``
        if self.directory.exists() and not self.directory.is_dir():
            raise NotADirectoryError(f"{self.directory} exists and is not a directory")
        # diskcache itself retries "database is locked" for up to 60 s while it sets up.
        cache: Cache = diskcache.Cache(
            str(self.directory),
            timeout=SQLITE_TIMEOUT,
            size_limit=self.size_limit,
            eviction_policy="least-recently-used",
            statistics=1,
        )
        try:
            len(cache)  # a damaged database fails here rather than mid-run
        except Exception:
            cache.close()
            raise
        return cache

    def _open(self, *, quiet: bool = False) -> Cache | None:
        if self._cache is not None or self._broken is not None:
            return self._cache
        with self._lock:
            if self._cache is not None or self._broken is not None:
                return self._cache
            try:
                self._cache = self._connect()
            except Exception as exc:  # any failure means "run uncached"
                self._broken = f"{type(exc).__name__}: {exc}"
                if not quiet:
                    log.warning(
                        "cache disabled: cannot use %s (%s); running uncached",
                        self.location,
                        exc,
                    )
        return self._cache

    # -- the run path: never raises ---------------------------------------------------
    def get(self, key: str) -> dict[str, Any] | None:
        """The stored envelope's payload for ``key``, or ``None`` on a miss or any problem."""
        cache = self._open()
        if cache is None:
            return None
        try:
            raw = cache.get(key, default=None, retry=False)
        except Exception as exc:
            log.warning("cache read failed, running uncached (%s)", exc)
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw) if isinstance(raw, (str, bytes)) else None
            if not (
                isinstance(data, dict)
                and data.get("v") == KEY_VERSION
                and data.get("key") == key
                and isinstance(data.get("summary"), dict)
                and isinstance(data.get("meta"), dict)
            ):
                raise ValueError("entry does not match its key or has the wrong shape")
        except ValueError as exc:
            log.warning("ignoring a damaged cache entry %s… (%s)", key[:12], exc)
            self.discard(key)
            return None
        return data

    def put(self, key: str, value: dict[str, Any]) -> bool:
        """Store ``value`` (``summary`` and ``meta``) under ``key``; ``False`` if skipped."""
        cache = self._open()
        if cache is None:
            return False
        from summarizer import __version__

        envelope = {
            "v": KEY_VERSION,
            "key": key,
            "stored_at": time.time(),
            "summarizer_version": __version__,
            **value,
        }
        try:
            cache.set(key, json.dumps(envelope, ensure_ascii=False), retry=False)
        except Exception as exc:
            log.warning("cache write failed, result not cached (%s)", exc)
            return False
        return True

    def discard(self, key: str) -> None:
        """Delete one entry if possible (used for entries that failed their checks)."""
        cache = self._open()
        if cache is None:
            return
        try:
            cache.delete(key, retry=False)
        except Exception as exc:
            log.debug("could not delete cache entry %s (%s)", key[:12], exc)

    # -- the ``summarizer cache`` commands: raise CacheError ---------------------------
    def _require(self) -> Cache:
        cache = self._open(quiet=True)
        if cache is None:
            raise CacheError(f"cannot use the cache at {self.location}: {self._broken}")
        return cache

    def _missing(self) -> bool:
        """``True`` if the directory does not exist yet but could be created."""
        if self.url or self.directory.exists():
            return False
        for parent in self.directory.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise CacheError(
                        f"cannot use the cache at {self.directory}: {parent} is a file"
                    )
                break
        return True

    def stats(self) -> dict[str, Any]:
        """Location, entries, bytes on disk, size limit and hit/miss counters."""
        if self._missing():
            return {
                "path": str(self.directory),
                "entries": 0,
                "size_bytes": 0,
                "size_limit": self.size_limit,
                "hits": 0,
                "misses": 0,
            }
        cache = self._require()
        try:
            hits, misses = cache.stats(enable=True)
            return {
                "path": self.location,
                "entries": len(cache),
                "size_bytes": int(cache.volume()),
                "size_limit": self.size_limit,
                "hits": int(hits),
                "misses": int(misses),
            }
        except Exception as exc:
            raise CacheError(f"cannot read the cache at {self.location}: {exc}") from exc

    def clear(self) -> int:
        """Delete every entry and reset the counters; returns how many entries went."""
        if self._missing():
            return 0
        cache = self._require()
        try:
            removed = int(cache.clear(retry=True))
            cache.stats(enable=True, reset=True)
        except Exception as exc:
            raise CacheError(f"cannot clear the cache at {self.location}: {exc}") from exc
        return removed

    def close(self) -> None:
        if self._cache is not None:
            try:
                self._cache.close()
            finally:
                self._cache = None
