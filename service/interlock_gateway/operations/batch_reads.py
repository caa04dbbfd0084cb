"""Reading batches: item counts (overall and per account), one page of items, progress,
and who may see a batch."""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select

from interlock.models import SessionRef

from ..policy import Action, Caller, Target, authorize
from ..problems import Problem, invalid_page_token
from ..store import Database
from ..store.tables import Approval, Batch, BatchStatus, Operation, OperationStatus
from .context import Context

__all__ = [
    "BatchPage",
    "Counts",
    "Progress",
    "batch_not_found",
    "count_items",
    "get_visible_batch",
    "progress",
    "read_batch",
]

Status = OperationStatus
_BUCKET = {
    Status.PENDING.value: "pending",
    Status.IN_FLIGHT.value: "in_flight",
    Status.SUCCEEDED.value: "succeeded",
    Status.COMMITTED.value: "succeeded",
    Status.GRACE.value: "in_grace",
    Status.FAILED.value: "failed",
    Status.REJECTED.value: "skipped",
    Status.CANCELLED.value: "skipped",
    Status.UNDONE.value: "skipped",
    Status.AWAITING_APPROVAL.value: "awaiting_approval",
}
FINISHED_BATCH = (
    BatchStatus.COMPLETED.value,
    BatchStatus.CANCELLED.value,
    BatchStatus.REJECTED.value,
)


@dataclass(frozen=True, slots=True)
class Counts:
    """Items by where they stand (held items count as succeeded *and* in grace)."""

    pending: int = 0
    in_flight: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    in_grace: int = 0
    awaiting_approval: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _counts(by_status: dict[str, int]) -> Counts:
    values: dict[str, int] = defaultdict(int)
    for status, count in by_status.items():
        values[_BUCKET.get(status, "pending")] += count
    # Held items are done for the batch (their final verb follows at commit_at).
    values["succeeded"] += values["in_grace"]
    return Counts(**values)


async def count_items(db: Database, batch_id: str) -> tuple[Counts, dict[str, Counts]]:
    """Counts overall and per account."""
    statement = (
        select(Operation.account, Operation.status, func.count())
        .where(Operation.batch_id == batch_id)
        .group_by(Operation.account, Operation.status)
    )
    async with db.session() as session:
        rows = (await session.execute(statement)).all()
    overall: dict[str, int] = defaultdict(int)
    per_account: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account, status, count in rows:
        overall[status] += count
        per_account[account][status] += count
    return _counts(overall), {a: _counts(c) for a, c in sorted(per_account.items())}


def batch_not_found(batch_id: str) -> Problem:
    """The one answer for "no such batch" and "not yours to see"."""
    return Problem(
        404,
        "BATCH.NOT_FOUND",
        "Batch not found",
        f"no batch {batch_id!r} that you may see",
        hint="use the id POST /v1/batches returned",
    )


@dataclass(frozen=True)
class BatchPage:
    """A batch, its counts, its approval and one page of its items."""

    batch: Batch
    counts: Counts
    by_account: dict[str, Counts]
    approval_id: str | None
    items: list[Operation] = field(default_factory=list)
    next_page_token: str | None = None


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
        raise invalid_page_token("page_token is malformed") from None


async def read_batch(
    ctx: Context,
    batch: Batch,
    *,
    page_size: int = 0,
    page_token: str | None = None,
    statuses: tuple[str, ...] = (),
) -> BatchPage:
    """The batch with its counts and (``page_size`` > 0) one page of items in request order."""
    counts, by_account = await count_items(ctx.db, batch.id)
    items: list[Operation] = []
    async with ctx.db.session() as session:
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
    token = _token(items[-1].item_index or 0) if more and items else None
    return BatchPage(batch, counts, by_account, approval_id, items, token)


async def get_visible_batch(ctx: Context, caller: Caller, batch_id: str, action: Action) -> Batch:
    """The batch, if ``caller`` requested it or may act on every one of its items."""
    async with ctx.db.session() as session:
        batch = await session.get(Batch, batch_id)
        if batch is None:
            raise batch_not_found(batch_id)
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
        if not authorize(caller, action, target, plugins=ctx.plugins):
            raise batch_not_found(batch_id)
    return batch


@dataclass(frozen=True)
class Progress:
    """A batch's progress: status and counts overall and per account."""

    status: str
    item_count: int
    counts: Counts
    by_account: dict[str, Counts]

    @property
    def finished(self) -> bool:
        """The batch is over and nothing of it is in flight any more."""
        return self.status in FINISHED_BATCH and not self.counts.in_flight

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "item_count": self.item_count,
            "counts": self.counts.as_dict(),
            "by_account": {a: c.as_dict() for a, c in self.by_account.items()},
        }


async def progress(ctx: Context, batch_id: str) -> Progress | None:
    """Where the batch stands now (``None`` if it is gone)."""
    async with ctx.db.session() as session:
        batch = await session.get(Batch, batch_id)
    if batch is None:
        return None
    counts, by_account = await count_items(ctx.db, batch_id)
    return Progress(batch.status, batch.item_count, counts, by_account)
