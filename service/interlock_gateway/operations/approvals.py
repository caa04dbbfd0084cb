"""Maker-checker approvals, for single operations and whole batches alike.

An approval is created with what it gates (same transaction) and bound to a hash of the exact
request: :func:`~.rows.request_hash` for one operation, the batch's request digest for a
batch. Deciding is a compare-and-set on ``state='pending'`` under a row lock: two approvers
racing produce one decision. The approver must differ from the requester and be allowed to
decide for *every* session the approval covers (a manager of its department, or an admin).
Approving moves the held operations to ``pending`` (the worker takes them from there);
rejecting, expiring (:func:`expire_due`, one scan for both kinds) or cancelling the batch
rejects them. A decided, expired or cancelled approval cannot be decided again (409). Every
step is audited.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from interlock.models import SessionRef

from ..audit import AuditEntry
from ..policy import Action, Caller, Target, authorize
from ..problems import Problem, invalid_page_token
from ..store.tables import (
    OPERATIONS,
    Approval,
    ApprovalState,
    Batch,
    BatchStatus,
    Operation,
    OperationStatus,
)
from . import audit_entries as audit
from . import outbox
from .accept import Accepted, wait_for_phase
from .context import Context
from .dispatch import Dispatcher
from .rows import request_hash

__all__ = ["Decided", "decide", "expire_due", "list_visible"]

Status = OperationStatus
_SCAN_CHUNKS = 10
_EXPIRE_AT_ONCE = 100


@dataclass(frozen=True, slots=True)
class Decided:
    """An approval and what it gates: its operation (single) or ``None`` (a batch)."""

    approval: Approval
    op: Operation | None = None


def _not_found(approval_id: str) -> Problem:
    return Problem(
        404,
        "APPROVAL.NOT_FOUND",
        "Approval not found",
        f"no approval {approval_id!r} that you may see",
        hint="list pending approvals with GET /v1/approvals?state=pending",
    )


def _targets(
    tx: OrmSession, approval: Approval, *, statuses: Sequence[str] | None = None
) -> list[Target]:
    """The sessions an approval covers, as the policy sees them (requester set)."""
    where = (
        OPERATIONS.c.id == approval.operation_id
        if approval.operation_id
        else OPERATIONS.c.batch_id == approval.batch_id
    )
    statement = select(OPERATIONS.c.account, OPERATIONS.c.session_id, OPERATIONS.c.details)
    statement = statement.where(where)
    if statuses is not None:
        statement = statement.where(OPERATIONS.c.status.in_(list(statuses)))
    return [
        Target.from_snapshot(
            SessionRef(account=a, session_id=s), (d or {}).get("position", {}), approval.requester
        )
        for a, s, d in tx.execute(statement).all()
    ]


def _refusal(
    ctx: Context,
    caller: Caller,
    approval: Approval,
    targets: list[Target],
    bound: str | None,
    now: datetime,
) -> Problem | None:
    for target in targets:
        decision = authorize(caller, Action.APPROVALS_DECIDE, target, plugins=ctx.plugins)
        if not decision:
            return _refused(decision.rule_id, decision.reason)
    if approval.state != ApprovalState.PENDING:
        code = (
            "APPROVAL.EXPIRED"
            if approval.state == ApprovalState.EXPIRED
            else "APPROVAL.NOT_PENDING"
        )
        return Problem(
            409,
            code,
            "Approval not pending",
            f"this approval is {approval.state}; it can no longer be decided",
            hint="request the operation (or submit the batch) again",
            state=approval.state,
        )
    if approval.expires_at <= now:
        return Problem(
            409,
            "APPROVAL.EXPIRED",
            "Approval expired",
            f"this approval expired at {approval.expires_at.isoformat()}",
            hint="request the operation (or submit the batch) again",
        )
    if approval.request_hash != bound:
        return Problem(
            409,
            "APPROVAL.REQUEST_CHANGED",
            "Request changed",
            "what would be carried out no longer matches the request that was approved",
            hint="request the operation (or submit the batch) again",
        )
    return None


def _refused(rule_id: str, reason: str) -> Problem:
    if rule_id == "approval.maker_checker":
        return Problem(
            403,
            "APPROVAL.SELF_APPROVAL",
            "Cannot approve your own request",
            "the approver must be someone other than the requester",
            hint="ask another manager of the department, or an admin",
            rule=rule_id,
        )
    return Problem(
        403,
        "APPROVAL.NOT_APPROVER",
        "Not an approver",
        reason,
        hint="approvals need a manager of every session's department, or an admin",
        rule=rule_id,
    )


class _NotFound(Exception):
    pass


async def decide(
    ctx: Context,
    dispatcher: Dispatcher,
    caller: Caller,
    approval_id: str,
    *,
    approve: bool,
    note: str | None,
) -> Decided:
    """Approve or reject ``approval_id`` as ``caller``.

    :raises Problem: 404 (not visible), 403 (self-approval, not an approver), 409 (decided,
        expired, cancelled, request changed). Refusals are audited (committed first).
    """
    now = ctx.clock()

    def store(tx: OrmSession) -> Decided | Problem:
        approval = tx.get(Approval, approval_id, with_for_update=True)
        targets = _targets(tx, approval) if approval is not None else []
        if (
            approval is None
            or not targets
            or not all(
                authorize(caller, Action.APPROVALS_LIST, t, plugins=ctx.plugins) for t in targets
            )
        ):
            raise _NotFound
        op = (
            tx.get(Operation, approval.operation_id, with_for_update=True)
            if approval.operation_id
            else None
        )
        batch = tx.get(Batch, approval.batch_id) if approval.batch_id else None
        bound = (
            request_hash(_row_of(op)) if op is not None else (batch.request_hash if batch else None)
        )
        problem = _refusal(ctx, caller, approval, targets, bound, now)
        if problem is not None:
            if problem.code == "APPROVAL.EXPIRED" and approval.state == ApprovalState.PENDING:
                _expire(tx, ctx, approval, now)  # what the scan would do, now
            ctx.trail.append_sync(
                tx, _entry(caller, approval, op, "decide", "denied", problem.code)
            )
            return problem
        approval.state = (ApprovalState.APPROVED if approve else ApprovalState.REJECTED).value
        approval.approver, approval.decided_at, approval.note = caller.name, now, note
        if approve:
            _release(tx, approval, now)
        else:
            why = f"rejected by {caller.name}" + (f": {note}" if note else "")
            _reject(tx, approval, now, "APPROVAL.REJECTED", why)
        step, outcome = ("approve", "approved") if approve else ("reject", "rejected")
        entry = _entry(caller, approval, op, step, outcome, None, note, len(targets))
        ctx.trail.append_sync(tx, entry)
        outbox.write(tx, _decided_notifications(ctx, approval, op, batch, outcome, now))
        if op is not None:
            tx.refresh(op)
        return Decided(approval, op)

    try:
        decided = await ctx.db.run(store)
    except _NotFound:
        raise _not_found(approval_id) from None
    if isinstance(decided, Problem):
        raise decided
    if approve:
        dispatcher.wake()
        if decided.op is not None:
            waited = await wait_for_phase(ctx, dispatcher, Accepted(decided.op, decided.approval))
            return Decided(decided.approval, waited.op)
    return decided


def _decided_notifications(
    ctx: Context,
    approval: Approval,
    op: Operation | None,
    batch: Batch | None,
    decision: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """``approval.decided`` to the requester, in the deciding transaction."""
    if not ctx.notifications.routes_for(outbox.Event.APPROVAL_DECIDED):
        return []
    if op is not None:
        payload = outbox.operation_payload(op)
    else:
        payload = {"batch_id": approval.batch_id, "verb": batch.action if batch else None}
        payload |= {"session_id": None, "account": None}
    payload |= {"approval_id": approval.id, "decision": decision, "approver": approval.approver}
    event = outbox.Event.APPROVAL_DECIDED
    return outbox.plan(ctx.notifications, event, payload, now=now, requester=approval.requester)


def _row_of(op: Operation) -> dict[str, Any]:
    return {
        c: getattr(op, c)
        for c in ("id", "account", "session_id", "verb", "reason_code", "reason_note", "actor")
    }


def _entry(
    caller: Caller,
    approval: Approval,
    op: Operation | None,
    step: str,
    outcome: str,
    refused: str | None,
    note: str | None = None,
    items: int | None = None,
) -> AuditEntry:
    details: dict[str, Any] = {}
    if refused:
        details["refused"] = refused
    if note:
        details["note"] = note
    if approval.batch_id and items is not None:
        details["items"] = items
    if op is not None:
        return audit.entry_for_operation(
            op,
            f"approval.{step}",
            outcome,
            actor=audit.actor_of(caller),
            approval_id=approval.id,
            details=details,
        )
    return AuditEntry(
        actor=audit.actor_of(caller),
        action=f"approval.{step}",
        outcome=outcome,
        approval_id=approval.id,
        batch_id=approval.batch_id,
        details=details,
    )


def _held(approval: Approval) -> Any:
    subject = (
        OPERATIONS.c.id == approval.operation_id
        if approval.operation_id
        else OPERATIONS.c.batch_id == approval.batch_id
    )
    return and_(subject, OPERATIONS.c.status == Status.AWAITING_APPROVAL.value)


def _release(tx: OrmSession, approval: Approval, now: datetime) -> None:
    tx.execute(
        update(OPERATIONS)
        .where(_held(approval))
        .values(status=Status.PENDING.value, outcome=None, next_attempt_at=now, updated_at=now)
    )
    if approval.batch_id:
        tx.execute(
            update(Batch)
            .where(Batch.id == approval.batch_id, Batch.status == BatchStatus.AWAITING_APPROVAL)
            .values(status=BatchStatus.PENDING.value, updated_at=now)
        )


def _reject(tx: OrmSession, approval: Approval, now: datetime, code: str, message: str) -> None:
    tx.execute(
        update(OPERATIONS)
        .where(_held(approval))
        .values(
            status=Status.REJECTED.value,
            outcome="rejected",
            next_attempt_at=None,
            error_code=code,
            error_message=message,
            updated_at=now,
        )
    )
    if approval.batch_id:
        tx.execute(
            update(Batch)
            .where(Batch.id == approval.batch_id, Batch.status == BatchStatus.AWAITING_APPROVAL)
            .values(status=BatchStatus.REJECTED.value, updated_at=now, finished_at=now)
        )


def _expire(tx: OrmSession, ctx: Context, approval: Approval, now: datetime) -> None:
    approval.state = ApprovalState.EXPIRED.value
    approval.decided_at = now
    _reject(tx, approval, now, "APPROVAL.EXPIRED", "the approval expired before anyone decided")
    op = tx.get(Operation, approval.operation_id) if approval.operation_id else None
    entry = (
        audit.entry_for_operation(
            op, "approval.expire", "expired", actor=audit.SYSTEM_ACTOR, approval_id=approval.id
        )
        if op is not None
        else AuditEntry(
            actor=audit.SYSTEM_ACTOR,
            action="approval.expire",
            outcome="expired",
            approval_id=approval.id,
            batch_id=approval.batch_id,
        )
    )
    ctx.trail.append_sync(tx, entry)


async def expire_due(ctx: Context, now: datetime) -> int:
    """Expire every pending approval past ``expires_at`` and reject what it held."""
    due = (
        select(Approval)
        .where(Approval.state == ApprovalState.PENDING, Approval.expires_at <= now)
        .limit(_EXPIRE_AT_ONCE)
    )
    async with ctx.db.session() as session:
        if (await session.scalar(due.with_only_columns(Approval.id))) is None:
            return 0  # the common case: a read, no write transaction

    def store(tx: OrmSession) -> int:
        # An approver holding the row lock decides first; the scan skips it.
        approvals = tx.scalars(due.with_for_update(skip_locked=True)).all()
        for approval in approvals:
            _expire(tx, ctx, approval, now)
        return len(approvals)

    return await ctx.db.run(store)


# -- listing ------------------------------------------------------------------------------------


def _encode_cursor(cursor: tuple[datetime, str]) -> str:
    raw = f"{cursor[0].isoformat()}|{cursor[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, approval_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), approval_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise invalid_page_token("page_token is malformed") from None


async def list_visible(
    ctx: Context,
    caller: Caller,
    *,
    state: ApprovalState | None,
    page_size: int,
    page_token: str | None,
) -> tuple[list[Decided], str | None]:
    """Approvals (newest first) whose sessions the caller may all see, a page at a time.

    Rows are scanned in chunks and filtered by the policy, so a page is full unless the scan
    ran out; at most ten chunks are scanned per page.
    """
    statement = select(Approval, Operation).outerjoin(
        Operation, Approval.operation_id == Operation.id
    )
    if state is not None:
        statement = statement.where(Approval.state == state.value)
    statement = statement.order_by(Approval.created_at.desc(), Approval.id.desc())
    cursor = _decode_cursor(page_token) if page_token else None
    found: list[Decided] = []

    def visible(tx: OrmSession, approval: Approval) -> bool:
        targets = _targets(tx, approval)
        return bool(targets) and all(
            authorize(caller, Action.APPROVALS_LIST, t, plugins=ctx.plugins) for t in targets
        )

    async with ctx.db.session() as session:
        for _ in range(_SCAN_CHUNKS):
            chunk = statement
            if cursor is not None:
                chunk = chunk.where(
                    or_(
                        Approval.created_at < cursor[0],
                        and_(Approval.created_at == cursor[0], Approval.id < cursor[1]),
                    )
                )
            rows = (await session.execute(chunk.limit(page_size))).all()
            for approval, op in rows:
                cursor = (approval.created_at, approval.id)
                if await session.run_sync(visible, approval):
                    found.append(Decided(approval, op))
                if len(found) == page_size:
                    return found, _encode_cursor(cursor)
            if len(rows) < page_size:
                return found, None
    # Ten chunks scanned without filling the page: continue from the last row scanned.
    return found, _encode_cursor(cursor) if cursor else None
