"""Beisen's gateway throttle: per (tenant, API) second and minute windows plus a daily total.

Documented (``vendors.md`` §2.4): limits are per tenant × API, shared by all connectors, e.g.
20/s & 1000/min for list APIs, 50/s & 1500/min for ``Apply/TransferPhase``, 50/s & 1000/min
for ``AsyncApiExecInfo``; a daily total after which *every* API answers 429; the token endpoint
reports ``X-RateLimit-Limit-second: 400``. Windows are fixed (calendar second and minute), the
way the ``X-RateLimit-*-second`` headers suggest.

Retry-After (a decision; Beisen documents no 429 body or header): a per-minute overflow says
how many seconds remain in the minute; a per-second overflow says nothing (the window ends
within a second); a spent daily total says nothing either (retrying today cannot help).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

__all__ = ["DOCUMENTED_LIMITS", "ApiLimit", "GatewayThrottle", "Verdict"]


@dataclass(frozen=True)
class ApiLimit:
    """One API's limits (per tenant)."""

    per_second: float
    per_minute: float

    def scaled_to(self, per_second: float) -> ApiLimit:
        """The same shape at another per-second rate (``--qps``): the minute scales along."""
        return ApiLimit(per_second, math.ceil(self.per_minute * per_second / self.per_second))


DOCUMENTED_LIMITS: dict[str, ApiLimit] = {
    "Apply/GetApplyListByModifiedTime": ApiLimit(20, 1000),
    "Apply/GetApplyListByApplyId": ApiLimit(20, 1000),
    "AsyncApiExecInfo/GetByRequestId": ApiLimit(50, 1000),
}
READ_LIMIT = ApiLimit(20, 1000)  # the list APIs' documented limit, for the interview reads
WRITE_LIMIT = ApiLimit(50, 1500)  # Apply/TransferPhase's documented limit, for the writes
TOKEN_LIMIT = ApiLimit(400, 24000)  # X-RateLimit-Limit-second: 400 on /OAuth/Token (probe P1)


@dataclass(frozen=True)
class Verdict:
    """The throttle's answer for one call: allowed, or why not (and the headers to send)."""

    allowed: bool
    headers: dict[str, str]
    daily_exhausted: bool = False
    retry_after_s: int | None = None


class GatewayThrottle:
    """Fixed-window counters per (tenant, API) and a daily total per tenant.

    :param limit_of: the limits of an API name.
    :param daily_total: calls per tenant per day (all APIs together).
    :param clock: wall-clock seconds (window boundaries).
    :param today: the tenant's current local date (the daily total resets with it).
    """

    def __init__(
        self,
        limit_of: Callable[[str], ApiLimit],
        *,
        daily_total: int,
        clock: Callable[[], float] = time.time,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._limit_of = limit_of
        self.daily_total = daily_total
        self._clock = clock
        self._today = today
        self._windows: dict[tuple[str, str], list[int]] = {}
        self._daily: dict[str, tuple[date, int]] = {}

    def check(self, tenant: str, api: str, *, counts_daily: bool = True) -> Verdict:
        """Count one call if it fits; otherwise say which window is full."""
        limit = self._limit_of(api)
        now = self._clock()
        second, minute = int(now), int(now // 60)
        window = self._windows.setdefault((tenant, api), [second, 0, minute, 0])
        if window[0] != second:
            window[0], window[1] = second, 0
        if window[2] != minute:
            window[2], window[3] = minute, 0
        day, used = self._daily.get(tenant, (self._today(), 0))
        if day != self._today():
            day, used = self._today(), 0
        if counts_daily and used >= self.daily_total:
            return Verdict(False, self._headers(limit, window), daily_exhausted=True)
        if window[3] >= limit.per_minute:
            wait = max(1, math.ceil(60 - now % 60))
            return Verdict(False, self._headers(limit, window), retry_after_s=wait)
        if window[1] >= limit.per_second:
            return Verdict(False, self._headers(limit, window))
        window[1] += 1
        window[3] += 1
        if counts_daily:
            self._daily[tenant] = (day, used + 1)
        return Verdict(True, self._headers(limit, window))

    @staticmethod
    def _headers(limit: ApiLimit, window: list[int]) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-second": f"{limit.per_second:g}",
            "X-RateLimit-Remaining-second": f"{max(0, math.ceil(limit.per_second - window[1]))}",
            "X-RateLimit-Limit-minute": f"{limit.per_minute:g}",
            "X-RateLimit-Remaining-minute": f"{max(0, math.ceil(limit.per_minute - window[3]))}",
        }
