"""The operations table at a glance: how many operations stand where (for ``/metrics``).

The database is the queue, so these numbers survive restarts and agree across replicas.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..store import Database
from ..store.tables import Operation, OperationStatus

__all__ = ["QUEUED", "OperationCount", "count_operations"]

#: Operation statuses that are still the worker's (or an approver's) to finish.
QUEUED = (
    OperationStatus.PENDING,
    OperationStatus.IN_FLIGHT,
    OperationStatus.GRACE,
    OperationStatus.AWAITING_APPROVAL,
)


@dataclass(frozen=True, slots=True)
class OperationCount:
    """Operations of one account, verb, status and outcome."""

    account: str
    verb: str
    status: str
    outcome: str | None
    count: int


async def count_operations(db: Database) -> list[OperationCount]:
    """Every (account, verb, status, outcome) group and its size."""
    statement = select(
        Operation.account, Operation.verb, Operation.status, Operation.outcome, func.count()
    ).group_by(Operation.account, Operation.verb, Operation.status, Operation.outcome)
    async with db.session() as session:
        rows = (await session.execute(statement)).all()
    return [OperationCount(a, v, s, o, int(c)) for a, v, s, o, c in rows]
