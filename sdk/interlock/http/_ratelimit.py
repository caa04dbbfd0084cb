"""Client-side rate limiting, so that we stay under the vendor's limit instead of hitting it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol, runtime_checkable

__all__ = ["RateLimiter", "TokenBucketLimiter"]

_EPSILON = 1e-9


@runtime_checkable
class RateLimiter(Protocol):
    """Waits until one more call on ``key`` (``account:api``) fits the budget.

    The in-process :class:`TokenBucketLimiter` serves one process; the gateway provides one
    backed by its database so that several replicas share one vendor quota.
    """

    async def acquire(self, key: str, cost: int = 1) -> None: ...


class TokenBucketLimiter:
    """A token bucket per key at ``share`` of the vendor's limit (default 80 %).

    Vendors count calls in a sliding one-second window. A bucket that holds a full second of
    rate lets through that second's worth at once *and* refills another second's worth within
    the same window, i.e. up to twice the rate. So by default the bucket holds a single call:
    calls are spaced ``1 / rate`` apart and no one-second window sees more than
    ``ceil(share × limit)``. A larger ``burst_s`` trades that guarantee for latency:
    a window may then see up to ``rate × burst_s + rate`` calls.

    :param limits: requests per second per key (``account:api``, or just ``api``);
        ``default`` covers keys not listed; keys covered by neither are not limited.
    :param share: the fraction of the vendor limit we allow ourselves.
    :param burst_s: how many seconds of rate may be spent at once (bucket size; at least one
        call).
    """

    def __init__(
        self,
        limits: Mapping[str, float] | None = None,
        *,
        default: float | None = None,
        share: float = 0.8,
        burst_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], got {share}")
        self._limits = dict(limits or {})
        for key, limit in [*self._limits.items(), ("default", default)]:
            if limit is not None and not limit > 0:
                raise ValueError(f"limit for {key!r} must be positive, got {limit}")
        if burst_s < 0:
            raise ValueError(f"burst_s must not be negative, got {burst_s}")
        self._default = default
        self._share = share
        self._burst_s = burst_s
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = asyncio.Lock()

    def rate(self, key: str) -> float | None:
        """The allowed rate for ``key`` (after applying the share), or None for unlimited."""
        limit = self._limits.get(key, self._limits.get(key.split(":", 1)[-1], self._default))
        return None if limit is None else limit * self._share

    async def acquire(self, key: str, cost: int = 1) -> None:
        rate = self.rate(key)
        if rate is None:
            return
        capacity = max(float(cost), rate * self._burst_s)
        while True:
            async with self._lock:
                now = self._clock()
                tokens, last = self._buckets.get(key, (capacity, now))
                tokens = min(capacity, tokens + (now - last) * rate)
                if tokens >= cost - _EPSILON:  # refills are float sums: 6/7 + 1/7 < 1
                    tokens = max(tokens, float(cost))
                    self._buckets[key] = (tokens - cost, now)
                    return
                self._buckets[key] = (tokens, now)
                wait = (cost - tokens) / rate
            await self._sleep(wait)
