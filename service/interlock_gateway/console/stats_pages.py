"""Reason statistics: stops by reason, vendor, department and week as server-rendered SVG
bar charts, each with its numbers in a table beside it (``reports.stats``, like
``/v1/stats/reasons``). Weeks start on Monday, in the user's time zone's calendar of UTC days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..policy import Action
from ..reports.stats import ReasonCounts, count_reasons
from .gate import Allow
from .messages import N_, REASONS
from .web import ConsoleUser, context_of, gettext, page_of, render

__all__ = ["Bar", "Chart", "router"]

router = APIRouter()
WEEKS = 8
_UNKNOWN = N_("(not reported)")


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float


@dataclass(frozen=True)
class Chart:
    """One chart: its title, its bars (largest first, or by week) and the total."""

    key: str
    title: str
    bars: list[Bar]
    total: int

    @property
    def largest(self) -> int:
        return max((bar.count for bar in self.bars), default=0)


def _bars(counts: Counter[str], total: int) -> list[Bar]:
    return [Bar(label, n, n / total if total else 0.0) for label, n in counts.most_common()]


def _by(counts: ReasonCounts, name: str, label: object = None) -> Counter[str]:
    found: Counter[str] = Counter()
    for group in counts.groups:
        key = group.keys.get(name)
        found[str(key) if key is not None else ""] += group.count
    return found


def _weeks(days: Counter[str], today: date) -> list[tuple[str, int]]:
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=i) for i in reversed(range(WEEKS))]
    totals = dict.fromkeys(starts, 0)
    for day, n in days.items():
        if not day:
            continue
        start = date.fromisoformat(day[:10])
        start -= timedelta(days=start.weekday())
        if start in totals:
            totals[start] += n
    return [(start.isoformat(), n) for start, n in totals.items()]


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.STATS_READ)]
) -> Response:
    page = page_of(request, user)
    ctx, _ = context_of(request), gettext(page)
    today = ctx.clock().astimezone(page.fmt.zone).date()
    since = ctx.clock() - timedelta(weeks=WEEKS)
    counts = await count_reasons(ctx.db, ["reason", "vendor", "department", "day"], since=since)
    total = counts.total
    named = {
        "reason": Counter({_(REASONS.get(k, k)): n for k, n in _by(counts, "reason").items()}),
        "vendor": _by(counts, "vendor"),
        "department": Counter(
            {(k or _(_UNKNOWN)): n for k, n in _by(counts, "department").items()}
        ),
    }
    titles = {
        "reason": _(N_("Stops by reason")),
        "vendor": _(N_("Stops by vendor")),
        "department": _(N_("Stops by department")),
        "week": _(N_("Stops by week (starting Monday)")),
    }
    charts = [Chart(k, titles[k], _bars(v, total), total) for k, v in named.items()]
    weeks = _weeks(_by(counts, "day"), today)
    week_bars = [Bar(start, n, n / total if total else 0.0) for start, n in weeks]
    charts.append(Chart("week", titles["week"], week_bars, total))
    return render(page, "stats.html", charts=charts, total=total, weeks=WEEKS)
