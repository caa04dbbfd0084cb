"""``operation_from_row``: the cheap transient copy equals what the mapped constructor builds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect

from interlock_gateway.store.tables import OPERATIONS, Operation, operation_from_row

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def row() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(c.key for c in OPERATIONS.c)
    values.update(
        id="op-1",
        kind="batch_item",
        batch_id="b-1",
        item_index=3,
        account="sbx",
        vendor="sandbox",
        session_id="s-1",
        verb="terminate",
        reason_code="system_fault",
        actor="alice",
        status="in_flight",
        attempts=1,
        lease_owner="w1",
        lease_until=NOW,
        details={"phase": "apply"},
        created_at=NOW,
        updated_at=NOW,
    )
    return values


def test_the_copy_holds_every_column_like_the_constructor() -> None:
    built, copied = Operation(**row()), operation_from_row(row())
    for column in OPERATIONS.c:
        assert getattr(copied, column.key) == getattr(built, column.key), column.key
    assert inspect(copied).transient


def test_the_copy_can_be_changed_like_any_detached_copy() -> None:
    copied = operation_from_row(row())
    copied.status = "succeeded"
    copied.details = {**copied.details, "native": True}
    assert (copied.status, copied.details) == ("succeeded", {"phase": "apply", "native": True})
