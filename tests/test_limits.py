"""Provider rate limits: one shared limit per endpoint and key, learned or configured,
a 429 gate for every worker, and Retry-After waits that never use up transport retries."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.api import Summarizer
from summarizer.cli import app
from summarizer.config import resolve_settings
from summarizer.engines.llm.engine import LLMEngine
from summarizer.engines.llm.limits import (
    Bucket,
    duration,
    limit_key,
    process_totals,
    request_tokens,
    shared_limit,
)
from summarizer.engines.llm.transport import ModelTransport
from summarizer.errors import ConfigError, ProviderError
from summarizer.testing import VirtualTime
from summarizer.testing.fake_openai import FakeOpenAI, RateLimit, Reply, completion, error_body
from tests.conftest import SENTINEL_KEY

Answer = dict[str, Any]


def _summarizer(url: str, vt: VirtualTime, key: str = SENTINEL_KEY, **settings: Any) -> Summarizer:
    resolved = resolve_settings(
        base_url=url, api_key=key, model="fake-model", cache=False, **settings
    )
    transport = ModelTransport(sleep=vt.sleep, clock=vt.clock)
    return Summarizer(resolved, engine_impl=LLMEngine(resolved, transport=transport))


def _rate_limited(seconds: str) -> Reply:
    return Reply(429, error_body("Rate limit reached", typ="requests"), {"Retry-After": seconds})


def test_bucket_serves_reservations_in_order_each_waiting_once() -> None:
    bucket = Bucket(60)  # 60 per minute: one a second, 60 at once
    waits = [bucket.reserve(1, now=100.0)[0] for _ in range(62)]
    assert waits[:60] == [0.0] * 60
    assert waits[60:] == pytest.approx([1.0, 2.0])
    bucket.refund(2, now=100.0)  # two reservations were not used
    assert bucket.reserve(1, now=100.0)[0] == pytest.approx(1.0)


def test_two_summarizers_share_one_limit(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    """Two sync Summarizers (two private event loops) draw from one bucket."""
    fake.push(*[completion(good_answer)] * 3)
    vt = VirtualTime()
    with _summarizer(fake.url, vt, rpm=2) as first, _summarizer(fake.url, vt, rpm=2) as second:
        first.summarize(seed_text)
        first.summarize(seed_text + "\n\nMore.")
        assert vt.sleeps == []  # two requests fit a bucket of 2
        result = second.summarize(seed_text + "\n\nEven more.")
    assert vt.sleeps == [pytest.approx(30.0, abs=1.0)]  # one request per 30 s, shared
    assert result.meta.requests == 1
    assert process_totals().waits == 1


def test_another_key_has_its_own_limit(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    fake.push(*[completion(good_answer)] * 3)
    vt = VirtualTime()
    with (
        _summarizer(fake.url, vt, rpm=2) as first,
        _summarizer(fake.url, vt, key="sk-other-key-0000", rpm=2) as other,
    ):
        first.summarize(seed_text)
        first.summarize(seed_text + "\n\nMore.")
        other.summarize(seed_text + "\n\nEven more.")
    assert vt.sleeps == []


def test_limit_key_never_holds_the_api_key() -> None:
    key = limit_key("https://api.openai.com/v1", SENTINEL_KEY)
    assert SENTINEL_KEY not in repr(key) and "SENTINEL" not in repr(key)
    assert key != limit_key("https://api.openai.com/v1", "sk-other")


def test_a_429_pauses_every_worker(fake: FakeOpenAI, seed_text: str, good_answer: Answer) -> None:
    """While one call waits out a Retry-After, another call that starts holds back too."""
    fake.push(_rate_limited("7"), completion(good_answer), completion(good_answer))
    vt_first, vt_second = VirtualTime(), VirtualTime()
    second = _summarizer(fake.url, vt_second)
    started_during_pause: list[int] = []

    async def sleep_and_start_another(seconds: float) -> None:
        started_during_pause.append(len(fake.requests))
        await second.asummarize(seed_text + "\n\nAnother.")
        await vt_first.sleep(seconds)

    settings = resolve_settings(
        base_url=fake.url, api_key=SENTINEL_KEY, model="fake-model", cache=False
    )
    transport = ModelTransport(sleep=sleep_and_start_another, clock=vt_first.clock)
    first = Summarizer(settings, engine_impl=LLMEngine(settings, transport=transport))

    async def main() -> None:
        async with first, second:
            await first.asummarize(seed_text)

    asyncio.run(main())
    assert started_during_pause == [1]  # the second call started after the 429
    assert vt_second.sleeps and vt_second.sleeps[0] == pytest.approx(7.0, abs=0.5)
    assert len(fake.requests) == 3


def test_retry_after_waits_do_not_use_up_transport_retries(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    fake.push(*[_rate_limited("1")] * 4, completion(good_answer))
    vt = VirtualTime()
    with _summarizer(fake.url, vt, transport_retries=1) as s:
        result = s.summarize(seed_text)
    assert result.meta.requests == 5
    assert vt.sleeps == [1.0] * 4


def test_retry_after_waits_are_bounded_by_the_deadline(fake: FakeOpenAI, seed_text: str) -> None:
    fake.push(*[_rate_limited("4")] * 5)
    vt = VirtualTime()
    s = _summarizer(fake.url, vt, transport_retries=0, deadline=10.0)
    with s, pytest.raises(ProviderError, match="--deadline=10s"):
        s.summarize(seed_text)
    assert len(fake.requests) == 3  # waits of 4 + 4 s fit, a third would pass 10 s
    fake.queue.clear()


def test_5xx_still_counts_against_transport_retries(fake: FakeOpenAI, seed_text: str) -> None:
    fake.push(*[Reply(503, error_body("down", typ="server_error"))] * 3)
    s = _summarizer(fake.url, VirtualTime(), transport_retries=1)
    with s, pytest.raises(ProviderError):
        s.summarize(seed_text)
    assert len(fake.requests) == 2
    fake.queue.clear()


def test_limits_are_learned_from_headers(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    """No limit configured: the server says 60/min with none left, so the next request
    waits a second before it is sent instead of meeting a 429."""
    empty = {"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "0"}
    fake.push(Reply(200, completion(good_answer), empty), completion(good_answer))
    vt = VirtualTime()
    with _summarizer(fake.url, vt) as s:
        s.summarize(seed_text)
        assert vt.sleeps == []
        s.summarize(seed_text + "\n\nMore.")
    assert len(vt.sleeps) == 1 and 0.3 < vt.sleeps[0] <= 1.0


def test_a_leaky_buckets_reset_adds_no_wait(
    fake: FakeOpenAI, seed_text: str, good_answer: Answer
) -> None:
    """OpenAI's reset is the time to a full bucket (60 s from empty at 60/min): the next
    request still goes after one request's refill, not after the full reset."""
    empty = {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1m0s",
    }
    fake.push(Reply(200, completion(good_answer), empty), completion(good_answer))
    vt = VirtualTime()
    with _summarizer(fake.url, vt) as s:
        s.summarize(seed_text)
        s.summarize(seed_text + "\n\nMore.")
    assert len(vt.sleeps) == 1 and 0.3 < vt.sleeps[0] <= 1.0


@pytest.mark.parametrize(
    ("headers", "wait", "settings"),
    [
        # no limit given: only the reset says when
        ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2500ms"}, 2.5, {}),
        # tokens (counted, --tpm given): fewer left than a request reserves
        (
            {
                "x-ratelimit-remaining-tokens": "10",
                "x-ratelimit-reset-tokens": "4s",
            },
            4.0,
            {"tpm": 900000},
        ),
    ],
)
def test_without_a_limit_the_reset_holds_every_worker(
    fake: FakeOpenAI,
    seed_text: str,
    good_answer: Answer,
    headers: dict[str, str],
    wait: float,
    settings: dict[str, Any],
) -> None:
    fake.push(Reply(200, completion(good_answer), headers), completion(good_answer))
    vt = VirtualTime()
    with _summarizer(fake.url, vt, **settings) as s:
        s.summarize(seed_text)
        assert vt.sleeps == []
        s.summarize(seed_text + "\n\nMore.")
    assert vt.sleeps == [pytest.approx(wait, abs=0.01)]
    assert fake.rate_limited == 0


def test_reset_durations_as_providers_write_them() -> None:
    assert duration("6m0s") == 360.0
    assert duration("20ms") == pytest.approx(0.02)
    assert duration("1h2m3.5s") == 3723.5
    assert duration("1.5") == 1.5
    assert duration("1m30s") == 90.0
    assert duration("soon") is None
    assert duration("") is None
    assert duration(None) is None


def test_tokens_reserved_as_the_provider_counts_them_and_corrected() -> None:
    body = b'{"messages":[{"role":"user","content":"' + b"word " * 400 + b'"}],"max_tokens":500}'
    assert request_tokens(body) == 500 + 500  # 2,000 characters ~ 500 tokens, + max_tokens
    limit = shared_limit("http://127.0.0.1:9/v1", "k", tpm=1500)

    async def two() -> list[float]:
        clock = lambda: 0.0  # noqa: E731
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        first = await limit.acquire(1000, clock, sleep)
        limit.settle(first, {}, used=300, now=0.0)  # it used 300: 700 come back
        await limit.acquire(1000, clock, sleep)
        await limit.acquire(1000, clock, sleep)
        return waits

    waits = asyncio.run(two())
    # after the refund 300 are in the bucket: the second fits, the third waits for
    # 300 + 1000 + 1000 - 1500 = 800 tokens at 25 tokens/s
    assert waits == [pytest.approx(32.0)]


def test_a_server_counting_tokens_in_its_headers_is_followed_not_refunded() -> None:
    """OpenAI charges its estimate at admission: a short answer gives nothing back, so a
    refund from real usage would send the next requests into 429s."""
    limit = shared_limit("http://127.0.0.1:9/v1", "k2", tpm=1500)
    counted = {"x-ratelimit-limit-tokens": "1500", "x-ratelimit-remaining-tokens": "500"}

    async def two() -> list[float]:
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        first = await limit.acquire(1000, lambda: 0.0, sleep)
        limit.settle(first, counted, used=300, now=0.0)  # the server still holds 1,000
        await limit.acquire(1000, lambda: 0.0, sleep)
        return waits

    # 1,000 held + 1,000 - 1,500 = 500 tokens to wait for, at 25 tokens/s
    assert asyncio.run(two()) == [pytest.approx(20.0)]


def test_fake_server_rate_limit_mode(seed_text: str, good_answer: Answer) -> None:
    """The fake's bucket answers 429 with Retry-After; a known limit is never sent into."""
    limit = RateLimit(rpm=6, burst=1)  # one request per 10 s
    with FakeOpenAI(rate_limit=limit, default=Reply(200, completion(good_answer))) as fake:
        common: dict[str, Any] = dict(
            base_url=fake.url, model="fake-model", cache=False, deadline=0.5
        )
        with Summarizer(resolve_settings(api_key=SENTINEL_KEY, **common)) as s:
            s.summarize(seed_text)  # learns: 6 per minute, none left
            with pytest.raises(ProviderError, match=r"waiting 10\.0s for the rate limit"):
                s.summarize(seed_text + "\n\nMore.")
        assert (len(fake.requests), fake.rate_limited) == (1, 0)
        other = Summarizer(resolve_settings(api_key="sk-another-key", **common))
        with other, pytest.raises(ProviderError, match="would pass --deadline"):
            other.summarize(seed_text + "\n\nMore.")  # Retry-After 10 s > deadline
        assert (len(fake.requests), fake.rate_limited) == (2, 1)


def test_rpm_and_tpm_settings_from_env() -> None:
    settings = resolve_settings(env={"SUMMARIZER_RPM": "500", "SUMMARIZER_TPM": "200000"})
    assert (settings.rpm, settings.tpm) == (500.0, 200000)
    with pytest.raises(ConfigError, match="rpm must be positive"):
        resolve_settings(rpm=0)


def test_batch_reports_rate_limit_waits(
    llm_env: FakeOpenAI, seed_path: Path, tmp_path: Path, good_answer: Answer
) -> None:
    llm_env.push(
        Reply(429, error_body("slow down", typ="requests"), {"retry-after-ms": "20"}),
        completion(good_answer),
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["batch", str(seed_path), "-o", str(out), "--no-cache", "--rpm", "600", "-v"]
    )
    assert result.exit_code == 0, result.output
    final = result.output.strip().splitlines()[-1]
    assert "1 rate-limit wait(s)" in final and "1 answered 429" in final
    assert "every worker pauses" in result.output  # -v logs the wait
