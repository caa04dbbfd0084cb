"""DingTalk's monthly call counter per org (the per-second limits are sliding windows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["MonthlyQuota"]


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
