"""Accepting single operations, and answering with where they stand.

``accept`` is the request path of DESIGN §7 up to the store: the verb is checked against the
adapter's capabilities (refused before anything is stored or sent), the session is read
once to learn its position, the policy decides, and then the operation, its approval (for
protected sessions) and its audit record are written in ONE transaction. The worker does the
rest; the request waits up to ``sync_wait`` for it and answers with the outcome, else 202.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session as OrmSession

from interlock.errors import InvalidTransition
from interlock.models import Reason, Session, SessionRef, Verb
from interlock.transitions import plan_transition

from ..api.problems import PROBLEM_JSON, Problem, problem_body, status_for_code
from ..api.schemas import dump
from ..audit import AuditEntry, AuditTarget
from ..policy import Action, Caller, Target, authorize, is_protected
from ..runtime import Runtime
from ..store.tables import OPERATIONS, Approval, Operation, OperationKind, OperationStatus
from . import audit
from .approvals import new_approval, request_hash, visible_target
from .idempotency import Reply
from .queue import Claim, Phase
from .sessions import adapter_of, read_visible
from .views import operation_view

__all__ = [
    "ACTION_OF",
    "FINAL_VERBS",
    "accept",
    "check_supported",
    "get_visible",
    "recover",
    "reply_for",
    "settle",
    "wait_settled",
]

Status = OperationStatus
ACTION_OF: dict[Verb, Action] = {
    Verb.PAUSE: Action.SESSIONS_PAUSE,
    Verb.RESUME: Action.SESSIONS_RESUME,
    Verb.TERMINATE: Action.SESSIONS_TERMINATE,
    Verb.REVOKE: Action.SESSIONS_REVOKE,
}
FINAL_VERBS = frozenset({Verb.TERMINATE, Verb.REVOKE})
_WAITING = frozenset({Status.PENDING, Status.IN_FLIGHT, Status.AWAITING_APPROVAL})


async def accept(
    runtime: Runtime,
    caller: Caller,
    verb: Verb,
    ref: SessionRef,
    reason: Reason,
    *,
    idempotency_key: str | None,
) -> Reply:
    """Store one operation (after the checks) and answer with its outcome or 202.

    Call :func:`check_supported` first (the route does, before the idempotency key is kept).
    """
    session, target = await read_visible(runtime, caller, ACTION_OF[verb], ref, attempt=True)
    now = runtime.clock()
    op = _new_operation(runtime, caller, verb, session, target, reason, idempotency_key, now)
    approval = _plan(runtime, op, verb, session, target, now)
    claimed = runtime.worker.claim_new(op) if op.status == Status.PENDING else None
    entry = audit.entry_for_operation(
        op,
        f"operation.{verb}",
        op.outcome or "accepted",
        actor=audit.actor_of(caller),
        approval_id=approval.id if approval else None,
    )

    values = _column_values(op)

    def store(tx: OrmSession) -> None:
        tx.execute(_INSERT_OPERATION, values)  # Core: the unit of work costs more than the row
        if approval is not None:
            tx.add(approval)
            tx.flush()
        runtime.trail.append_sync(tx, entry)

    await runtime.db.run(store)
    return await settle(runtime, op, approval, claimed=claimed)


async def check_supported(
    runtime: Runtime, caller: Caller, verb: Verb, ref: SessionRef, reason: Reason
) -> None:
    """Refuse a verb the account's adapter cannot do — before anything is stored or sent.

    :raises Problem: 404 for an unknown account. :raises UnsupportedOperation: (422, audited).
    """
    adapter = adapter_of(runtime, ref.account)
    if not adapter.capabilities.supports(verb):
        await _audit_refusal(runtime, caller, verb, ref, reason, "unsupported")
        raise adapter.unsupported_error(verb)


_INSERT_OPERATION = insert(OPERATIONS)


def _column_values(op: Operation) -> dict[str, Any]:
    """The columns set on a new (transient) operation, for a Core INSERT."""
    state = sa_inspect(op).dict
    return {
        column.key: state[column.key] for column in _INSERT_OPERATION.table.c if column.key in state
    }


def _new_operation(
    runtime: Runtime,
    caller: Caller,
    verb: Verb,
    session: Session,
    target: Target,
    reason: Reason,
    idempotency_key: str | None,
    now: datetime,
) -> Operation:
    settings = runtime.settings
    hold = verb in FINAL_VERBS and settings.undo_window.total_seconds() > 0
    op = Operation(
        id=str(uuid.uuid4()),
        kind=OperationKind.SINGLE.value,
        account=session.ref.account,
        vendor=runtime.interlock.accounts[session.ref.account].vendor,
        session_id=session.ref.session_id,
        position_id=target.position_id,
        verb=verb.value,
        reason_code=reason.code.value,
        reason_note=reason.note,
        actor=caller.name,
        status=Status.PENDING.value,
        state_before=session.state.value,
        resume_deadline=now + settings.resume_window if verb is Verb.PAUSE else None,
        idempotency_key=idempotency_key,
        attempts=0,
        next_attempt_at=now,
        details={
            "phase": (Phase.HOLD if hold else Phase.APPLY).value,
            "position": target.snapshot(),
            "candidate_id": session.candidate.id,
        },
        created_at=now,
        updated_at=now,
    )
    op.request_hash = request_hash(op)
    return op


def _plan(
    runtime: Runtime, op: Operation, verb: Verb, session: Session, target: Target, now: datetime
) -> Approval | None:
    """Settle at once what needs no vendor call; open an approval for protected sessions."""
    try:
        transition = plan_transition(session.state, verb)
    except InvalidTransition as error:
        _finish_now(op, Status.REJECTED, "rejected", now, error.code, error.message)
        return None
    if transition.already_in_state:
        _finish_now(op, Status.SUCCEEDED, "already_in_state", now)
        op.state_after = session.state.value
        return None
    settings = runtime.settings
    protected = is_protected(
        target, levels=settings.protected_levels, positions=settings.protected_positions
    )
    if verb in FINAL_VERBS and protected:
        op.status = Status.AWAITING_APPROVAL.value
        op.outcome = "awaiting_approval"
        op.next_attempt_at = None
        return new_approval(op, now, settings.approval_ttl)
    return None


def _finish_now(
    op: Operation,
    status: Status,
    outcome: str,
    now: datetime,
    code: str | None = None,
    message: str | None = None,
) -> None:
    op.status, op.outcome, op.next_attempt_at = status.value, outcome, None
    op.error_code, op.error_message, op.updated_at = code, message, now


async def _audit_refusal(
    runtime: Runtime, caller: Caller, verb: Verb, ref: SessionRef, reason: Reason, outcome: str
) -> None:
    entry = AuditEntry(
        actor=audit.actor_of(caller),
        action=f"operation.{verb}",
        target=AuditTarget(account=ref.account, session_id=ref.session_id),
        reason=audit.reason_of(reason),
        outcome=outcome,
    )
    await audit.record(runtime.db, runtime.trail, entry)


async def wait_settled(runtime: Runtime, op: Operation) -> Operation:
    """Wake the worker and wait up to ``sync_wait`` for a queued operation; the fresh row."""
    if op.status != Status.PENDING or not runtime.worker.running:
        return op
    runtime.worker.wake()
    await runtime.worker.wait_for(op.id, runtime.settings.sync_wait.total_seconds())
    async with runtime.db.session() as session:
        fresh = await session.get(Operation, op.id)
    return fresh or op


async def settle(
    runtime: Runtime,
    op: Operation,
    approval: Approval | None = None,
    *,
    claimed: Claim | None = None,
) -> Reply:
    """Answer with the operation's outcome if it comes within ``sync_wait``, else with 202.

    A ``claimed`` operation (stored in flight under this worker's lease) runs at once in a
    worker task; otherwise the queued row is left to the worker loop.
    """
    if claimed is None:
        return reply_for(await wait_settled(runtime, op), approval)
    queued = reply_for(op, approval)  # the answer if the vendor is slow
    task = runtime.worker.adopt(claimed)
    done, _ = await asyncio.wait({task}, timeout=runtime.settings.sync_wait.total_seconds())
    return reply_for(op, approval) if done else queued


def reply_for(op: Operation, approval: Approval | None = None) -> Reply:
    """200 when settled, 202 while queued or awaiting approval, a problem when refused."""
    view = dump(operation_view(op, approval))
    location = {"Location": f"/v1/operations/{op.id}"}
    if op.status in (Status.FAILED, Status.REJECTED) and op.error_code:
        status, title = status_for_code(op.error_code)
        problem = Problem(
            status,
            op.error_code,
            title,
            op.error_message or "the operation did not succeed",
            hint="see the operation for details; nothing more will be sent for it",
            vendor_request_id=op.vendor_request_id,
            operation=view,
        )
        # No request details in the body: a stored replay must not depend on the request.
        return Reply(problem.status, problem_body(problem), location, PROBLEM_JSON)
    return Reply(202 if op.status in _WAITING else 200, view, location)


async def recover(runtime: Runtime, caller: Caller, key: str) -> Reply | None:
    """The answer for an operation a crashed request stored under ``key``, if there is one."""
    async with runtime.db.session() as session:
        op = await session.scalar(
            select(Operation)
            .where(Operation.actor == caller.name, Operation.idempotency_key == key)
            .order_by(Operation.created_at.desc())
            .limit(1)
        )
        if op is None:
            return None
        approval = await session.scalar(select(Approval).where(Approval.operation_id == op.id))
    return reply_for(op, approval)


async def get_visible(
    runtime: Runtime, caller: Caller, op_id: str, action: Action
) -> tuple[Operation, Approval | None]:
    """The operation and its approval, if ``caller`` may see it (404 problem otherwise)."""
    async with runtime.db.session() as session:
        op = await session.get(Operation, op_id)
        approval = (
            await session.scalar(select(Approval).where(Approval.operation_id == op_id))
            if op is not None
            else None
        )
    if op is None or not authorize(caller, action, visible_target(op), plugins=runtime.plugins):
        raise Problem(
            404,
            "OPERATION.NOT_FOUND",
            "Operation not found",
            f"no operation {op_id!r} that you may see",
            hint="use the id returned when the operation was requested",
        )
    return op, approval
