"""The pending-stop checks read open stops through their partial index, whatever the history.

Accepting a batch checks each of its sessions for an open terminate or revoke; through the
general ``(account, session_id, created_at)`` index that read visits every operation a
session ever had. The partial index holds only open stops — if the query's text stopped
matching the index's, the planner would silently fall back, which this test catches.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event

from interlock_gateway.operations.pending import _SHOWN, _stops
from interlock_gateway.operations.phases import FINAL_VERBS
from interlock_gateway.store import Database
from interlock_gateway.store.tables import OPEN_STOP_SQL


def _quoted(group: str) -> set[str]:
    match = re.search(rf"{group} IN \(([^)]*)\)", OPEN_STOP_SQL)
    assert match is not None
    return set(re.findall(r"'([a-z_]+)'", match.group(1)))


def test_the_index_condition_is_the_lifecycles_definition_of_an_open_stop() -> None:
    assert _quoted("verb") == {verb.value for verb in FINAL_VERBS}
    assert _quoted("status") == set(_SHOWN)


async def test_the_checks_use_the_partial_index(db: Database) -> None:
    """Explained as executed: the statement's own SQL with its bound parameters."""
    executed: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: Any) -> None:
        executed.append((sql, params))

    statement = _stops([f"s-{i}" for i in range(300)], "acct", _SHOWN)
    async with db.engine.connect() as connection:
        event.listen(connection.sync_connection, "before_cursor_execute", capture)
        await connection.execute(statement)
        event.remove(connection.sync_connection, "before_cursor_execute", capture)
        sql, params = executed[-1]
        if not db.is_sqlite:
            # A tiny table is cheapest to scan; ask the planner what it would do at scale.
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
        plan = (await connection.exec_driver_sql(explain + sql, params)).all()
    assert "ix_operations_open_stops" in " ".join(str(row) for row in plan)
