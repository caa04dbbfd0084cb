"""Virtual time for doubles and adapters under test: waits advance a clock instead of passing.

The contract suite gives one :class:`VirtualClock` to the double (its throttle windows, token
lifetimes and request times) and to the adapter (``AccountContext.monotonic`` and ``sleep``: the
retry policy's and the rate limiter's waits). A realistic throttle then costs no real time: an
adapter that waits what the vendor asked moves the clock past the vendor's window, and one that
does not meets the throttle again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["Clock", "VirtualClock"]

Clock = Callable[[], float]
"""Monotonic seconds."""


class VirtualClock:
    """Real monotonic time plus every wait slept through :meth:`sleep`.

    :param base: the real clock underneath (tests may pass a frozen one).
    """

    def __init__(self, base: Clock = time.monotonic) -> None:
        self._base = base
        self.offset = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self._base() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (a negative or NaN wait is an error in the caller)."""
        if not seconds >= 0:
            raise ValueError(f"cannot advance the clock by {seconds!r} seconds")
        self.offset += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock to its end, letting other tasks run first.

        Tasks that wait at the same time wait together, as they would in real time: each moves
        the clock to *its* deadline only if the clock is not there yet, so ten tasks waiting a
        second each cost one second, not ten (a limiter pacing concurrent calls stays honest).
        """
        if not seconds >= 0:
            raise ValueError(f"cannot sleep {seconds!r} seconds")
        self.waits.append(seconds)
        deadline = self.monotonic() + seconds
        await asyncio.sleep(0)  # the others that wait now take their deadlines first
        self.advance(max(0.0, deadline - self.monotonic()))

    def __repr__(self) -> str:
        return f"<VirtualClock offset={self.offset:.3f}s waits={len(self.waits)}>"
