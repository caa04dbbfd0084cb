"""Maker-checker approvals for final verbs on protected sessions.

An approval is created with its operation (same transaction) and bound to the operation's
``request_hash`` — a SHA-256 over the exact request (account, session, verb, reason,
requester). Deciding is a compare-and-set on ``state='pending'``: two approvers racing
produce one decision. Approving moves the operation from ``awaiting_approval`` to
``pending`` (the worker takes it from there); rejecting or expiring rejects it. Every step
is audited.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlock.models import SessionRef
from interlock.plugins import LoadedPlugins

from ..api.problems import Problem
from ..audit import AuditTrail, canonical_json
from ..policy import Action, Caller, Target, authorize
from ..store.engine import Database
from ..store.tables import Approval, ApprovalState, Operation, OperationStatus
from .audit import SYSTEM_ACTOR, actor_of, entry_for_operation

__all__ = [
    "decide",
    "expire_due",
    "list_visible",
    "new_approval",
    "request_hash",
    "visible_target",
]


def request_hash(op: Operation) -> str:
    """SHA-256 over the exact request an approval covers."""
    request = {
        "account": op.account,
        "session_id": op.session_id,
        "verb": op.verb,
        "reason": {"code": op.reason_code, "note": op.reason_note},
        "requester": op.actor,
        "operation_id": op.id,
    }
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


def new_approval(op: Operation, now: datetime, ttl: timedelta) -> Approval:
    """The pending approval of ``op`` (the caller adds it in the operation's transaction)."""
    return Approval(
        id=str(uuid.uuid4()),
        operation_id=op.id,
        request_hash=request_hash(op),
        requester=op.actor,
        state=ApprovalState.PENDING.value,
        created_at=now,
        expires_at=now + ttl,
    )


def visible_target(op: Operation, requester: str | None = None) -> Target:
    """The policy target of a stored operation (its position as the vendor reported it)."""
    ref = SessionRef(account=op.account, session_id=op.session_id)
    return Target.from_snapshot(ref, (op.details or {}).get("position", {}), requester)


def _not_found(approval_id: str) -> Problem:
    return Problem(
        404,
        "APPROVAL.NOT_FOUND",
        "Approval not found",
        f"no approval {approval_id!r} that you may see",
        hint="list pending approvals with GET /v1/approvals?state=pending",
    )


async def _expire_one(
    session: AsyncSession,
    trail: AuditTrail,
    approval: Approval,
    op: Operation | None,
    now: datetime,
) -> None:
    approval.state = ApprovalState.EXPIRED.value
    approval.decided_at = now
    if op is not None and op.status == OperationStatus.AWAITING_APPROVAL:
        op.status = OperationStatus.REJECTED.value
        op.outcome = "rejected"
        op.error_code = "APPROVAL.EXPIRED"
        op.error_message = "the approval expired before anyone decided"
        op.updated_at = now
        entry = entry_for_operation(
            op, "approval.expire", "expired", actor=SYSTEM_ACTOR, approval_id=approval.id
        )
        await trail.append(session, entry)


async def expire_due(db: Database, trail: AuditTrail, now: datetime) -> int:
    """Expire every pending approval past ``expires_at`` (and reject its operation)."""
    due = (
        select(Approval)
        .where(Approval.state == ApprovalState.PENDING, Approval.expires_at <= now)
        .limit(100)
    )
    locked = due.with_for_update(skip_locked=True)  # an approver holding it decides first
    async with db.session() as session:
        if (await session.scalar(due.with_only_columns(Approval.id))) is None:
            return 0  # the common case: a read, no write transaction
    async with db.write() as session:
        approvals = (await session.scalars(locked)).all()
        for approval in approvals:
            op = (
                await session.get(Operation, approval.operation_id)
                if approval.operation_id
                else None
            )
            await _expire_one(session, trail, approval, op, now)
    return len(approvals)


async def decide(
    db: Database,
    trail: AuditTrail,
    caller: Caller,
    approval_id: str,
    *,
    approve: bool,
    note: str | None,
    now: datetime,
    plugins: LoadedPlugins | None = None,
) -> tuple[Approval, Operation]:
    """Approve or reject ``approval_id`` as ``caller``; raises a :class:`Problem` if refused.

    Refusals are audited too, so the transaction commits first and the problem is raised
    after it.
    """
    async with db.write() as session:
        approval, op = await _load_locked(session, approval_id)
        target = visible_target(op, requester=approval.requester)
        if not authorize(caller, Action.APPROVALS_LIST, target, plugins=plugins):
            raise _not_found(approval_id)
        problem = _refusal(caller, approval, op, target, now, plugins)
        details: dict[str, Any] | None = None
        if problem is None:
            _decide(approval, op, caller, approve=approve, note=note, now=now)
            step, outcome = ("approve", "approved") if approve else ("reject", "rejected")
            details = {"note": note} if note else None
        elif problem.code == "APPROVAL.EXPIRED" and approval.state == ApprovalState.PENDING:
            await _expire_one(session, trail, approval, op, now)  # audits the expiry
            step = ""
        else:
            step, outcome, details = "decide", "denied", {"refused": problem.code}
        if step:
            entry = entry_for_operation(
                op,
                f"approval.{step}",
                outcome,
                actor=actor_of(caller),
                approval_id=approval.id,
                details=details,
            )
            await trail.append(session, entry)
    if problem is not None:
        raise problem
    return approval, op


async def _load_locked(session: AsyncSession, approval_id: str) -> tuple[Approval, Operation]:
    # Row locks (PostgreSQL) serialise racing approvers and the expiry scan; SQLite's
    # write transaction is exclusive already.
    approval = await session.get(Approval, approval_id, with_for_update=True)
    if approval is None or approval.operation_id is None:  # batch approvals: the batch engine
        raise _not_found(approval_id)
    op = await session.get(Operation, approval.operation_id, with_for_update=True)
    if op is None:
        raise _not_found(approval_id)
    return approval, op


def _refusal(
    caller: Caller,
    approval: Approval,
    op: Operation,
    target: Target,
    now: datetime,
    plugins: LoadedPlugins | None,
) -> Problem | None:
    decision = authorize(caller, Action.APPROVALS_DECIDE, target, plugins=plugins)
    if not decision:
        return _refused(decision.rule_id, decision.reason)
    return _undecidable(approval, op, now)


def _undecidable(approval: Approval, op: Operation, now: datetime) -> Problem | None:
    if approval.state == ApprovalState.EXPIRED:
        return _expired(approval)
    if approval.state != ApprovalState.PENDING:
        return Problem(
            409,
            "APPROVAL.NOT_PENDING",
            "Approval already decided",
            f"this approval is {approval.state}",
            hint="a decided approval cannot be changed; request the operation again",
            state=approval.state,
        )
    if approval.expires_at <= now:
        return _expired(approval)
    if approval.request_hash != request_hash(op):
        return Problem(
            409,
            "APPROVAL.REQUEST_CHANGED",
            "Request changed",
            "the operation no longer matches the request that was submitted for approval",
            hint="request the operation again",
        )
    return None


def _expired(approval: Approval) -> Problem:
    return Problem(
        409,
        "APPROVAL.EXPIRED",
        "Approval expired",
        f"this approval expired at {approval.expires_at.isoformat()}",
        hint="request the operation again",
    )


def _decide(
    approval: Approval,
    op: Operation,
    caller: Caller,
    *,
    approve: bool,
    note: str | None,
    now: datetime,
) -> None:
    approval.state = (ApprovalState.APPROVED if approve else ApprovalState.REJECTED).value
    approval.approver = caller.name
    approval.decided_at = now
    approval.note = note
    op.updated_at = now
    if approve:
        op.status = OperationStatus.PENDING.value
        op.next_attempt_at = now
    else:
        op.status = OperationStatus.REJECTED.value
        op.outcome = "rejected"
        op.error_code = "APPROVAL.REJECTED"
        op.error_message = f"rejected by {caller.name}" + (f": {note}" if note else "")


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
        hint="approvals need a manager of the session's department, or an admin",
        rule=rule_id,
    )


def _encode_cursor(approval: Approval) -> str:
    return _encode_cursor_at((approval.created_at, approval.id))


def _encode_cursor_at(cursor: tuple[datetime, str]) -> str:
    raw = f"{cursor[0].isoformat()}|{cursor[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, approval_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), approval_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Problem(
            400,
            "REQUEST.INVALID_PAGE_TOKEN",
            "Invalid page token",
            "page_token is malformed",
            hint="pass next_page_token from the previous page unchanged",
        ) from None


async def list_visible(
    db: Database,
    caller: Caller,
    *,
    state: ApprovalState | None,
    page_size: int,
    page_token: str | None,
    plugins: LoadedPlugins | None = None,
) -> tuple[list[tuple[Approval, Operation | None]], str | None]:
    """Approvals (newest first) whose sessions the caller may see, one page at a time.

    Rows are scanned in chunks and filtered by the policy, so a page is full unless the
    scan ran out; at most ten chunks are scanned per page.
    """
    # Outer join: a batch's approval gates no single operation (see batches/approvals.py).
    statement = select(Approval, Operation).outerjoin(
        Operation, Approval.operation_id == Operation.id
    )
    if state is not None:
        statement = statement.where(Approval.state == state.value)
    statement = statement.order_by(Approval.created_at.desc(), Approval.id.desc())
    cursor = _decode_cursor(page_token) if page_token else None
    found: list[tuple[Approval, Operation | None]] = []
    async with db.session() as session:
        for _ in range(10):
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
                if op is None:
                    from ..batches.approvals import batch_visible  # it imports the API layer

                    visible = await batch_visible(session, caller, approval, plugins)
                else:
                    target = visible_target(op)
                    visible = bool(
                        authorize(caller, Action.APPROVALS_LIST, target, plugins=plugins)
                    )
                if visible:
                    found.append((approval, op))
                if len(found) == page_size:
                    return found, _encode_cursor(approval)
            if len(rows) < page_size:
                return found, None
    # Ten chunks scanned without filling the page: continue from the last row scanned.
    return found, _encode_cursor_at(cursor) if cursor else None
