"""Stored rows and lifecycle results → the API's response models."""

from __future__ import annotations

from interlock.models import Reason, ReasonCode, Session, SessionRef

from ..operations.batch_reads import BatchPage, Counts
from ..operations.notices import notices_of
from ..operations.pending import PendingStop
from ..operations.previews import Preview
from ..store.tables import Approval, Operation, OperationStatus
from .batch_schemas import BatchCounts, BatchItemOut, BatchOut, ItemError, PreviewOut
from .schemas import (
    ApprovalOut,
    ApprovalRef,
    CandidateOut,
    ErrorOut,
    NoticeOut,
    OperationOut,
    PendingStopOut,
    PositionOut,
    SessionOut,
)

__all__ = [
    "approval_view",
    "batch_view",
    "counts_view",
    "operation_view",
    "pending_view",
    "preview_view",
    "session_view",
]


def pending_view(stop: PendingStop | None) -> PendingStopOut | None:
    """A session's pending stop, with where to undo it while that is possible."""
    if stop is None:
        return None
    return PendingStopOut(
        verb=stop.verb,
        operation=stop.operation_id,
        status=stop.status,
        commit_at=stop.commit_at,
        undo=f"/v1/operations/{stop.operation_id}/undo" if stop.undoable else None,
        requested_by=stop.requested_by,
    )


def session_view(session: Session, vendor: str, pending: PendingStop | None = None) -> SessionOut:
    """A session without the vendor's unstable extras, with its pending stop if any."""
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
        pending=pending_view(pending),
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
        session=SessionRef(account=op.account, session_id=op.session_id).name,
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
        notices=[NoticeOut.model_validate(n) for n in notices_of(op.details)],
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


def counts_view(counts: Counts) -> BatchCounts:
    return BatchCounts(**counts.as_dict())


def _item_view(op: Operation) -> BatchItemOut:
    error = ItemError(code=op.error_code, message=op.error_message) if op.error_code else None
    if op.status not in (
        OperationStatus.FAILED,
        OperationStatus.REJECTED,
        OperationStatus.CANCELLED,
    ):
        error = None  # a transient failure that later succeeded is not an error of the item
    return BatchItemOut(
        index=op.item_index or 0,
        session=SessionRef(account=op.account, session_id=op.session_id).name,
        account=op.account,
        operation_id=op.id,
        status=op.status,
        outcome=op.outcome,
        state_before=op.state_before,
        state_after=op.state_after,
        commit_at=op.commit_at,
        attempts=op.attempts,
        vendor_request_id=op.vendor_request_id,
        error=error,
    )


def batch_view(page: BatchPage) -> BatchOut:
    """A batch with its counts (overall, per account) and one page of items."""
    batch = page.batch
    return BatchOut(
        id=batch.id,
        action=batch.action,
        status=batch.status,
        actor=batch.actor,
        reason=Reason(code=ReasonCode(batch.reason_code), note=batch.reason_note),
        item_count=batch.item_count,
        counts=counts_view(page.counts),
        by_account={a: counts_view(c) for a, c in page.by_account.items()},
        approval_id=page.approval_id,
        created_at=batch.created_at,
        finished_at=batch.finished_at,
        items=[_item_view(op) for op in page.items],
        next_page_token=page.next_page_token,
    )


def preview_view(preview: Preview) -> PreviewOut:
    return PreviewOut.model_validate(preview, from_attributes=True)
