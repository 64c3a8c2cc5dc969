"""A content-addressed disk cache of validated results (``diskcache``).

The key is the SHA-256 of a canonical JSON of everything that changes the answer: engine,
model, endpoint (scheme + host + path, never credentials), mode, sampling parameters,
max tokens, prompt hash, schema hash, re-ask count and the normalized article text.
Only validated results are stored; failures never are. A broken cache directory is a
warning and an uncached run, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.errors import CacheError
from summarizer.grounding import canonical_text

if TYPE_CHECKING:
    from diskcache import Cache

    from summarizer.config import Settings

log = logging.getLogger("summarizer")
KEY_VERSION = 1


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("summarizer", appauthor=False))


def cache_dir(settings: Settings) -> Path:
    return Path(settings.cache_dir) if settings.cache_dir else default_cache_dir()


def key_material(
    settings: Settings, engine: str, prompt_hash: str | None, schema_hash: str, text: str
) -> dict[str, Any]:
    """Everything that changes the answer, as a plain dict (no secrets)."""
    material: dict[str, Any] = {
        "v": KEY_VERSION,
        "engine": engine,
        "schema_hash": schema_hash,
        "text": canonical_text(text),
    }
    if engine == "llm":
        material.update(
            model=settings.model,
            endpoint=settings.endpoint_host,
            mode=settings.mode,
            temperature=settings.temperature,
            top_p=settings.top_p,
            seed=settings.seed,
            max_tokens=settings.max_tokens,
            prompt_hash=prompt_hash,
            max_retries=settings.max_retries,
        )
    return material


def cache_key(material: dict[str, Any]) -> str:
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResultCache:
    """Thin wrapper over ``diskcache.Cache`` that degrades to a no-op when the dir is broken."""

    def __init__(self, directory: Path, size_limit: int) -> None:
        self.directory = directory
        self.size_limit = size_limit
        self._cache: Cache | None = None
        self._broken = False

    def _open(self) -> Cache | None:
        if self._cache is None and not self._broken:
            try:
                from diskcache import Cache

                self._cache = Cache(
                    str(self.directory), size_limit=self.size_limit, eviction_policy="least-recently-used"
                )
            except Exception as exc:  # noqa: BLE001 - any failure means "run uncached"
                self._broken = True
                log.warning("cache disabled: cannot open %s (%s)", self.directory, exc)
        return self._cache

    def get(self, key: str) -> dict[str, Any] | None:
        cache = self._open()
        if cache is None:
            return None
        try:
            raw = cache.get(key)
            if raw is None:
                return None
            data = json.loads(raw) if isinstance(raw, (str, bytes)) else None
            return data if isinstance(data, dict) else None
        except Exception as exc:  # noqa: BLE001
            log.warning("cache read failed, running uncached (%s)", exc)
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        cache = self._open()
        if cache is None:
            return
        try:
            cache.set(key, json.dumps(value, ensure_ascii=False))
        except Exception as exc:  # noqa: BLE001
            log.warning("cache write failed (%s)", exc)

    def stats(self) -> dict[str, Any]:
        cache = self._open()
        if cache is None:
            raise CacheError(f"cannot open the cache at {self.directory}")
        hits, misses = cache.stats()
        return {
            "path": str(self.directory),
            "entries": len(cache),
            "size_bytes": cache.volume(),
            "size_limit": self.size_limit,
            "hits": hits,
            "misses": misses,
        }

    def clear(self) -> int:
        cache = self._open()
        if cache is None:
            raise CacheError(f"cannot open the cache at {self.directory}")
        return int(cache.clear())

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
