"""The operations table as the worker's queue: claim with a lease, heartbeat, finish.

An operation is *due* when it is ``pending`` and its ``next_attempt_at`` has come, in
``grace`` and its ``commit_at`` has come, or ``in_flight`` with an expired lease (its worker
died — the vendor call may or may not have happened, so it is reconciled by read-back).

Claiming is one write transaction: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` lets
replicas claim disjoint rows concurrently; SQLite has one writer (``BEGIN IMMEDIATE``), which
serialises claims by itself. Finishing is a compare-and-set on ``(id, lease_owner,
status='in_flight')`` in the same transaction as the outcome's audit record, so a worker that
lost its lease can never overwrite the outcome of the one that took over.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import ColumnElement

from ..audit import AuditEntry, AuditTrail
from ..store.engine import Database
from ..store.tables import Operation, OperationStatus

__all__ = [
    "Claim",
    "Outcome",
    "Phase",
    "StatementFollowUp",
    "claim",
    "claim_new",
    "due_exists",
    "finish",
    "heartbeat",
    "phase_of",
]

Status = OperationStatus


class Phase(StrEnum):
    """What the worker does with an operation when it is due."""

    APPLY = "apply"
    """Send the verb (pause, resume; terminate/revoke without an undo window)."""
    HOLD = "hold"
    """Terminate/revoke: hold the candidate (pause if running) and open the undo window."""
    COMMIT = "commit"
    """The undo window closed: send the final verb."""
    RESTORE = "restore"
    """Undo: give back what the hold took (resume if we paused)."""
    EXPIRE = "expire"
    """A pause reached its resume deadline: tell the vendor (terminate, pause_expired)."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed operation (a detached copy), its phase, and whether it was tried before."""

    op: Operation
    phase: Phase

    @property
    def recovering(self) -> bool:
        """A previous attempt of this phase may have reached the vendor: read back first."""
        return self.op.attempts > 1


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Operation.status == Status.PENDING, Operation.next_attempt_at <= now),
        and_(Operation.status == Status.GRACE, Operation.commit_at <= now),
        and_(Operation.status == Status.IN_FLIGHT, Operation.lease_until <= now),
    )


async def due_exists(db: Database, now: datetime) -> bool:
    """A cheap read: is anything due? (Saves a write transaction per idle poll on SQLite.)"""
    async with db.session() as session:
        found = await session.scalar(select(Operation.id).where(_due(now)).limit(1))
    return found is not None


def phase_of(op: Operation) -> Phase:
    """The phase a due operation is in (a closing grace period is the commit)."""
    if op.status == Status.GRACE:
        return Phase.COMMIT
    return Phase((op.details or {}).get("phase", Phase.APPLY))


async def claim(
    db: Database,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    where: ColumnElement[bool] | None = None,
) -> list[Claim]:
    """Claim up to ``limit`` due operations for ``owner`` until ``now + lease``.

    ``where`` narrows the claim (the batch engine claims batch items per account).
    """
    if limit <= 0:
        return []
    due = _due(now) if where is None else and_(_due(now), where)
    order = (Operation.created_at, Operation.item_index)
    statement = select(Operation).where(due).order_by(*order).limit(limit)
    if not db.is_sqlite:
        statement = statement.with_for_update(skip_locked=True)

    def take(session: Session) -> list[Claim]:
        claims: list[Claim] = []
        for op in session.scalars(statement).all():
            phase = phase_of(op)
            # A grace period that closes starts a new phase: its attempts count afresh.
            attempts = 1 if op.status == Status.GRACE else op.attempts + 1
            op.status = Status.IN_FLIGHT
            op.lease_owner = owner
            op.lease_until = now + lease
            op.attempts = attempts
            op.details = {**(op.details or {}), "phase": phase.value}
            op.updated_at = now
            claims.append(Claim(op, phase))
        return claims

    return await db.run(take)


def claim_new(op: Operation, *, owner: str, now: datetime, lease: timedelta) -> Claim:
    """Claim an operation that is about to be inserted (the accepting process runs it).

    The row is stored already ``in_flight`` under ``owner``'s lease, in the same transaction
    as its audit record — no second transaction to claim it, and if this process dies the
    lease ends and any worker reconciles it like every other claim.
    """
    phase = phase_of(op)
    op.status = Status.IN_FLIGHT
    op.lease_owner = owner
    op.lease_until = now + lease
    op.attempts = 1
    return Claim(op, phase)


async def heartbeat(
    db: Database, *, owner: str, ids: Sequence[str], now: datetime, lease: timedelta
) -> None:
    """Extend the leases ``owner`` holds on ``ids`` (long vendor calls keep their claim)."""
    if not ids:
        return
    async with db.write() as session:
        await session.execute(
            update(Operation)
            .where(
                Operation.id.in_(list(ids)),
                Operation.lease_owner == owner,
                Operation.status == Status.IN_FLIGHT,
            )
            .values(lease_until=now + lease)
        )


@functools.lru_cache(maxsize=128)
def _finish_statement(columns: frozenset[str]) -> Update:
    """The compare-and-set that records a phase's result, for one set of changed columns.

    Built once per set on the Core table (it runs for every finished phase and batch item:
    building an ORM update per call was a third of the finishing cost).
    """
    table = cast(Table, Operation.__table__)
    values: dict[str, Any] = {
        name: bindparam(f"set_{name}", type_=table.c[name].type) for name in sorted(columns)
    }
    return (
        update(table)
        .where(
            table.c.id == bindparam("of_id"),
            table.c.lease_owner == bindparam("of_owner"),
            table.c.status == Status.IN_FLIGHT.value,
        )
        .values({**values, "lease_owner": None, "lease_until": None})
    )


def _still_held(ids: list[str], owner: str, *, lock: bool) -> Select[tuple[str]]:
    """Which of ``ids`` ``owner`` still holds in flight (row-locked where ``lock``)."""
    table = cast(Table, Operation.__table__)
    held = select(table.c.id).where(
        table.c.id.in_(ids),
        table.c.lease_owner == owner,
        table.c.status == Status.IN_FLIGHT.value,
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
