"""TokenBucketLimiter: share × vendor limit per key, measured on a fake clock."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from interlock.http import RateLimiter, TokenBucketLimiter


class SharedClockSleep:
    """A fake sleep for concurrent waiters: each sleeper wakes at its own deadline, in order."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        deadline = self.clock.now + seconds
        await asyncio.sleep(0)
        self.clock.now = max(self.clock.now, deadline)


def max_in_any_second(times: list[float]) -> int:
    """The most events in any half-open one-second window (the vendor's sliding window)."""
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0 - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_it_is_a_rate_limiter() -> None:
    assert isinstance(TokenBucketLimiter(), RateLimiter)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.01], ids=["zero", "negative", "over-one"])
def test_share_must_be_a_fraction(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        TokenBucketLimiter({"api": 10}, share=share)


@pytest.mark.parametrize(
    ("limits", "default"),
    [pytest.param({"api": 0}, None, id="zero-limit"), pytest.param({}, -1.0, id="neg-default")],
)
def test_limits_must_be_positive(limits: dict[str, float], default: float | None) -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucketLimiter(limits, default=default)


def test_rate_lookup_prefers_the_full_key_then_the_api_then_the_default() -> None:
    limiter = TokenBucketLimiter(
        {"acme:interviews.query": 50, "interviews.query": 10}, default=5, share=0.5
    )

    assert limiter.rate("acme:interviews.query") == 25
    assert limiter.rate("other:interviews.query") == 5
    assert limiter.rate("acme:interviews.pause") == 2.5


async def test_unknown_keys_are_unlimited(clock: Any, sleep: Any) -> None:
    limiter = TokenBucketLimiter({"interviews.query": 1}, clock=clock, sleep=sleep)

    for _ in range(1000):
        await limiter.acquire("acme:interviews.pause")

    assert limiter.rate("acme:interviews.pause") is None
    assert sleep.waits == []


@pytest.mark.parametrize(
    ("limit", "share"),
    [
        pytest.param(10.0, 0.8, id="80pct-of-10"),
        pytest.param(20.0, 0.5, id="50pct-of-20"),
        pytest.param(7.0, 1.0, id="all-of-7"),
        pytest.param(3.0, 0.8, id="80pct-of-3"),
    ],
)
async def test_sequential_calls_stay_at_share_times_limit(
    clock: Any, sleep: Any, limit: float, share: float
) -> None:
    limiter = TokenBucketLimiter({"q": limit}, share=share, clock=clock, sleep=sleep)
    start = clock.now
    times: list[float] = []

    for _ in range(100):
        await limiter.acquire("acme:q")
        times.append(clock.now)

    allowed = limit * share
    assert max_in_any_second(times) <= math.ceil(allowed)
    assert max_in_any_second(times) <= limit
    # and no slower than that: 100 calls need 99 gaps of 1/allowed seconds
    assert clock.now - start == pytest.approx(99 / allowed, rel=1e-6)


async def test_concurrent_callers_stay_at_share_times_limit(clock: Any) -> None:
    sleep = SharedClockSleep(clock)
    limiter = TokenBucketLimiter({"q": 10.0}, share=0.8, clock=clock, sleep=sleep)
    times: list[float] = []

    async def call() -> None:
        await limiter.acquire("acme:q")
        times.append(clock.now)

    await asyncio.gather(*(call() for _ in range(40)))

    assert len(times) == 40
    assert max_in_any_second(times) <= 8
    assert max(times) - min(times) == pytest.approx(39 / 8, rel=1e-6)


async def test_keys_have_separate_buckets(clock: Any, sleep: Any) -> None:
    limiter = TokenBucketLimiter(default=1.0, share=1.0, clock=clock, sleep=sleep)

    await limiter.acquire("acme:q")
    await limiter.acquire("acme:p")
    await limiter.acquire("beta:q")
    assert sleep.waits == []

    await limiter.acquire("acme:q")
    assert sleep.waits == [pytest.approx(1.0)]


async def test_an_explicit_burst_is_spent_at_once(clock: Any, sleep: Any) -> None:
    limiter = TokenBucketLimiter({"q": 10.0}, share=0.8, burst_s=0.5, clock=clock, sleep=sleep)

    for _ in range(4):  # 0.5 s of 8/s
        await limiter.acquire("acme:q")
    assert sleep.waits == []

    await limiter.acquire("acme:q")
    assert sum(sleep.waits) == pytest.approx(1 / 8)


async def test_cost_counts_several_calls(clock: Any, sleep: Any) -> None:
    limiter = TokenBucketLimiter({"q": 5.0}, share=1.0, clock=clock, sleep=sleep)
    start = clock.now

    await limiter.acquire("acme:q", cost=3)
    await limiter.acquire("acme:q", cost=3)

    assert clock.now - start == pytest.approx(3 / 5)
