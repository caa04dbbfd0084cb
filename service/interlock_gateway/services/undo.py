"""Undo: cancel a terminate or revoke inside its undo window and give back what it held.

The target is flipped ``grace → undone`` with a compare-and-set that also requires
``commit_at > now``, in the same transaction that stores the undo operation and its audit
record. The worker claims a grace period only when ``commit_at <= now``, so exactly one of
"commit" and "undo" wins, on one replica or several. The undo operation then resumes the
session at the vendor if the hold paused it (``restore`` phase).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update

from interlock.models import ReasonCode

from ..api.problems import Problem
from ..policy import Action, Caller
from ..runtime import Runtime
from ..store.tables import Operation, OperationKind, OperationStatus, OperationVerb
from . import audit
from .idempotency import Reply
from .operations import FINAL_VERBS, get_visible, settle
from .queue import Phase

__all__ = ["undo"]

Status = OperationStatus
_FINAL = {verb.value for verb in FINAL_VERBS}


def _refusal(op: Operation, now: datetime, window_enabled: bool) -> Problem | None:
    """Why ``op`` cannot be undone now, or ``None`` if it can."""
    if op.verb not in _FINAL:
        return _not_undoable(
            f"a {op.verb} cannot be undone", "undo applies to terminate and revoke"
        )
    if op.status == Status.GRACE and op.commit_at is not None and op.commit_at > now:
        return None
    if op.status == Status.UNDONE:
        return Problem(
            409, "OPERATION.ALREADY_UNDONE", "Already undone", "this operation was undone"
        )
    if op.status in (Status.GRACE, Status.COMMITTED) or (
        op.status == Status.PENDING and op.commit_at is not None
    ):
        closed = op.commit_at.isoformat() if op.commit_at else "its commit"
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
            "the operation has not reached its undo window yet", "retry in a moment"
        )
    if op.status == Status.AWAITING_APPROVAL:
        return _not_undoable(
            "the operation is awaiting approval and has not done anything",
            "ask an approver to reject it",
        )
    reason = "undo window is disabled" if not window_enabled else f"it is {op.status}"
    return _not_undoable(f"this operation cannot be undone: {reason}", "nothing to undo")


def _not_undoable(detail: str, hint: str) -> Problem:
    return Problem(409, "OPERATION.NOT_UNDOABLE", "Operation not undoable", detail, hint=hint)


def _undo_operation(
    op: Operation, caller: Caller, note: str | None, now: datetime, key: str | None
) -> Operation:
    return Operation(
        id=str(uuid.uuid4()),
        kind=OperationKind.SINGLE.value,
        account=op.account,
        vendor=op.vendor,
        session_id=op.session_id,
        position_id=op.position_id,
        verb=OperationVerb.UNDO.value,
        reason_code=ReasonCode.OPERATOR_ERROR.value,
        reason_note=note,
        actor=caller.name,
        status=Status.PENDING.value,
        state_before=op.state_after,
        undo_of=op.id,
        idempotency_key=key,
        attempts=0,
        next_attempt_at=now,
        details={
            "phase": Phase.RESTORE.value,
            "held_by_pause": bool((op.details or {}).get("held_by_pause")),
            "restore_to": op.state_before,
            "position": (op.details or {}).get("position", {}),
            "candidate_id": (op.details or {}).get("candidate_id"),
        },
        created_at=now,
        updated_at=now,
    )


async def undo(
    runtime: Runtime, caller: Caller, op_id: str, note: str | None, key: str | None = None
) -> Reply:
    """Undo ``op_id`` if it is in its undo window; answers with the undo operation."""
    op, _ = await get_visible(runtime, caller, op_id, Action.OPERATIONS_UNDO)
    now = runtime.clock()
    window = runtime.settings.undo_window.total_seconds() > 0
    problem = _refusal(op, now, window)
    undo_op = _undo_operation(op, caller, note, now, key)
    claimed = runtime.worker.claim_new(undo_op) if problem is None else None
    async with runtime.db.write() as tx:
        if problem is None:
            flipped = await tx.execute(
                update(Operation)
                .where(Operation.id == op.id, Operation.status == Status.GRACE)
                .where(Operation.commit_at > now)
                .values(status=Status.UNDONE.value, outcome="undone", next_attempt_at=None)
                .values(updated_at=now)
            )
            if getattr(flipped, "rowcount", 0) != 1:  # the worker committed it meanwhile
                problem = _refusal(op.__class__(**_committed(op)), now, window)
        if problem is None:
            tx.add(undo_op)
            await tx.flush()
            entry = audit.entry_for_operation(
                undo_op,
                "operation.undo",
                "accepted",
                actor=audit.actor_of(caller),
                details={"undo_of": op.id},
            )
        else:
            entry = audit.entry_for_operation(
                op,
                "operation.undo",
                "rejected",
                actor=audit.actor_of(caller),
                details={"refused": problem.code},
            )
        await runtime.trail.append(tx, entry)
    if problem is not None:
        raise problem
    return await settle(runtime, undo_op, claimed=claimed)


def _committed(op: Operation) -> dict[str, object]:
    """A stand-in for the row after the worker's commit won the race."""
    return {"verb": op.verb, "status": Status.COMMITTED.value, "commit_at": op.commit_at}
