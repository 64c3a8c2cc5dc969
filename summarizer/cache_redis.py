"""The result cache in Redis (``redis-py``): the ``diskcache`` surface that ``ResultCache`` uses.

Entries are stored under the very same keys (the SHA-256 hex of the key material) with
the very same JSON envelopes as in the cache directory, so ``ResultCache`` applies the
same rules to both: only validated results are written, and each read is checked and
re-validated. Hit and miss counters live in one hash next to them. Size is left to the
Redis server's own ``maxmemory`` policy (e.g. ``allkeys-lru``).
"""

from __future__ import annotations

from typing import Any

#: The hash holding the ``hits`` and ``misses`` counters.
STATS_KEY = "summarizer:cache-stats"
#: Every entry key is 64 lowercase hex digits (SHA-256).
ENTRY_PATTERN = "[0-9a-f]" * 64
SOCKET_TIMEOUT = 5.0


class RedisStore:
    """A ``diskcache.Cache``-shaped view of one Redis database."""

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError as exc:
            raise RuntimeError(
                "SUMMARIZER_CACHE_URL needs the 'redis' package: pip install 'summarizer[serve]'"
            ) from exc
        self._redis: Any = redis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
        )
        self._redis.ping()  # an unreachable server fails here, so the run goes uncached

    def _entries(self) -> list[bytes]:
        return list(self._redis.scan_iter(match=ENTRY_PATTERN, count=1000))

    def get(self, key: str, default: Any = None, *, retry: bool = False) -> Any:
        raw = self._redis.get(key)
        self._redis.hincrby(STATS_KEY, "misses" if raw is None else "hits", 1)
        return default if raw is None else raw.decode("utf-8")

    def set(self, key: str, value: str, *, retry: bool = False) -> bool:
        return bool(self._redis.set(key, value.encode("utf-8")))

    def delete(self, key: str, *, retry: bool = False) -> bool:
        return bool(self._redis.delete(key))

    def stats(self, enable: bool = True, reset: bool = False) -> tuple[int, int]:
        values = self._redis.hmget(STATS_KEY, ["hits", "misses"])
        if reset:
            self._redis.delete(STATS_KEY)
        return int(values[0] or 0), int(values[1] or 0)

    def volume(self) -> int:
        return sum(int(self._redis.strlen(key)) for key in self._entries())

    def clear(self, *, retry: bool = False) -> int:
        keys = self._entries()
        return int(self._redis.delete(*keys)) if keys else 0

    def ping(self) -> bool:
        return bool(self._redis.ping())

    def close(self) -> None:
        self._redis.close()

    def __len__(self) -> int:
        return len(self._entries())
