"""Reason statistics: how many stops each reason (vendor, account, day, verb) accounts for.

Counted in SQL from the ``operations`` table, the same statement on SQLite and PostgreSQL
except for the day bucket (:class:`utc_day` compiles per dialect). A *stop* is a pause,
terminate or revoke someone asked for: every outcome counts (a failed stop was still needed)
except ``cancelled`` and ``rejected`` ones, which never took effect, and a scheduled pause
expiry counts once it ran, not while it waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, not_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ..operations.rows import EXPIRY_ACTOR
from ..store.engine import Database
from ..store.tables import Operation, OperationStatus, OperationVerb

__all__ = ["DIMENSIONS", "STOP_VERBS", "Group", "ReasonCounts", "count_reasons", "utc_day"]

STOP_VERBS = (OperationVerb.PAUSE, OperationVerb.TERMINATE, OperationVerb.REVOKE)


class utc_day(FunctionElement[str]):
    """``YYYY-MM-DD`` of an aware-UTC timestamp column, on SQLite and PostgreSQL."""

    type = String()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # The store keeps SQLite timestamps as naive-UTC text, which date() reads as UTC.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # Literal arguments, not bound parameters: PostgreSQL matches GROUP BY expressions by
    # text, and two parameters ($1, $2) would make the same expression look different.
    column = compiler.process(element.clauses, **kw)
    return f"to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


#: group_by value → the column it groups on. ``department`` is the position's department as
#: the vendor reported it when the operation was accepted (stored with the operation).
DIMENSIONS: dict[str, ColumnElement[Any] | QueryableAttribute[Any]] = {
    "reason": Operation.reason_code,
    "vendor": Operation.vendor,
    "account": Operation.account,
    "department": Operation.details["position"]["department"].as_string(),
    "day": utc_day(Operation.created_at),
    "verb": Operation.verb,
}


@dataclass(frozen=True)
class Group:
    """One bucket: its dimension values (by name) and how many stops fell into it."""

    keys: dict[str, Any]
    count: int


@dataclass(frozen=True)
class ReasonCounts:
    """Every bucket, largest first, and the total they share."""

    total: int
    groups: list[Group]


def _counted(verbs: Sequence[OperationVerb]) -> ColumnElement[bool]:
    never_happened = (OperationStatus.CANCELLED.value, OperationStatus.REJECTED.value)
    waiting_expiry = and_(
        Operation.actor == EXPIRY_ACTOR, Operation.status == OperationStatus.PENDING.value
    )
    return and_(
        Operation.verb.in_([v.value for v in verbs]),
        Operation.reason_code.is_not(None),
        Operation.status.not_in(never_happened),
        not_(waiting_expiry),
    )


async def count_reasons(
    db: Database,
    group_by: Sequence[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    verbs: Sequence[OperationVerb] = STOP_VERBS,
) -> ReasonCounts:
    """Count stops created in ``[since, until)`` grouped by ``group_by`` (names of
    :data:`DIMENSIONS`, at least one)."""
    columns = [DIMENSIONS[name].label(name) for name in group_by]
    count = func.count().label("stops")
    statement = select(*columns, count).where(_counted(verbs))
    if since is not None:
        statement = statement.where(Operation.created_at >= since)
    if until is not None:
        statement = statement.where(Operation.created_at < until)
    statement = statement.group_by(*(DIMENSIONS[name] for name in group_by)).order_by(
        count.desc(), *(DIMENSIONS[name] for name in group_by)
    )
    async with db.session() as session:
        rows = (await session.execute(statement)).all()
    groups = [Group(dict(zip(group_by, row[:-1], strict=True)), int(row[-1])) for row in rows]
    return ReasonCounts(total=sum(g.count for g in groups), groups=groups)
