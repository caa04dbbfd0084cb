"""A circuit breaker per account: while a vendor is failing, its items wait instead of failing.

``closed`` → (``threshold`` consecutive retryable failures) → ``open`` for ``cooldown`` →
``half_open`` (one probe item at a time) → a success closes it, a failure opens it again
with the cooldown doubled (up to ``max_cooldown``). The batch engine claims no items of an
open account and re-queues items that failed retryably while it is open *without* spending
an attempt, so an outage of any length ends with the items carried out, not failed.

The state is per process: each replica learns about an outage from its own calls, which
costs at most ``threshold`` failed calls per replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(StrEnum):
    """Where one account's breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Account:
    failures: int = 0
    opened_at: float | None = None
    cooldown: float = 0.0


class CircuitBreaker:
    """Per-account breakers sharing one configuration."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown_s: float = 1.0,
        max_cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._clock = clock
        self._accounts: dict[str, _Account] = {}

    def _of(self, account: str) -> _Account:
        return self._accounts.setdefault(account, _Account(cooldown=self.cooldown_s))

    def state(self, account: str) -> BreakerState:
        """The account's state now."""
        entry = self._of(account)
        if entry.opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - entry.opened_at >= entry.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def retry_in(self, account: str) -> float:
        """Seconds until the account may be tried again (0 when closed or half-open)."""
        entry = self._of(account)
        if entry.opened_at is None:
            return 0.0
        return max(0.0, entry.opened_at + entry.cooldown - self._clock())

    def record_success(self, account: str) -> None:
        """A vendor call of the account worked: close the breaker."""
        entry = self._of(account)
        entry.failures, entry.opened_at, entry.cooldown = 0, None, self.cooldown_s

    def record_failure(self, account: str) -> None:
        """A retryable vendor failure: count it; open (or re-open, longer) when due."""
        entry = self._of(account)
        state = self.state(account)
        entry.failures += 1
        if state is BreakerState.HALF_OPEN:
            entry.cooldown = min(entry.cooldown * 2, self.max_cooldown_s)
            entry.opened_at = self._clock()
        elif state is BreakerState.CLOSED and entry.failures >= self.threshold:
            entry.opened_at = self._clock()
