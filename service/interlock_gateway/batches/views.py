"""Reading a batch: counts (overall and per account), one page of items, visibility."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import select

from interlock.models import Reason, ReasonCode, SessionRef

from ..api.problems import Problem
from ..api.schemas import dump
from ..policy import Action, Caller, Target, authorize
from ..runtime import Runtime
from ..services.idempotency import Reply
from ..store.tables import Approval, Batch, Operation, OperationStatus
from .counts import count_items
from .schemas import BatchItemOut, BatchOut, ItemError

__all__ = ["batch_reply", "batch_view", "get_visible", "not_found"]

Status = OperationStatus


def not_found(batch_id: str) -> Problem:
    """The one answer for "no such batch" and "not yours to see"."""
    return Problem(
        404,
        "BATCH.NOT_FOUND",
        "Batch not found",
        f"no batch {batch_id!r} that you may see",
        hint="use the id POST /v1/batches returned",
    )


def _item_view(op: Operation) -> BatchItemOut:
    error = ItemError(code=op.error_code, message=op.error_message) if op.error_code else None
    if op.status not in (Status.FAILED, Status.REJECTED, Status.CANCELLED):
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


def _token(index: int) -> str:
    return base64.urlsafe_b64encode(f"i{index}".encode()).decode().rstrip("=")


def _after(token: str | None) -> int:
    if not token:
        return -1
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith("i"):
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(
            400,
            "REQUEST.INVALID_PAGE_TOKEN",
            "Invalid page token",
            "page_token is malformed",
            hint="pass next_page_token from the previous page unchanged",
        ) from None


async def batch_view(
    runtime: Runtime,
    batch: Batch,
    *,
    page_size: int = 0,
    page_token: str | None = None,
    statuses: tuple[str, ...] = (),
) -> BatchOut:
    """The batch with its counts and (``page_size`` > 0) one page of items."""
    counts, by_account = await count_items(runtime.db, batch.id)
    items: list[Operation] = []
    async with runtime.db.session() as session:
        approval_id = await session.scalar(select(Approval.id).where(Approval.batch_id == batch.id))
        if page_size > 0:
            statement = (
                select(Operation)
                .where(Operation.batch_id == batch.id, Operation.item_index > _after(page_token))
                .order_by(Operation.item_index)
                .limit(page_size + 1)
            )
            if statuses:
                statement = statement.where(Operation.status.in_(statuses))
            items = list((await session.scalars(statement)).all())
    more = len(items) > page_size
    items = items[:page_size]
    return BatchOut(
        id=batch.id,
        action=batch.action,
        status=batch.status,
        actor=batch.actor,
        reason=Reason(code=ReasonCode(batch.reason_code), note=batch.reason_note),
        item_count=batch.item_count,
        counts=counts,
        by_account=by_account,
        approval_id=approval_id,
        created_at=batch.created_at,
        finished_at=batch.finished_at,
        items=[_item_view(op) for op in items],
        next_page_token=_token(items[-1].item_index or 0) if more and items else None,
    )


async def batch_reply(runtime: Runtime, batch_id: str, *, status: int) -> Reply:
    """A reply carrying the batch (no items), with its Location."""
    async with runtime.db.session() as session:
        batch = await session.get(Batch, batch_id)
    assert batch is not None
    body: dict[str, Any] = dump(await batch_view(runtime, batch))
    return Reply(status, body, {"Location": f"/v1/batches/{batch_id}"})


async def get_visible(runtime: Runtime, caller: Caller, batch_id: str, action: Action) -> Batch:
    """The batch, if ``caller`` requested it or may act on every one of its items."""
    async with runtime.db.session() as session:
        batch = await session.get(Batch, batch_id)
        if batch is None:
            raise not_found(batch_id)
        if batch.actor == caller.name:
            return batch
        rows = (
            await session.execute(
                select(Operation.account, Operation.session_id, Operation.details).where(
                    Operation.batch_id == batch_id
                )
            )
        ).all()
    for account, session_id, details in rows:
        ref = SessionRef(account=account, session_id=session_id)
        target = Target.from_snapshot(ref, (details or {}).get("position", {}))
        if not authorize(caller, action, target, plugins=runtime.plugins):
            raise not_found(batch_id)
    return batch
