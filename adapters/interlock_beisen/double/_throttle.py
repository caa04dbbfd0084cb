"""Beisen's gateway throttle: per (tenant, API) second and minute windows plus a daily total.

Documented (``vendors.md`` §2.4): limits are per tenant × API, shared by all connectors, e.g.
20/s & 1000/min for list APIs, 50/s & 1500/min for ``Apply/TransferPhase``, 50/s & 1000/min
for ``AsyncApiExecInfo``; a daily total after which *every* API answers 429; the token endpoint
reports ``X-RateLimit-Limit-second: 400``. Whether Beisen counts in calendar or sliding windows
is undocumented, so the double counts in sliding ones: at most the limit in *any* second and
any minute, which holds under either reading (a double must never be more lenient than the
vendor).

Retry-After (a decision; Beisen documents no 429 body or header): a per-minute overflow says
how many seconds until the minute's window has room again; a per-second overflow says nothing
(the window ends within a second); a spent daily total says nothing either (retrying today
cannot help).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from interlock.doubles import SlidingWindowLimit

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
    """Sliding-window counters per (tenant, API) and a daily total per tenant.

    :param limit_of: the limits of an API name.
    :param daily_total: calls per tenant per day (all APIs together).
    :param clock: seconds (the windows; the double's clock).
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
        self._windows: dict[tuple[str, str], tuple[SlidingWindowLimit, SlidingWindowLimit]] = {}
        self._daily: dict[str, tuple[date, int]] = {}

    def check(self, tenant: str, api: str, *, counts_daily: bool = True) -> Verdict:
        """Count one call if it fits; otherwise say which window is full."""
        limit = self._limit_of(api)
        second, minute = self._window(tenant, api, limit)
        day, used = self._daily.get(tenant, (self._today(), 0))
        if day != self._today():
            day, used = self._today(), 0
        if counts_daily and used >= self.daily_total:
            return Verdict(False, _headers(limit, second, minute), daily_exhausted=True)
        if minute.used("") >= limit.per_minute:
            wait = max(1, math.ceil(minute.retry_after("")))
            return Verdict(False, _headers(limit, second, minute), retry_after_s=wait)
        if not second.allow(""):
            return Verdict(False, _headers(limit, second, minute))
        minute.allow("")
        if counts_daily:
            self._daily[tenant] = (day, used + 1)
        return Verdict(True, _headers(limit, second, minute))

    def _window(
        self, tenant: str, api: str, limit: ApiLimit
    ) -> tuple[SlidingWindowLimit, SlidingWindowLimit]:
        found = self._windows.get((tenant, api))
        if found is None:
            found = (
                SlidingWindowLimit(limit.per_second, window_s=1.0, clock=self._clock),
                SlidingWindowLimit(limit.per_minute, window_s=60.0, clock=self._clock),
            )
            self._windows[(tenant, api)] = found
        return found


def _headers(
    limit: ApiLimit, second: SlidingWindowLimit, minute: SlidingWindowLimit
) -> dict[str, str]:
    return {
        "X-RateLimit-Limit-second": f"{limit.per_second:g}",
        "X-RateLimit-Remaining-second": f"{max(0, math.ceil(limit.per_second - second.used('')))}",
        "X-RateLimit-Limit-minute": f"{limit.per_minute:g}",
        "X-RateLimit-Remaining-minute": f"{max(0, math.ceil(limit.per_minute - minute.used('')))}",
    }
