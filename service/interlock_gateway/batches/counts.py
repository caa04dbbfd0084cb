"""Batch item counts: statuses bucketed the way the API reports them."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from ..store.engine import Database
from ..store.tables import Operation, OperationStatus
from .schemas import BatchCounts

__all__ = ["count_items"]

Status = OperationStatus
#: Item statuses that still need the worker.
ACTIVE_STATUSES = (Status.PENDING.value, Status.IN_FLIGHT.value)
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


def _counts(by_status: dict[str, int]) -> BatchCounts:
    values: dict[str, int] = defaultdict(int)
    for status, count in by_status.items():
        values[_BUCKET.get(status, "pending")] += count
    # Held items are done for the batch (their final verb follows at commit_at).
    values["succeeded"] += values["in_grace"]
    return BatchCounts(**values)


async def count_items(db: Database, batch_id: str) -> tuple[BatchCounts, dict[str, BatchCounts]]:
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
