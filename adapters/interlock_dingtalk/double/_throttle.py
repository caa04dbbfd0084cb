"""DingTalk's limits: a token bucket per (app, API) and a monthly call counter per org."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["MonthlyQuota", "TokenBuckets"]


class TokenBuckets:
    """One token bucket per key: ``rate`` tokens per second, holding at most one second's worth
    (so a burst never exceeds the per-second limit and the bucket recovers within a second)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def allow(self, key: str) -> bool:
        now = self._clock()
        capacity = max(1.0, self.rate)
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return True
        self._buckets[key] = (tokens, now)
        return False


class MonthlyQuota:
    """Calls per org per calendar month (token endpoints are not counted, as documented).

    ``limit`` None means no cap (DingTalk's professional editions); tests set a number.
    """

    def __init__(
        self, limit: int | None = None, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._month = ""
        self._counts: dict[str, int] = {}

    def take(self, org: str) -> bool:
        """Count one call for ``org``; False when the month's quota is already used up."""
        month = f"{self._clock():%Y-%m}"
        if month != self._month:
            self._month, self._counts = month, {}
        if self.limit is not None and self._counts.get(org, 0) >= self.limit:
            return False
        self._counts[org] = self._counts.get(org, 0) + 1
        return True

    def used(self, org: str) -> int:
        return self._counts.get(org, 0)
