"""Stored operations for tests that write rows directly (queue, finishing, metrics)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from interlock_gateway.store.tables import Operation

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def make_operation(**columns: Any) -> Operation:
    """A single terminate on the sandbox account ``sbx``, pending, created at :data:`NOW`;
    ``columns`` override any of it."""
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "single",
        "account": "sbx",
        "vendor": "sandbox",
        "session_id": f"s-{uuid.uuid4().hex[:8]}",
        "verb": "terminate",
        "reason_code": "system_fault",
        "actor": "alice",
        "status": "pending",
        "attempts": 0,
        "details": {"phase": "apply"},
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Operation(**(values | columns))
