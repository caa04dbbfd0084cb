"""A caller's own recent operations ("My operations" in the console).

What the caller asked for — single operations, batch items and undos — newest first, each
with where it stands; a stop still inside its undo window says so (:attr:`Mine.undoable`), so
the console can keep offering undo until the window closes, not only in a message that
disappears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..policy import Caller
from ..store.tables import Operation, OperationStatus
from .context import Context

__all__ = ["Mine", "my_operations"]

#: How far back "recent" reaches by default.
RECENT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Mine:
    """One of the caller's operations and whether undo is possible right now."""

    op: Operation
    undoable: bool


async def my_operations(
    ctx: Context, caller: Caller, *, limit: int = 50, since: timedelta = RECENT
) -> list[Mine]:
    """The operations ``caller`` requested within ``since``, newest first (at most ``limit``)."""
    now = ctx.clock()
    statement = (
        select(Operation)
        .where(Operation.actor == caller.name, Operation.created_at >= now - since)
        .order_by(Operation.created_at.desc(), Operation.id)
        .limit(limit)
    )
    async with ctx.db.session() as session:
        ops = list(await session.scalars(statement))
    return [Mine(op, _undoable(op, now)) for op in ops]


def _undoable(op: Operation, now: datetime) -> bool:
    return op.status == OperationStatus.GRACE and op.commit_at is not None and op.commit_at > now
