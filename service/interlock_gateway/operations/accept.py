"""Accepting one operation: the request path of DESIGN §7 up to the store, then its first answer.

The verb is checked against the adapter's capabilities (refused before anything is stored or
sent), the session is read once to learn its position, the policy decides, and the operation,
its approval (for protected sessions) and its audit record are written in ONE transaction —
after checking, in that transaction, that no stop is pending on the session. The dispatcher
then carries it out; the request waits up to ``sync_wait`` for the first phase to be recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session as OrmSession

from interlock.capabilities import CapabilityLevel
from interlock.models import Reason, SessionRef, Verb

from ..audit import AuditActor, AuditEntry, AuditTarget
from ..policy import Action, Caller, Target, authorize, is_protected
from ..problems import Problem
from ..store.tables import (
    OPERATIONS,
    Approval,
    Operation,
    OperationStatus,
    operation_from_row,
)
from . import audit_entries as audit
from . import observers, outbox
from .context import Context
from .dispatch import Dispatcher
from .pending import PendingStop, lock_sessions, pending_commit_problem, stops_in_way
from .phases import FINAL_STATUSES, FINAL_VERBS
from .rows import approval_for, request_hash, request_rows, settle_by_state
from .sessions import read_visible, visible_target

__all__ = [
    "ACTION_OF",
    "Accepted",
    "accept",
    "check_supported",
    "find_by_key",
    "get_visible",
    "wait_for_phase",
]

Status = OperationStatus
ACTION_OF: dict[Verb, Action] = {
    Verb.PAUSE: Action.SESSIONS_PAUSE,
    Verb.RESUME: Action.SESSIONS_RESUME,
    Verb.TERMINATE: Action.SESSIONS_TERMINATE,
    Verb.REVOKE: Action.SESSIONS_REVOKE,
}
_WAITING = frozenset({Status.PENDING, Status.IN_FLIGHT, Status.AWAITING_APPROVAL})
_INSERT = insert(OPERATIONS)


@dataclass(frozen=True, slots=True)
class Accepted:
    """An operation as it stood when the request was answered, and its approval if any."""

    op: Operation
    approval: Approval | None = None

    @property
    def waiting(self) -> bool:
        """Still queued, running or awaiting approval (the answer is "accepted", not "done")."""
        return self.op.status in _WAITING

    @property
    def refused(self) -> bool:
        """Ended without success: failed or rejected (the answer is the problem)."""
        return self.op.status in (Status.FAILED, Status.REJECTED) and bool(self.op.error_code)


class _StopInTheWay(Exception):
    def __init__(self, stop: PendingStop) -> None:
        super().__init__(stop.operation_id)
        self.stop = stop


async def check_supported(
    ctx: Context, caller: Caller, verb: Verb, ref: SessionRef, reason: Reason
) -> None:
    """Refuse a verb the account's adapter cannot do — before anything is stored or sent.

    :raises Problem: 404 for an unknown account. :raises UnsupportedOperation: (422, audited).
    """
    adapter = ctx.adapter(ref.account)
    if ctx.level(ref.account, verb) is CapabilityLevel.MANUAL:
        return  # a person does it: the route creates a task (operations/tasks.py)
    if not adapter.capabilities.supports(verb):
        await _audit_refusal(ctx, caller, verb, ref, reason, "unsupported", {})
        raise adapter.unsupported_error(verb)


async def accept(
    ctx: Context,
    dispatcher: Dispatcher,
    caller: Caller,
    verb: Verb,
    ref: SessionRef,
    reason: Reason,
    *,
    idempotency_key: str | None,
    audit_actor: AuditActor | None = None,
) -> Accepted:
    """Store one operation (after the checks) and answer with where it stands.

    Call :func:`check_supported` first (the route does, before the idempotency key is kept).

    :param audit_actor: who the audit record names (default: the caller); the candidate
        page resumes as ``candidate`` through a caller scoped to the one session's position.

    :raises Problem: 404 (not found or not visible), 409 ``SESSION.PENDING_COMMIT``.
    """
    session, target = await read_visible(ctx, caller, ACTION_OF[verb], ref, attempt=True)
    now = ctx.clock()
    (row,) = request_rows(
        [(session, target)],
        verb=verb,
        reason=reason,
        actor=caller.name,
        now=now,
        settings=ctx.settings,
        vendor_of=ctx.vendor_of,
        idempotency_key=idempotency_key,
    )
    row["request_hash"] = request_hash(row)
    settle_by_state(row, session.state)
    approval = _hold_for_approval(ctx, row, target) if row["status"] == Status.PENDING else None
    reservation = dispatcher.reserve([row])
    op = operation_from_row(row)
    entry = audit.entry_for_operation(
        op,
        f"operation.{verb}",
        op.outcome or "accepted",
        actor=audit_actor or audit.actor_of(caller),
        approval_id=approval.id if approval else None,
    )

    notices = _notifications(ctx, op, approval, now)

    def store(tx: OrmSession) -> None:
        lock_sessions(tx, ref.account, [ref.session_id])
        in_way = stops_in_way(tx, ref.account, [ref.session_id]).get(ref.session_id)
        if in_way is not None:
            raise _StopInTheWay(in_way)
        tx.execute(_INSERT, row)  # every column is present (rows.py)
        if approval is not None:
            tx.add(approval)
            tx.flush()
        ctx.trail.append_sync(tx, entry)
        outbox.write(tx, notices)

    try:
        await ctx.db.run(store)
    except _StopInTheWay as refused:
        dispatcher.release(reservation)
        details = {"refused": "SESSION.PENDING_COMMIT", "pending": refused.stop.operation_id}
        await _audit_refusal(ctx, caller, verb, ref, reason, "rejected", details, target)
        raise pending_commit_problem(ref, refused.stop) from None
    except BaseException:
        dispatcher.release(reservation)  # if the row was stored after all (cancelled mid-
        raise  # commit), its lease ends and the worker reconciles it
    dispatcher.start_reserved(reservation)
    if op.status in FINAL_STATUSES:
        observers.started_and_finished(ctx.plugins, [op], observers.ACCEPT_PHASE, now)
        return Accepted(op, approval)
    return await wait_for_phase(ctx, dispatcher, Accepted(op, approval))


def _notifications(
    ctx: Context, op: Operation, approval: Approval | None, now: datetime
) -> list[dict[str, Any]]:
    """Outbox rows written with the operation: settled at once, or waiting for approval."""
    settings = ctx.notifications
    if not settings.routes:
        return []
    payload = outbox.operation_payload(op)
    if approval is not None:
        payload["approval_id"] = approval.id
        event = outbox.Event.APPROVAL_REQUESTED
        return outbox.plan(settings, event, payload, now=now, requester=op.actor)
    if op.status not in FINAL_STATUSES:
        return []
    rows = outbox.plan(
        settings, outbox.Event.OPERATION_FINISHED, payload, now=now, requester=op.actor
    )
    candidate_event = outbox.operation_event(op)
    if candidate_event is not None and candidate_event != outbox.Event.SESSION_PAUSED:
        rows += outbox.plan(settings, candidate_event, payload, now=now, requester=op.actor)
    return rows


def _hold_for_approval(ctx: Context, row: dict[str, Any], target: Target) -> Approval | None:
    """Terminate and revoke of protected sessions wait for a manager (maker-checker)."""
    settings = ctx.settings
    protected = is_protected(
        target, levels=settings.protected_levels, positions=settings.protected_positions
    )
    if Verb(row["verb"]) not in FINAL_VERBS or not protected:
        return None
    row.update(status=Status.AWAITING_APPROVAL.value, outcome="awaiting_approval")
    row["next_attempt_at"] = None
    now = row["created_at"]
    return approval_for(
        now=now,
        ttl_end=now + settings.approval_ttl,
        request_hash=row["request_hash"],
        requester=row["actor"],
        operation_id=row["id"],
    )


async def wait_for_phase(ctx: Context, dispatcher: Dispatcher, accepted: Accepted) -> Accepted:
    """``accepted`` as it stands once the dispatcher recorded its next phase, or after
    ``sync_wait`` as it was (then the answer is "accepted": 202)."""
    if accepted.op.status not in (Status.PENDING, Status.IN_FLIGHT):
        return accepted
    if accepted.op.status == Status.PENDING:
        dispatcher.wake()  # queued, not reserved: the worker should look now
    recorded = await dispatcher.settled(accepted.op.id, ctx.settings.sync_wait.total_seconds())
    return accepted if recorded is None else Accepted(recorded, accepted.approval)


async def _audit_refusal(
    ctx: Context,
    caller: Caller,
    verb: Verb,
    ref: SessionRef,
    reason: Reason,
    outcome: str,
    details: dict[str, Any],
    target: Target | None = None,
) -> None:
    entry = AuditEntry(
        actor=audit.actor_of(caller),
        action=f"operation.{verb}",
        target=audit.target_of(target)
        if target
        else AuditTarget(account=ref.account, session_id=ref.session_id),
        reason=audit.reason_of(reason),
        outcome=outcome,
        details=details,
    )
    await audit.record(ctx.db, ctx.trail, entry)


async def find_by_key(ctx: Context, caller: Caller, key: str) -> Accepted | None:
    """The operation a crashed request stored under ``key``, if there is one."""
    async with ctx.db.session() as session:
        op = await session.scalar(
            select(Operation)
            .where(Operation.actor == caller.name, Operation.idempotency_key == key)
            .order_by(Operation.created_at.desc())
            .limit(1)
        )
        if op is None:
            return None
        approval = await session.scalar(select(Approval).where(Approval.operation_id == op.id))
    return Accepted(op, approval)


async def get_visible(ctx: Context, caller: Caller, op_id: str, action: Action) -> Accepted:
    """The operation and its approval, if ``caller`` may see it (404 problem otherwise)."""
    async with ctx.db.session() as session:
        op = await session.get(Operation, op_id)
        approval = (
            await session.scalar(select(Approval).where(Approval.operation_id == op_id))
            if op is not None
            else None
        )
    if op is None or not authorize(caller, action, visible_target(op), plugins=ctx.plugins):
        raise Problem(
            404,
            "OPERATION.NOT_FOUND",
            "Operation not found",
            f"no operation {op_id!r} that you may see",
            hint="use the id returned when the operation was requested",
        )
    return Accepted(op, approval)
