"""Per-principal token buckets for mutating requests.

The buckets live in this process: with several replicas each enforces the limit on its own
share of the traffic (a load balancer spreads a principal's requests), which bounds a runaway
script without a database round trip on the hot path.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MutationRateLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class MutationRateLimiter:
    """``rate`` mutations per second per principal with bursts up to ``burst``; 0 disables."""

    def __init__(
        self, rate: float, burst: int, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._now = monotonic
        self._buckets: dict[int, _Bucket] = {}

    def acquire(self, principal_id: int) -> float | None:
        """Take one token; ``None`` when allowed, else the seconds to wait."""
        if self.rate <= 0:
            return None
        now = self._now()
        bucket = self._buckets.get(principal_id)
        if bucket is None:
            bucket = self._buckets[principal_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return math.ceil((1 - bucket.tokens) / self.rate * 1000) / 1000
