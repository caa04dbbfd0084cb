"""Recording a phase's result: a compare-and-set on the lease, audit records, follow-ups.

Finishing is a compare-and-set on ``(id, lease_owner, status='in_flight')`` in the same
transaction as the outcome's audit records and follow-ups, so a worker that lost its lease
can never overwrite the outcome of the one that took over. A native chunk's outcomes are
recorded together: the leases still held are read (locked on PostgreSQL), then one
``executemany`` per set of changed columns, one for the audit records and one per
one-statement follow-up — each item still its own compare-and-set and its own audit record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Update

from ..audit import AuditEntry, AuditTrail
from ..store.engine import Database
from ..store.tables import OPERATIONS, OperationStatus

__all__ = ["AfterFinish", "Outcome", "StatementFollowUp", "finish"]

Status = OperationStatus


@functools.lru_cache(maxsize=128)
def _finish_statement(columns: frozenset[str]) -> Update:
    """The compare-and-set that records a phase's result, for one set of changed columns.

    Built once per set on the Core table (it runs for every finished phase and batch item:
    building an ORM update per call was a third of the finishing cost).
    """
    values: dict[str, Any] = {
        name: bindparam(f"set_{name}", type_=OPERATIONS.c[name].type) for name in sorted(columns)
    }
    return (
        update(OPERATIONS)
        .where(
            OPERATIONS.c.id == bindparam("of_id"),
            OPERATIONS.c.lease_owner == bindparam("of_owner"),
            OPERATIONS.c.status == Status.IN_FLIGHT.value,
        )
        .values({**values, "lease_owner": None, "lease_until": None})
    )


def _still_held(ids: list[str], owner: str, *, lock: bool) -> Select[tuple[str]]:
    """Which of ``ids`` ``owner`` still holds in flight (row-locked where ``lock``)."""
    held = select(OPERATIONS.c.id).where(
        OPERATIONS.c.id.in_(ids),
        OPERATIONS.c.lease_owner == owner,
        OPERATIONS.c.status == Status.IN_FLIGHT.value,
    )
    return held.with_for_update() if lock else held


AfterFinish = Callable[[Session], None]
"""A follow-up write in the finishing transaction (a ``Database.run`` body's session)."""


@dataclass(frozen=True, slots=True)
class StatementFollowUp:
    """A follow-up that is one statement: a chunk's follow-ups of the same statement run as
    one ``executemany``."""

    statement: Executable
    params: dict[str, Any]

    def __call__(self, session: Session) -> None:
        session.execute(self.statement, self.params)


def _run_follow_ups(session: Session, outcomes: Sequence[Outcome]) -> None:
    grouped: dict[Executable, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        for step in outcome.after:
            if isinstance(step, StatementFollowUp) and len(outcomes) > 1:
                grouped.setdefault(step.statement, []).append(step.params)
            else:
                step(session)
    for statement, params in grouped.items():
        session.execute(statement, params)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One operation's phase result to record: its columns, audit records and follow-ups."""

    op_id: str
    changes: dict[str, Any]
    entries: Sequence[AuditEntry]
    after: Sequence[AfterFinish] = ()

    def values(self, owner: str) -> dict[str, Any]:
        """The parameters of :func:`_finish_statement` for this outcome."""
        values = {f"set_{name}": value for name, value in self.changes.items()}
        return values | {"of_id": self.op_id, "of_owner": owner}


async def finish(
    db: Database, trail: AuditTrail, *, owner: str, outcomes: Sequence[Outcome]
) -> list[bool]:
    """Record phase results — each a compare-and-set on ``owner``'s lease, its audit records
    and follow-ups — in one transaction.

    Several outcomes (a native chunk's items) are written with one ``executemany`` per set
    of changed columns and one for their audit records, after reading which of them
    ``owner`` still holds (locked on PostgreSQL).

    :returns: per outcome, ``False`` (and nothing of it written) when ``owner`` no longer
        holds the lease.
    """
    ids = [outcome.op_id for outcome in outcomes]

    def record(session: Session) -> list[bool]:
        if len(outcomes) == 1:  # a single phase: the update itself is the compare-and-set
            only = outcomes[0]
            result = session.execute(_finish_statement(frozenset(only.changes)), only.values(owner))
            owned = set(ids) if getattr(result, "rowcount", 0) == 1 else set()
            mine = list(outcomes) if owned else []
        else:
            owned = set(session.scalars(_still_held(ids, owner, lock=not db.is_sqlite)))
            mine = [outcome for outcome in outcomes if outcome.op_id in owned]
            by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
            for outcome in mine:
                rows = by_columns.setdefault(frozenset(outcome.changes), [])
                rows.append(outcome.values(owner))
            for columns, rows in by_columns.items():
                session.execute(_finish_statement(columns), rows)
        trail.append_many_sync(session, [entry for outcome in mine for entry in outcome.entries])
        _run_follow_ups(session, mine)
        return [op_id in owned for op_id in ids]

    return await db.run(record)
