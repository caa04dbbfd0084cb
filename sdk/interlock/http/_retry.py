"""The one retry owner: tenacity with an explicit stop, wait and retry predicate, plus a budget.

Retries are bounded by attempts *and* elapsed time, happen only for errors marked
``retryable``, wait with full jitter (or exactly what the vendor asked for with Retry-After or
its own throttle signal), and draw from a retry budget so a failing vendor cannot turn every
call into three.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import tenacity

from interlock.errors import InterlockError, VendorRateLimited

__all__ = ["RetryBudget", "RetryPolicy"]


class RetryBudget:
    """Allows retries up to ``ratio`` of recent first attempts (plus a small floor).

    With ratio 0.2 a vendor that fails everything sees at most ~1.2 calls per operation over
    the window instead of 3: retries help with blips and stay out of the way in an outage.
    """

    def __init__(
        self,
        *,
        ratio: float = 0.2,
        min_retries: int = 10,
        window_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ratio = ratio
        self._min = min_retries
        self._window = window_s
        self._clock = clock
        self._attempts: deque[float] = deque()
        self._retries: deque[float] = deque()

    def _trim(self, now: float) -> None:
        for q in (self._attempts, self._retries):
            while q and q[0] < now - self._window:
                q.popleft()

    def record_attempt(self) -> None:
        now = self._clock()
        self._trim(now)
        self._attempts.append(now)

    def try_spend(self) -> bool:
        """Take one retry from the budget; False when it is used up."""
        now = self._clock()
        self._trim(now)
        allowed = self._min + self._ratio * len(self._attempts)
        if len(self._retries) >= allowed:
            return False
        self._retries.append(now)
        return True


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How vendor calls are retried. Every field is explicit; there is no 'retry forever'.

    :param max_attempts: total tries including the first (at most 3 by design).
    :param max_elapsed_s: give up rather than start a wait that would end this long after the
        first try.
    :param base_s: full-jitter base: wait is uniform in [0, min(cap, base * 2**n)].
    :param cap_s: the longest backoff wait.
    :param max_retry_after_s: a vendor asking us to wait longer than this is not retried now.
    """

    max_attempts: int = 3
    max_elapsed_s: float = 20.0
    base_s: float = 0.2
    cap_s: float = 5.0
    max_retry_after_s: float = 30.0
    budget: RetryBudget = field(default_factory=RetryBudget)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 3:
            raise ValueError("max_attempts must be between 1 and 3")

    def _should_retry(self, error: BaseException) -> bool:
        """Is this failure worth another try at all? (The budget is asked later, in stop.)"""
        if not isinstance(error, InterlockError) or not error.retryable:
            return False
        too_long = (
            isinstance(error, VendorRateLimited)
            and error.retry_after is not None
            and error.retry_after > self.max_retry_after_s
        )
        return not too_long

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        """Stop at the attempt limit, before the wait would cross the time limit, or when the
        budget is used up. Runs after the wait is chosen and only for retryable failures, so
        the budget pays only for retries that really happen."""
        if state.attempt_number >= self.max_attempts:
            return True
        elapsed = state.seconds_since_start or 0.0
        upcoming = getattr(state, "upcoming_sleep", 0.0)  # tenacity < 8.3 chose it after stop
        if elapsed + upcoming >= self.max_elapsed_s:
            return True
        return not self.budget.try_spend()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, VendorRateLimited) and error.retry_after is not None:
            # Honour the vendor's own number; a little jitter spreads concurrent waiters.
            after = max(0.0, error.retry_after)
            return after + self.rng.uniform(0, min(0.25, after * 0.1))
        ceiling = min(self.cap_s, self.base_s * 2 ** (state.attempt_number - 1))
        return self.rng.uniform(0, ceiling)

    def retrying(self) -> tenacity.AsyncRetrying:
        """A fresh tenacity controller for one logical call."""
        return tenacity.AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=tenacity.retry_if_exception(self._should_retry),
            sleep=self.sleep,
            reraise=True,
        )
