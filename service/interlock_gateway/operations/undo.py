"""Undo: cancel a terminate or revoke inside its undo window and give back what it held.

The stop is flipped ``grace → undone`` with a compare-and-set that also requires
``commit_at > now``, in the same transaction that stores the undo operation and its audit
record. The worker claims a grace period only when ``commit_at <= now``, so exactly one of
"commit" and "undo" wins, on one replica or several; and of many concurrent undos exactly one
flips the row — the others read what it is now and are told ``OPERATION.ALREADY_UNDONE``.
The undo operation then resumes the session at the vendor if the hold paused it (``restore``).
A batch's undo does the same for every item still inside its window, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session as OrmSession

from ..audit import AuditEntry
from ..policy import Action, Caller
from ..problems import Problem
from ..store.tables import (
    OPERATIONS,
    Batch,
    Operation,
    OperationStatus,
    operation_from_row,
)
from . import audit_entries as audit
from . import observers
from .accept import Accepted, get_visible, wait_for_phase
from .batch_reads import get_visible_batch
from .context import Context
from .dispatch import Dispatcher
from .phases import FINAL_VERBS, Phase
from .rows import undo_row

__all__ = ["BatchUndone", "undo", "undo_batch"]

Status = OperationStatus
_FINAL = {verb.value for verb in FINAL_VERBS}
_C = OPERATIONS.c
_INSERT = insert(OPERATIONS)


@dataclass(frozen=True, slots=True)
class BatchUndone:
    """What a batch's undo did."""

    batch_id: str
    undone: int
    not_undoable: int
    undo_operations: list[str]


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def refusal(op: Operation, now: datetime, window_enabled: bool) -> Problem | None:
    """Why ``op`` cannot be undone now, or ``None`` if it can."""
    if op.verb not in _FINAL:
        return _not_undoable(
            f"a {op.verb} cannot be undone", "undo applies to terminate and revoke"
        )
    if op.status == Status.GRACE and op.commit_at is not None and op.commit_at > now:
        return None
    if op.status == Status.UNDONE:
        return Problem(
            409,
            "OPERATION.ALREADY_UNDONE",
            "Already undone",
            f"operation {op.id} was undone already; the session was given back",
            hint="nothing more to do; GET the operation to see the undo",
        )
    if op.commit_at is not None and op.status in (Status.GRACE, Status.COMMITTED, Status.IN_FLIGHT):
        closed = op.commit_at.isoformat()
        return Problem(
            409,
            "OPERATION.UNDO_WINDOW_CLOSED",
            "Undo window closed",
            f"the undo window closed at {closed}; the {op.verb} is final at the vendor",
            hint="a final verb cannot be reversed through Interlock after its window",
            commit_at=closed,
        )
    if op.status in (Status.PENDING, Status.IN_FLIGHT):
        return _not_undoable(
            "the operation has not reached its undo window yet (the hold is being placed)",
            "retry in a moment",
            headers={"Retry-After": "1"},
        )
    if op.status == Status.AWAITING_APPROVAL:
        return _not_undoable(
            "the operation is awaiting approval and has not done anything",
            "ask an approver to reject it",
        )
    reason = "the undo window is disabled" if not window_enabled else f"it is {op.status}"
    return _not_undoable(f"this operation cannot be undone: {reason}", "nothing to undo")


def _not_undoable(detail: str, hint: str, headers: dict[str, str] | None = None) -> Problem:
    return Problem(
        409, "OPERATION.NOT_UNDOABLE", "Operation not undoable", detail, hint=hint, headers=headers
    )


def _flip(tx: OrmSession, ids: Sequence[str], now: datetime) -> set[str]:
    """``grace → undone`` for those of ``ids`` still inside their window; the ids flipped."""
    flipped = tx.execute(
        update(OPERATIONS)
        .where(_C.id.in_(list(ids)), _C.status == Status.GRACE.value, _C.commit_at > now)
        .values(status=Status.UNDONE.value, outcome="undone", next_attempt_at=None)
        .values(updated_at=now)
        .returning(_C.id)
    )
    return set(flipped.scalars())


def _as_now(tx: OrmSession, op_id: str) -> Operation:
    row = tx.execute(select(OPERATIONS).where(_C.id == op_id)).mappings().one()
    return operation_from_row(dict(row))


def _undone(op: Operation, now: datetime) -> Operation:
    values = {column.key: getattr(op, column.key) for column in _C}
    values.update(status=Status.UNDONE.value, outcome="undone", updated_at=now)
    return operation_from_row(values)


async def undo(
    ctx: Context,
    dispatcher: Dispatcher,
    caller: Caller,
    op_id: str,
    note: str | None,
    key: str | None = None,
) -> Accepted:
    """Undo ``op_id`` if it is in its undo window; answers with the undo operation.

    :raises Problem: 404 (not visible), 409 (not undoable now, already undone, window closed).
    """
    op = (await get_visible(ctx, caller, op_id, Action.OPERATIONS_UNDO)).op
    now = ctx.clock()
    window = ctx.settings.undo_window.total_seconds() > 0
    problem = refusal(op, now, window)
    if problem is not None:
        await _audit_refused(ctx, caller, op, problem)
        raise problem
    row = undo_row(op, actor=caller.name, note=note, now=now, key=key)
    reservation = dispatcher.reserve([row])
    undo_op = operation_from_row(row)
    entry = audit.entry_for_operation(
        undo_op,
        "operation.undo",
        "accepted",
        actor=audit.actor_of(caller),
        details={"undo_of": op.id},
    )

    def store(tx: OrmSession) -> None:
        if not _flip(tx, [op.id], now):  # an undo or the commit won: say which
            current = refusal(_as_now(tx, op.id), now, window)
            raise _Refused(current or _not_undoable("the operation changed", "retry"))
        tx.execute(_INSERT, row)
        ctx.trail.append_sync(tx, entry)

    try:
        await ctx.db.run(store)
    except _Refused as refused:
        dispatcher.release(reservation)
        await _audit_refused(ctx, caller, op, refused.problem)
        raise refused.problem from None
    except BaseException:
        dispatcher.release(reservation)
        raise
    dispatcher.start_reserved(reservation)
    observers.finished(ctx.plugins, _undone(op, now), Phase.HOLD, now)
    return await wait_for_phase(ctx, dispatcher, Accepted(undo_op))


async def _audit_refused(ctx: Context, caller: Caller, op: Operation, problem: Problem) -> None:
    entry = audit.entry_for_operation(
        op,
        "operation.undo",
        "rejected",
        actor=audit.actor_of(caller),
        details={"refused": problem.code},
    )
    await audit.record(ctx.db, ctx.trail, entry)


async def undo_batch(
    ctx: Context, dispatcher: Dispatcher, caller: Caller, batch_id: str, note: str | None
) -> BatchUndone:
    """Undo every item of a terminate/revoke batch still inside its undo window."""
    batch = await get_visible_batch(ctx, caller, batch_id, Action.OPERATIONS_UNDO)
    if batch.action not in _FINAL:
        raise Problem(
            409,
            "OPERATION.NOT_UNDOABLE",
            "Batch not undoable",
            f"a {batch.action} batch cannot be undone",
            hint="undo applies to terminate and revoke batches",
        )
    now = ctx.clock()
    async with ctx.db.session() as session:
        held = (
            await session.scalars(
                select(Operation).where(
                    Operation.batch_id == batch_id,
                    Operation.status == Status.GRACE,
                    Operation.commit_at > now,
                )
            )
        ).all()
    rows = {op.id: undo_row(op, actor=caller.name, note=note, now=now, key=None) for op in held}

    def store(tx: OrmSession) -> list[str]:
        flipped = _flip(tx, list(rows), now) if rows else set()
        created = [rows[op.id] for op in held if op.id in flipped]
        if created:
            tx.execute(_INSERT, created)
        entries = [_undo_entry(caller, operation_from_row(r), batch_id) for r in created]
        entries.append(_batch_entry(caller, batch, len(created)))
        ctx.trail.append_many_sync(tx, entries)
        return [r["undo_of"] for r in created]

    flipped_ids = set(await ctx.db.run(store))
    dispatcher.wake()
    for op in held:
        if op.id in flipped_ids:
            observers.finished(ctx.plugins, _undone(op, now), Phase.HOLD, now)
    undo_ids = [rows[i]["id"] for i in rows if i in flipped_ids]
    return BatchUndone(
        batch_id=batch_id,
        undone=len(undo_ids),
        not_undoable=batch.item_count - len(undo_ids),
        undo_operations=undo_ids,
    )


def _undo_entry(caller: Caller, undo_op: Operation, batch_id: str) -> AuditEntry:
    details: dict[str, Any] = {"undo_of": undo_op.undo_of, "batch_id": batch_id}
    return audit.entry_for_operation(
        undo_op, "operation.undo", "accepted", actor=audit.actor_of(caller), details=details
    )


def _batch_entry(caller: Caller, batch: Batch, undone: int) -> AuditEntry:
    return AuditEntry(
        actor=audit.actor_of(caller),
        action="batch.undo",
        outcome="undone" if undone else "not_undoable",
        batch_id=batch.id,
        details={"undone": undone, "items": batch.item_count},
    )
