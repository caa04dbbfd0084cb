"""Stored rows and SDK models → the API's response models."""

from __future__ import annotations

from interlock.models import Reason, ReasonCode, Session

from ..api.schemas import (
    ApprovalOut,
    ApprovalRef,
    CandidateOut,
    ErrorOut,
    OperationOut,
    PositionOut,
    SessionOut,
)
from ..store.tables import Approval, Operation

__all__ = ["approval_view", "operation_view", "session_view"]


def session_view(session: Session, vendor: str) -> SessionOut:
    """A session without the vendor's unstable extras."""
    return SessionOut(
        name=session.ref.name,
        account=session.ref.account,
        id=session.ref.session_id,
        vendor=vendor,
        state=session.state,
        vendor_state=session.vendor_state,
        candidate=CandidateOut(
            id=session.candidate.id,
            masked_name=session.candidate.masked_name,
            masked_phone=session.candidate.masked_phone,
        ),
        position=PositionOut(
            id=session.position.id,
            title=session.position.title,
            level=session.position.level,
            department=session.position.department,
        ),
        batch_no=session.batch_no,
        scheduled_at=session.scheduled_at,
        started_at=session.started_at,
        progress=session.progress,
        resume_deadline=session.resume_deadline,
    )


def _reason(op: Operation) -> Reason | None:
    if op.reason_code is None:
        return None
    return Reason(code=ReasonCode(op.reason_code), note=op.reason_note)


def operation_view(op: Operation, approval: Approval | None = None) -> OperationOut:
    """An operation as the API shows it."""
    error = ErrorOut(code=op.error_code, message=op.error_message) if op.error_code else None
    return OperationOut(
        id=op.id,
        kind=op.kind,
        verb=op.verb,
        session=f"accounts/{op.account}/sessions/{op.session_id}",
        account=op.account,
        session_id=op.session_id,
        status=op.status,
        outcome=op.outcome,
        reason=_reason(op),
        actor=op.actor,
        state_before=op.state_before,
        state_after=op.state_after,
        commit_at=op.commit_at,
        resume_deadline=op.resume_deadline,
        undo_of=op.undo_of,
        batch_id=op.batch_id,
        approval=ApprovalRef(id=approval.id, state=approval.state, expires_at=approval.expires_at)
        if approval
        else None,
        vendor_request_id=op.vendor_request_id,
        error=error,
        attempts=op.attempts,
        created_at=op.created_at,
        updated_at=op.updated_at,
    )


def approval_view(approval: Approval, op: Operation | None) -> ApprovalOut:
    """An approval with the operation it gates."""
    return ApprovalOut(
        id=approval.id,
        state=approval.state,
        requester=approval.requester,
        approver=approval.approver,
        note=approval.note,
        request_hash=approval.request_hash,
        created_at=approval.created_at,
        expires_at=approval.expires_at,
        decided_at=approval.decided_at,
        operation=operation_view(op, approval) if op is not None else None,
        batch_id=approval.batch_id,
    )
