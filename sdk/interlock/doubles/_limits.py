"""Vendor throttles for doubles, and how to measure one from outside.

A double must never be more lenient than its vendor: a vendor that allows 20 calls per second
allows at most 20 in *any* one-second window, whether it counts in sliding windows or in
calendar seconds. :class:`SlidingWindowLimit` enforces exactly that (so both readings hold), and
:func:`busiest_window` measures served calls both ways.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable

__all__ = ["QpsWindow", "SlidingWindowLimit", "busiest_window"]


class SlidingWindowLimit:
    """At most ``limit`` calls per key in any ``window_s``-second window (sliding).

    :param clock: monotonic seconds; a double passes its own clock (virtual under the kit).
    """

    def __init__(
        self,
        limit: float,
        *,
        window_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not limit > 0 or not window_s > 0:
            raise ValueError(f"a limit needs a positive count and window, got {limit}/{window_s}s")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one call for ``key`` if it fits; False (nothing counted) when it does not."""
        hits = self._current(key)
        if len(hits) >= self.limit:
            return False
        hits.append(self._clock())
        return True

    def used(self, key: str) -> int:
        """Calls counted for ``key`` in the window that ends now."""
        return len(self._current(key))

    def _current(self, key: str) -> deque[float]:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` has room again (0 when it has room now)."""
        hits = self._hits.get(key)
        if not hits or len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[0] + self.window_s - self._clock())


class QpsWindow(SlidingWindowLimit):
    """A per-key sliding one-second window: the vendor's own per-second throttle."""

    def __init__(self, limit: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(limit, window_s=1.0, clock=clock)


def busiest_window(times: Iterable[float], *, window_s: float = 1.0, calendar: bool) -> int:
    """The most calls in one window: any ``window_s``-long sliding window, or (``calendar``)
    one of the fixed windows that start at whole multiples of ``window_s``."""
    ordered = sorted(times)
    if calendar:
        counts: dict[int, int] = {}
        for t in ordered:
            slot = math.floor(t / window_s)
            counts[slot] = counts.get(slot, 0) + 1
        return max(counts.values(), default=0)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best
