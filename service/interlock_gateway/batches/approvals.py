"""One approval for a whole batch: decided once, releasing or rejecting every held item.

The approval is bound to the batch's request hash. The approver must be allowed to decide
for *every* item (a manager of each item's department, or an admin) and must not be the
requester. Approving moves the held items to ``pending`` (the worker takes them); rejecting
— or the approval expiring — rejects them and the batch. Each step is one transaction with
its audit record.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interlock.models import SessionRef
from interlock.plugins import LoadedPlugins

from ..api.problems import Problem
from ..audit import AuditEntry, AuditTrail
from ..policy import Action, Caller, Target, authorize
from ..services import audit
from ..store.tables import Approval, ApprovalState, Batch, BatchStatus, Operation, OperationStatus

if TYPE_CHECKING:  # the runtime imports the engine, which imports this module
    from ..runtime import Runtime

__all__ = ["batch_visible", "decide", "is_batch_approval", "reject_expired"]

Status = OperationStatus


async def is_batch_approval(runtime: Runtime, approval_id: str) -> bool:
    """Whether ``approval_id`` gates a batch (rather than one operation)."""
    async with runtime.db.session() as session:
        approval = await session.get(Approval, approval_id)
    return approval is not None and approval.batch_id is not None


async def batch_visible(
    session: AsyncSession, caller: Caller, approval: Approval, plugins: LoadedPlugins | None
) -> bool:
    """Whether ``caller`` may see a batch approval: every item it holds is in their scope."""
    if approval.batch_id is None:
        return False
    targets = await _all_targets(session, approval.batch_id, approval.requester)
    return bool(targets) and all(
        authorize(caller, Action.APPROVALS_LIST, t, plugins=plugins) for t in targets
    )


async def _all_targets(session: AsyncSession, batch_id: str, requester: str) -> list[Target]:
    rows = (
        await session.execute(
            select(Operation.account, Operation.session_id, Operation.details).where(
                Operation.batch_id == batch_id
            )
        )
    ).all()
    return [
        Target.from_snapshot(
            SessionRef(account=a, session_id=s), (d or {}).get("position", {}), requester
        )
        for a, s, d in rows
    ]


def _not_found(approval_id: str) -> Problem:
    return Problem(
        404,
        "APPROVAL.NOT_FOUND",
        "Approval not found",
        f"no approval {approval_id!r} that you may see",
        hint="the batch shows its approval_id (GET /v1/batches/{id})",
    )


async def _targets(session: AsyncSession, batch_id: str, requester: str) -> list[Target]:
    rows = (
        await session.execute(
            select(Operation.account, Operation.session_id, Operation.details).where(
                Operation.batch_id == batch_id, Operation.status == Status.AWAITING_APPROVAL
            )
        )
    ).all()
    return [
        Target.from_snapshot(
            SessionRef(account=a, session_id=s), (d or {}).get("position", {}), requester
        )
        for a, s, d in rows
    ]


def _refusal(
    runtime: Runtime,
    caller: Caller,
    approval: Approval,
    targets: list[Target],
    now: datetime,
    batch_hash: str | None,
) -> Problem | None:
    for target in targets:
        decision = authorize(caller, Action.APPROVALS_DECIDE, target, plugins=runtime.plugins)
        if not decision:
            code = (
                "APPROVAL.SELF_APPROVAL"
                if decision.rule_id == "approval.maker_checker"
                else "APPROVAL.NOT_APPROVER"
            )
            return Problem(
                403,
                code,
                "Not an approver for this batch",
                decision.reason,
                hint="a batch needs an approver (not the requester) for every item in it",
                rule=decision.rule_id,
            )
    if approval.state != ApprovalState.PENDING:
        return Problem(
            409,
            "APPROVAL.NOT_PENDING",
            "Approval already decided",
            f"this approval is {approval.state}",
            hint="a decided approval cannot be changed; submit the batch again",
        )
    if approval.request_hash != batch_hash:
        return Problem(
            409,
            "APPROVAL.REQUEST_CHANGED",
            "Request changed",
            "the batch no longer matches the request that was submitted for approval",
            hint="submit the batch again",
        )
    if approval.expires_at <= now:
        return Problem(
            409,
            "APPROVAL.EXPIRED",
            "Approval expired",
            f"this approval expired at {approval.expires_at.isoformat()}",
            hint="submit the batch again",
        )
    return None


async def decide(
    runtime: Runtime, caller: Caller, approval_id: str, *, approve: bool, note: str | None
) -> Approval:
    """Approve or reject a batch approval; raises a :class:`Problem` when refused."""
    now = runtime.clock()
    async with runtime.db.write() as tx:
        approval = await tx.get(Approval, approval_id, with_for_update=True)
        batch = await tx.get(Batch, approval.batch_id) if approval and approval.batch_id else None
        if approval is None or batch is None:
            raise _not_found(approval_id)
        targets = await _targets(tx, batch.id, approval.requester)
        if not all(
            authorize(caller, Action.APPROVALS_LIST, t, plugins=runtime.plugins) for t in targets
        ):
            raise _not_found(approval_id)
        problem = _refusal(runtime, caller, approval, targets, now, batch.request_hash)
        if problem is None and approval.request_hash != batch.request_hash:
            problem = Problem(
                409, "APPROVAL.REQUEST_CHANGED", "Request changed", "the batch changed"
            )
        if problem is None:
            approval.state = (ApprovalState.APPROVED if approve else ApprovalState.REJECTED).value
            approval.approver, approval.decided_at, approval.note = caller.name, now, note
            await _release(tx, batch, now) if approve else await _reject(
                tx, batch, now, "APPROVAL.REJECTED", f"rejected by {caller.name}"
            )
        step = ("approve" if approve else "reject") if problem is None else "decide"
        outcome = ("approved" if approve else "rejected") if problem is None else "denied"
        await runtime.trail.append(
            tx,
            AuditEntry(
                actor=audit.actor_of(caller),
                action=f"approval.{step}",
                outcome=outcome,
                approval_id=approval.id,
                batch_id=batch.id,
                details={"refused": problem.code} if problem else {"items": len(targets)},
            ),
        )
    if problem is not None:
        raise problem
    runtime.worker.wake()
    return approval


async def _release(tx: AsyncSession, batch: Batch, now: datetime) -> None:
    batch.status, batch.updated_at = BatchStatus.PENDING.value, now
    await tx.execute(
        update(Operation)
        .where(Operation.batch_id == batch.id, Operation.status == Status.AWAITING_APPROVAL)
        .values(status=Status.PENDING.value, outcome=None, next_attempt_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def _reject(tx: AsyncSession, batch: Batch, now: datetime, code: str, message: str) -> None:
    batch.status, batch.updated_at, batch.finished_at = BatchStatus.REJECTED.value, now, now
    await tx.execute(
        update(Operation)
        .where(Operation.batch_id == batch.id, Operation.status == Status.AWAITING_APPROVAL)
        .values(
            status=Status.REJECTED.value,
            outcome="rejected",
            next_attempt_at=None,
            error_code=code,
            error_message=message,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


async def reject_expired(db_session: AsyncSession, trail: AuditTrail, now: datetime) -> int:
    """Reject batches whose approval expired (the approvals scan marks the approval)."""
    rows = (
        await db_session.execute(
            select(Batch, Approval)
            .join(Approval, Approval.batch_id == Batch.id)
            .where(Batch.status == BatchStatus.AWAITING_APPROVAL)
            .where(
                (Approval.state == ApprovalState.EXPIRED)
                | ((Approval.state == ApprovalState.PENDING) & (Approval.expires_at <= now))
            )
        )
    ).all()
    for batch, approval in rows:
        approval.state, approval.decided_at = (
            ApprovalState.EXPIRED.value,
            approval.decided_at or now,
        )
        await _reject(db_session, batch, now, "APPROVAL.EXPIRED", "the approval expired")
        await trail.append(
            db_session,
            AuditEntry(
                actor=audit.SYSTEM_ACTOR,
                action="approval.expire",
                outcome="expired",
                approval_id=approval.id,
                batch_id=batch.id,
            ),
        )
    return len(rows)
