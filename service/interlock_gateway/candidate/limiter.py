"""A small per-client limiter for the candidate page (links are guessable by nobody, but a
page that reads the database must not be an amplifier): a token bucket per IP, in memory.

Per process on purpose: replicas multiply the allowance, which stays far below what would
matter; forged tokens are refused by their MAC before the database is read anyway.
"""

from __future__ import annotations

import time
from collections import OrderedDict

__all__ = ["PageLimiter"]

_MAX_CLIENTS = 10_000


class PageLimiter:
    """``rate`` requests per second per client, bursts up to ``burst``."""

    def __init__(self, rate: float = 1.0, burst: int = 20) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > _MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return allowed
