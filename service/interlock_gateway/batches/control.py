"""Cancelling a batch and undoing a terminate/revoke batch.

Cancel flips every item that has not started (``pending`` or ``awaiting_approval``) to
``cancelled`` with a compare-and-set on its status, so an item the worker claimed a moment
earlier is left to finish and nothing accepted is dropped silently. Undo flips every item
still inside its undo window ``grace → undone`` (the same compare-and-set as a single undo:
``commit_at > now``) and stores one restore operation per item — all in one transaction.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..api.problems import Problem
from ..audit import AuditEntry
from ..policy import Action, Caller
from ..runtime import Runtime
from ..services import audit
from ..services.idempotency import Reply
from ..services.operations import FINAL_VERBS
from ..services.undo import _undo_operation
from ..store.tables import Batch, BatchStatus, Operation, OperationStatus
from .schemas import BatchUndoOut
from .views import batch_reply, get_visible

__all__ = ["cancel", "undo"]

Status = OperationStatus
_FINISHED = (BatchStatus.CANCELLED, BatchStatus.COMPLETED, BatchStatus.REJECTED)


async def cancel(runtime: Runtime, caller: Caller, batch_id: str) -> Reply:
    """Stop what has not started; 409 for a batch that is already cancelled or finished."""
    batch = await get_visible(runtime, caller, batch_id, Action.BATCHES_CANCEL)
    now = runtime.clock()
    async with runtime.db.write() as tx:
        flipped = await tx.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status.not_in([s.value for s in _FINISHED]))
            .values(status=BatchStatus.CANCELLED.value, finished_at=now, updated_at=now)
        )
        if getattr(flipped, "rowcount", 0) != 1:
            problem = _not_cancellable(batch)
        else:
            problem = None
            result = await tx.execute(
                update(Operation)
                .where(
                    Operation.batch_id == batch_id,
                    Operation.status.in_([Status.PENDING.value, Status.AWAITING_APPROVAL.value]),
                )
                .values(
                    status=Status.CANCELLED.value,
                    outcome=None,
                    next_attempt_at=None,
                    error_code="BATCH.CANCELLED",
                    error_message=f"cancelled by {caller.name} before it started",
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            await runtime.trail.append(
                tx,
                AuditEntry(
                    actor=audit.actor_of(caller),
                    action="batch.cancel",
                    outcome="cancelled",
                    batch_id=batch_id,
                    details={"cancelled_items": getattr(result, "rowcount", 0)},
                ),
            )
    if problem is not None:
        raise problem
    return await batch_reply(runtime, batch_id, status=200)


def _not_cancellable(batch: Batch) -> Problem:
    return Problem(
        409,
        "BATCH.NOT_CANCELLABLE",
        "Batch cannot be cancelled",
        f"the batch is already {batch.status}",
        hint="GET the batch for its results; undo a terminate/revoke batch within its window",
        status_now=batch.status,
    )


async def undo(runtime: Runtime, caller: Caller, batch_id: str, note: str | None) -> BatchUndoOut:
    """Undo every item of the batch still inside its undo window."""
    batch = await get_visible(runtime, caller, batch_id, Action.OPERATIONS_UNDO)
    if batch.action not in {v.value for v in FINAL_VERBS}:
        raise Problem(
            409,
            "OPERATION.NOT_UNDOABLE",
            "Batch not undoable",
            f"a {batch.action} batch cannot be undone",
            hint="undo applies to terminate and revoke batches",
        )
    now = runtime.clock()
    created: list[str] = []
    async with runtime.db.write() as tx:
        items = (await tx.scalars(select(Operation).where(Operation.batch_id == batch_id))).all()
        for op in items:
            if op.status != Status.GRACE or op.commit_at is None or op.commit_at <= now:
                continue
            flipped = await tx.execute(
                update(Operation)
                .where(Operation.id == op.id, Operation.status == Status.GRACE)
                .where(Operation.commit_at > now)
                .values(status=Status.UNDONE.value, outcome="undone", next_attempt_at=None)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(flipped, "rowcount", 0) != 1:
                continue
            undo_op = _undo_operation(op, caller, note, now, None)
            tx.add(undo_op)
            created.append(undo_op.id)
            await tx.flush()
            await runtime.trail.append(
                tx,
                audit.entry_for_operation(
                    undo_op,
                    "operation.undo",
                    "accepted",
                    actor=audit.actor_of(caller),
                    details={"undo_of": op.id, "batch_id": batch_id},
                ),
            )
        await runtime.trail.append(
            tx,
            AuditEntry(
                actor=audit.actor_of(caller),
                action="batch.undo",
                outcome="undone" if created else "not_undoable",
                batch_id=batch_id,
                details={"undone": len(created), "items": len(items)},
            ),
        )
    runtime.worker.wake()
    return BatchUndoOut(
        batch_id=batch_id,
        undone=len(created),
        not_undoable=batch.item_count - len(created),
        undo_operations=created,
    )
