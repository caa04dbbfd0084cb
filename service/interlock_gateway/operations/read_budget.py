"""A cap on the vendor calls one principal's previews and batch selections may spend.

Interactive operations go first in the vendor's quota (lanes.py), but bulk reads still use
it up: a specialist previewing made-up names again and again would keep every batch of
everyone else waiting. Each principal may therefore make ``read_budget`` vendor calls per
``read_budget_window`` in selections (fixed windows, shared by every replica through
``read_budgets``); beyond it, 429 with ``Retry-After`` until the window ends. A selection
is charged what it may cost before it runs (a named session: at most one call; a filter:
a page per hundred items of its limit in every account), more if it turns out to need more,
and given back what it did not spend — so an exhausted budget stops a preview before it
reaches the vendor.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from ..policy import Caller
from ..problems import Problem
from ..store.tables import ReadBudget
from .context import Context

__all__ = ["Spend", "spending"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Spend:
    """What a running selection has been charged and has read so far."""

    def __init__(self, ctx: Context, caller: Caller, start: datetime, charged: int) -> None:
        self._ctx, self._caller, self._start = ctx, caller, start
        self.charged = charged
        self.used = 0

    async def take(self, reads: int) -> None:
        """Count ``reads`` more vendor calls; past the charge, charge more (a filter that scans
        further than its estimate). :raises Problem: 429 when the budget has no more."""
        self.used += reads
        if self.used > self.charged:
            more = max(self.used - self.charged, 100)
            await _charge_or_refuse(self._ctx, self._caller, self._start, more)
            self.charged += more


def _window(now: datetime, length: timedelta) -> tuple[datetime, datetime]:
    seconds = length.total_seconds()
    index = math.floor((now - _EPOCH).total_seconds() / seconds)
    start = _EPOCH + timedelta(seconds=index * seconds)
    return start, start + length


def _charge(is_sqlite: bool, principal_id: int, start: datetime, cost: int) -> Any:
    dialect = sqlite if is_sqlite else postgresql
    statement = dialect.insert(ReadBudget).values(
        principal_id=principal_id, window_start=start, reads=cost
    )
    return statement.on_conflict_do_update(
        index_elements=[ReadBudget.principal_id, ReadBudget.window_start],
        set_={"reads": ReadBudget.reads + cost},
    ).returning(ReadBudget.reads)


async def _add(ctx: Context, principal_id: int, start: datetime, cost: int) -> int:
    """Add ``cost`` (negative: give back) to the window's count; the new count."""
    statement = _charge(ctx.db.is_sqlite, principal_id, start, cost)
    async with ctx.db.write() as session:
        return int((await session.execute(statement)).scalar_one())


@contextlib.asynccontextmanager
async def spending(ctx: Context, caller: Caller, cost: int) -> AsyncIterator[Spend]:
    """Charge ``cost`` reads to ``caller`` for the block; give back what was not used.

    :raises Problem: 429 ``QUOTA.READ_BUDGET`` (with ``Retry-After``) when the charge would
        pass the budget; nothing is charged then.
    """
    start, _ = _window(ctx.clock(), ctx.batches.read_budget_window)
    cost = max(0, cost)
    await _charge_or_refuse(ctx, caller, start, cost)
    spend = Spend(ctx, caller, start, cost)
    try:
        yield spend
    finally:
        unused = spend.charged - min(spend.used, spend.charged)
        if unused:
            await _add(ctx, caller.principal_id, start, -unused)


async def _charge_or_refuse(ctx: Context, caller: Caller, start: datetime, cost: int) -> None:
    if cost <= 0:
        return
    budget = ctx.batches.read_budget
    total = await _add(ctx, caller.principal_id, start, cost)
    if total <= budget:
        return
    await _add(ctx, caller.principal_id, start, -cost)
    now = ctx.clock()
    end = start + ctx.batches.read_budget_window
    wait = max(1, math.ceil((end - now).total_seconds()))
    raise Problem(
        429,
        "QUOTA.READ_BUDGET",
        "Read budget spent",
        f"this selection may need up to {cost} more vendor calls, and {total - cost} of the "
        f"{budget} allowed per {_minutes(ctx.batches.read_budget_window)} are spent",
        hint=f"retry after {wait} s, or select fewer sessions",
        headers={"Retry-After": str(wait)},
        retry_after=wait,
        budget=budget,
    )


def _minutes(length: timedelta) -> str:
    minutes = length.total_seconds() / 60
    return f"{minutes:g} minutes" if minutes != 1 else "minute"
