"""Deliberately broken vendor doubles: each plants one bug the kit's double checks must catch."""

from __future__ import annotations

import time
from collections.abc import Callable

from interlock.doubles import DoubleSettings
from interlock.models import SessionState
from interlock_sandbox.double import SandboxDouble
from interlock_sandbox.double._app import CLIENT_SECRET

__all__ = ["DOUBLES", "IgnoresTheStateOverride", "ListsOnlyItsCredentials", "RefillingBucket"]


class _Bucket:
    """A token bucket of one second's calls refilling at the rate: up to twice the limit in one
    second (the DingTalk double's old limiter, which let 39 calls through a 20/s limit)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.rate, now))
        tokens = min(self.rate, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        return allowed

    def retry_after(self, key: str) -> float:
        return 1.0 / self.rate


class RefillingBucket(SandboxDouble):
    """Throttles with a refilling bucket: more lenient than the vendor's per-second limit."""

    def __init__(self, settings: DoubleSettings | None = None) -> None:
        super().__init__(settings)
        self._throttle = _Bucket(self.qps, clock=self.monotonic)  # type: ignore[assignment]


class IgnoresTheStateOverride(SandboxDouble):
    """Forgets the vendor-only state it was told to show (renders the neutral state instead)."""

    def put_unmapped_session(self) -> str:
        return self.world.add(SessionState.IN_PROGRESS).id


class ListsOnlyItsCredentials(SandboxDouble):
    """Lists its credentials as secrets but not the tokens it issues (the old scaffold did)."""

    @property
    def secrets(self) -> tuple[str, ...]:
        return (CLIENT_SECRET,)


DOUBLES: dict[str, type[SandboxDouble]] = {
    "refilling-bucket": RefillingBucket,
    "ignores-the-state-override": IgnoresTheStateOverride,
    "lists-only-its-credentials": ListsOnlyItsCredentials,
}
