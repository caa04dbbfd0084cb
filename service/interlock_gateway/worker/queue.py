"""The operations table as the worker's queue: claim with a lease, heartbeat.

An operation is *due* when it is ``pending`` and its ``next_attempt_at`` has come, in
``grace`` and its ``commit_at`` has come, or ``in_flight`` with an expired lease (its worker
died — the vendor call may or may not have happened, so it is reconciled by read-back).

Claiming is one write transaction: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` lets
replicas claim disjoint rows concurrently; SQLite has one writer (``BEGIN IMMEDIATE``), which
serialises claims by itself. Recording a claim's result is :mod:`.finish`; claiming batch
items per account is :mod:`.scheduler`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import ColumnElement

from ..operations.phases import Phase, phase_of
from ..store.engine import Database
from ..store.tables import OPERATIONS, Operation, OperationStatus, operation_from_row

__all__ = ["Claim", "claim", "due_exists", "heartbeat", "reserve_row"]

Status = OperationStatus


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


async def claim(
    db: Database,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    where: ColumnElement[bool] | None = None,
    fit: Callable[[Sequence[Operation]], int] | None = None,
) -> list[Claim]:
    """Claim up to ``limit`` due operations for ``owner`` until ``now + lease``.

    ``where`` narrows the claim (the scheduler claims batch items per account); ``fit`` says
    how many of the due rows read (in claim order, as stored) to take — the scheduler counts
    units, and how many items make a unit depends on the rows.
    """
    if limit <= 0:
        return []
    due = _due(now) if where is None else and_(_due(now), where)
    order = (Operation.created_at, Operation.item_index)
    statement = select(Operation).where(due).order_by(*order).limit(limit)
    if not db.is_sqlite:
        statement = statement.with_for_update(skip_locked=True)

    def take(session: Session) -> list[Claim]:
        # The claimed copies are detached and updated by hand; the rows with one executemany
        # (an ORM flush of hundreds of loaded objects cost more than the claim's SQL). Only
        # these objects are expunged: the session may hold other bodies' work (group commit).
        claims: list[Claim] = []
        rows: list[dict[str, Any]] = []
        due = session.scalars(statement).all()
        for op in due[: fit(due)] if fit is not None else due:
            session.expunge(op)
            phase = phase_of(op)
            # A grace period that closes starts a new phase: its attempts count afresh.
            attempts = 1 if op.status == Status.GRACE else op.attempts + 1
            details = {**(op.details or {}), "phase": phase.value}
            rows.append({"of_id": op.id, "set_attempts": attempts, "set_details": details})
            op.status = Status.IN_FLIGHT
            op.lease_owner = owner
            op.lease_until = now + lease
            op.attempts = attempts
            op.details = details
            op.updated_at = now
            claims.append(Claim(op, phase))
        if rows:
            session.execute(_claim_statement(owner, now + lease, now), rows)
        return claims

    return await db.run(take)


def _claim_statement(owner: str, lease_until: datetime, now: datetime) -> Update:
    return (
        update(OPERATIONS)
        .where(OPERATIONS.c.id == bindparam("of_id"))
        .values(
            status=Status.IN_FLIGHT.value,
            lease_owner=owner,
            lease_until=lease_until,
            updated_at=now,
            attempts=bindparam("set_attempts"),
            details=bindparam("set_details", type_=OPERATIONS.c.details.type),
        )
    )


def reserve_row(row: dict[str, Any], *, owner: str, now: datetime, lease: timedelta) -> Claim:
    """Claim a row that is about to be inserted (the accepting process runs it).

    The row is stored already ``in_flight`` under ``owner``'s lease, in the same transaction
    as its audit record — no second transaction to claim it, and if this process dies the
    lease ends and any worker reconciles it like every other claim.
    """
    row.update(
        status=Status.IN_FLIGHT.value, lease_owner=owner, lease_until=now + lease, attempts=1
    )
    return Claim(operation_from_row(row), Phase(row["details"]["phase"]))


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
