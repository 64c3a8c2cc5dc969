"""Provider rate limits, shared by every call of the process to one endpoint and key.

One :class:`SharedLimit` exists per endpoint host and API key (the registry keys it by the
host and a hash of the key, never the key itself), so every ``Summarizer``, engine and
batch worker talking to the same account draws from the same buckets:

* a requests-per-minute and a tokens-per-minute bucket (:class:`Bucket`), from
  ``--rpm`` / ``--tpm`` or learned from the ``x-ratelimit-limit-*`` /
  ``x-ratelimit-remaining-*`` headers of the answers. A request reserves one request and
  its tokens as the provider counts them (prompt estimate plus ``max_tokens``) before it is
  sent, and the reservation is corrected from the answer's real usage (unless the server
  reports its own token count, which is then followed instead). The buckets follow
  the server's own count when it says it has less left than we think, so they slow down
  before the server's bucket is empty; a server that gives no limit but says nothing is
  left holds everyone until its ``x-ratelimit-reset-*``;
* one gate: a 429 pauses every worker until its ``Retry-After`` has passed, instead of each
  retrying on its own into the same wall.

A bucket is a small lock-protected ledger (virtual scheduling: each reservation is told how
long to wait, in arrival order, and waits once) rather than an ``aiolimiter.AsyncLimiter``:
that limiter's futures and timers belong to one event loop (it warns when reused across
loops) and it reads the loop's clock, while one limit here must serve the sync API's
private loops, ``asyncio.run``'s loop and other threads at once, on the transport's
injectable clock and sleep. Waiting happens in the caller's own loop with its own sleep.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from summarizer.tokens import estimate_tokens

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
MINUTE = 60.0
#: Below this, a wait is not worth counting or logging.
MIN_COUNTED_WAIT = 0.001


class Bucket:
    """A leaky bucket of ``capacity`` units draining at ``rate`` units per second.

    :meth:`reserve` adds a reservation at once and returns how long the caller must wait
    before using it (the level may run ahead of the capacity: later callers wait longer),
    so callers are served in arrival order and each sleeps exactly once. Thread-safe.
    """

    def __init__(self, per_minute: float, *, learned: bool = False) -> None:
        self.per_minute = per_minute
        self.learned = learned
        self.level = 0.0
        self.reserved = 0.0  # every unit ever reserved: marks a reservation's place
        self._last: float | None = None
        self._lock = threading.Lock()

    @property
    def capacity(self) -> float:
        return self.per_minute

    @property
    def rate(self) -> float:
        return self.per_minute / MINUTE

    def _leak(self, now: float) -> None:
        if self._last is not None and now > self._last:
            self.level = max(0.0, self.level - (now - self._last) * self.rate)
        if self._last is None or now > self._last:
            self._last = now

    def reserve(self, amount: float, now: float) -> tuple[float, Mark]:
        """Reserve ``amount`` (at most the capacity): seconds to wait before using it, and
        the reservation's place (for :meth:`observe`)."""
        amount = min(amount, self.capacity)
        with self._lock:
            self._leak(now)
            wait = max(0.0, (self.level + amount - self.capacity) / self.rate)
            self.level += amount
            self.reserved += amount
            return wait, Mark(self.reserved, now + wait)

    def refund(self, amount: float, now: float) -> None:
        """Give back part of a reservation that turned out not to be used."""
        with self._lock:
            self._leak(now)
            self.level = max(0.0, self.level - amount)

    def observe(
        self, limit: float | None, remaining: float, now: float, mark: Mark | None = None
    ) -> None:
        """Follow the server's count when it is the higher one: it had ``remaining`` left
        of ``limit`` per minute when it admitted the request reserved at ``mark``. Since
        then its bucket refilled, and the reservations after that one were added."""
        with self._lock:
            self._leak(now)
            if limit is not None and self.learned and limit > 0:
                self.per_minute = limit
            theirs = self.capacity - remaining
            if mark is not None:
                theirs += self.reserved - mark.reserved - max(0.0, now - mark.sent) * self.rate
            self.level = max(self.level, theirs)

    def resize(self, per_minute: float) -> None:
        with self._lock:
            self.per_minute = per_minute
            self.learned = False


class WaitTooLong(Exception):
    """Waiting for the rate limit would take longer than the call may (``seconds``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"{seconds:.1f}s")
        self.seconds = seconds


@dataclass(frozen=True)
class Mark:
    """Where a reservation stands in its bucket: units reserved up to it, when it is sent."""

    reserved: float
    sent: float


@dataclass
class LimitTotals:
    """What a limit made callers wait, summed over the process (for batch progress)."""

    waits: int = 0
    wait_seconds: float = 0.0
    rate_limited: int = 0  # answers with HTTP 429

    def minus(self, before: LimitTotals) -> LimitTotals:
        return LimitTotals(
            self.waits - before.waits,
            self.wait_seconds - before.wait_seconds,
            self.rate_limited - before.rate_limited,
        )

    def describe(self) -> str:
        return (
            f"{self.waits} rate-limit wait(s), {self.wait_seconds:.1f}s total, "
            f"{self.rate_limited} answered 429"
        )


@dataclass
class Reservation:
    """What one HTTP attempt took from the buckets (corrected once its answer is in)."""

    tokens: float = 0.0
    waited: float = 0.0
    marks: dict[str, Mark] = field(default_factory=dict)  # per bucket kind


class SharedLimit:
    """The buckets and the 429 gate of one endpoint and key (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self.name = name  # endpoint host: what the logs say
        self.requests: Bucket | None = None
        self.tokens: Bucket | None = None
        self.paused_until = 0.0  # on the clock of whoever paused it
        self.totals = LimitTotals()
        self._lock = threading.Lock()

    def configure(self, rpm: float | None, tpm: float | None) -> None:
        """Set the limits the user gave (``None``: keep what is known or learned)."""
        with self._lock:
            if rpm is not None:
                if self.requests is None:
                    self.requests = Bucket(rpm)
                else:
                    self.requests.resize(rpm)
            if tpm is not None:
                if self.tokens is None:
                    self.tokens = Bucket(tpm)
                else:
                    self.tokens.resize(tpm)

    @property
    def counts_tokens(self) -> bool:
        return self.tokens is not None

    def pause(self, seconds: float, now: float) -> None:
        """A 429 asked for ``seconds``: hold every worker until then."""
        with self._lock:
            self.paused_until = max(self.paused_until, now + seconds)
        log.info("rate limit %s: HTTP 429, every worker pauses %.2fs", self.name, seconds)

    def count_wait(self, seconds: float) -> None:
        """A wait made elsewhere for this limit (a Retry-After slept by the retry loop)."""
        with self._lock:
            self.totals.waits += 1
            self.totals.wait_seconds += seconds

    def note_rate_limited(self) -> None:
        with self._lock:
            self.totals.rate_limited += 1

    async def acquire(
        self, tokens: float, clock: Clock, sleep: Sleep, budget: float = math.inf
    ) -> Reservation:
        """Wait for the gate, then reserve one request and ``tokens``; the wait is counted.

        Raises :class:`WaitTooLong` (reserving nothing) when the wait would pass ``budget``
        seconds.
        """
        waited = 0.0
        gate = self.paused_until - clock()
        if gate > 0:
            if gate >= budget:
                raise WaitTooLong(gate)
            await sleep(gate)
            waited += gate
        now = clock()
        wait = 0.0
        marks: dict[str, Mark] = {}
        if self.requests is not None:
            wait, marks["requests"] = self.requests.reserve(1, now)
        if self.tokens is not None and tokens > 0:
            token_wait, marks["tokens"] = self.tokens.reserve(tokens, now)
            wait = max(wait, token_wait)
        if waited + wait >= budget:
            if self.requests is not None:
                self.requests.refund(1, now)
            if self.tokens is not None and tokens > 0:
                self.tokens.refund(tokens, now)
            raise WaitTooLong(waited + wait)
        if wait > 0:
            await sleep(wait)
            waited += wait
        if waited >= MIN_COUNTED_WAIT:
            self.count_wait(waited)
            log.info("rate limit %s: waited %.2fs before sending", self.name, waited)
        return Reservation(tokens if self.tokens is not None else 0.0, waited, marks)

    def settle(
        self, reservation: Reservation, headers: Mapping[str, str], used: int | None, now: float
    ) -> None:
        """Correct the token reservation from real usage, unless the server counts tokens
        in its own headers: then its count is followed instead (a provider that charges
        its estimate at admission, as OpenAI does, gives nothing back for a short answer)."""
        counted = _number(headers.get("x-ratelimit-remaining-tokens")) is not None
        unused = reservation.tokens - used if used is not None else 0.0
        if self.tokens is not None and not counted and unused > 0:
            self.tokens.refund(unused, now)
        self.learn(headers, now, reservation)

    def learn(
        self, headers: Mapping[str, str], now: float, reservation: Reservation | None = None
    ) -> None:
        """Read ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}`` (OpenAI, Azure,
        vLLM proxies): create the buckets the user did not configure, follow the count,
        and hold everyone until the reset of a server that gives no limit."""
        for kind in ("requests", "tokens"):
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if remaining is None:
                continue
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            if limit is None:
                reset = duration(headers.get(f"x-ratelimit-reset-{kind}"))
                self._hold_until_reset(kind, remaining, reset, now, reservation)
            bucket = self.requests if kind == "requests" else self.tokens
            if bucket is None:
                if limit is None or limit <= 0:
                    continue
                with self._lock:
                    bucket = Bucket(limit, learned=True)
                    if kind == "requests":
                        self.requests = self.requests or bucket
                    else:
                        self.tokens = self.tokens or bucket
                log.info("rate limit %s: learned %g %s per minute", self.name, limit, kind)
            mark = reservation.marks.get(kind) if reservation is not None else None
            bucket.observe(limit, remaining, now, mark)

    def _hold_until_reset(
        self,
        kind: str,
        remaining: float,
        reset: float | None,
        now: float,
        reservation: Reservation | None,
    ) -> None:
        """For a server that gives no ``x-ratelimit-limit-{kind}``: ``reset`` (the time until
        its count is full again) is all there is, so with nothing left for another request
        every worker is held until then, instead of being sent 429s.

        With a limit given, the buckets pace the calls at that rate, which is sooner and
        right for a leaky bucket (OpenAI's reset is the time to a *full* bucket: 60 s from
        empty, though the next request may go after one request's refill); a fixed-window
        server then answers one 429 whose Retry-After closes the gate."""
        if reset is None or reset <= 0:
            return
        needed = 1.0
        if kind == "tokens":
            needed = max(1.0, reservation.tokens if reservation is not None else 1.0)
        if remaining >= needed:
            return
        with self._lock:
            self.paused_until = max(self.paused_until, now + reset)
        log.info(
            "rate limit %s: no %s left until its reset in %.2fs; every worker waits",
            self.name,
            kind,
            reset,
        )


_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m(?!s))?"
    r"(?:(?P<s>\d+(?:\.\d+)?)s)?(?:(?P<ms>\d+(?:\.\d+)?)ms)?"
)


def duration(raw: str | None) -> float | None:
    """Seconds in a rate-limit reset header: ``"1s"``, ``"6m0s"``, ``"20ms"``,
    ``"1h2m3.5s"`` (OpenAI, Azure) or a plain number of seconds; None if unreadable."""
    if raw is None:
        return None
    text = raw.strip().lower()
    plain = _number(text)
    if plain is not None:
        return plain
    m = _DURATION.fullmatch(text)
    if not text or m is None:
        return None
    parts = {k: float(v) for k, v in m.groupdict().items() if v is not None}
    seconds = (
        parts.get("h", 0.0) * 3600
        + parts.get("m", 0.0) * 60
        + parts.get("s", 0.0)
        + parts.get("ms", 0.0) / 1000
    )
    return seconds if math.isfinite(seconds) else None


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def request_tokens(body: bytes) -> int:
    """Tokens a provider counts against TPM for a chat request: an estimate of the
    messages and tool schemas, plus the ``max_tokens`` the answer may use."""
    try:
        data = json.loads(body)
    except ValueError:
        return estimate_tokens(body.decode("utf-8", "replace"))
    if not isinstance(data, dict):
        return 0
    total = 0
    for message in data.get("messages") or []:
        if isinstance(message, dict):
            content = message.get("content")
            total += estimate_tokens(content if isinstance(content, str) else json.dumps(content))
    if data.get("tools"):
        total += estimate_tokens(json.dumps(data["tools"]))
    ceiling = data.get("max_completion_tokens") or data.get("max_tokens") or 0
    return total + (ceiling if isinstance(ceiling, int) else 0)


# -- the process-wide registry ------------------------------------------------------------
_REGISTRY: dict[tuple[str, str], SharedLimit] = {}
_REGISTRY_LOCK = threading.Lock()


def limit_key(endpoint: str, api_key: str | None) -> tuple[str, str]:
    """The registry key: the endpoint and a hash of the key (never the key itself)."""
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()[:16]
    return endpoint, digest


def shared_limit(
    endpoint: str, api_key: str | None, rpm: float | None = None, tpm: float | None = None
) -> SharedLimit:
    """The one :class:`SharedLimit` of this endpoint and key, configured with any limits given."""
    key = limit_key(endpoint, api_key)
    with _REGISTRY_LOCK:
        limit = _REGISTRY.get(key)
        if limit is None:
            limit = _REGISTRY[key] = SharedLimit(endpoint)
    limit.configure(rpm, tpm)
    return limit


def process_totals() -> LimitTotals:
    """Rate-limit waits of every limit of this process, summed."""
    with _REGISTRY_LOCK:
        limits = list(_REGISTRY.values())
    total = LimitTotals()
    for limit in limits:
        t = limit.totals
        total.waits += t.waits
        total.wait_seconds += t.wait_seconds
        total.rate_limited += t.rate_limited
    return total


def reset_limits() -> None:
    """Forget every shared limit (tests; a new process starts empty anyway)."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()


def usage_total(body: Any) -> int | None:
    """``usage.total_tokens`` of a chat completion body, if it has one."""
    usage = body.get("usage") if isinstance(body, dict) else None
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None
