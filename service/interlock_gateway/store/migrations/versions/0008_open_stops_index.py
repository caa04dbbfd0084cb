"""A partial index on open stops: the pending-stop checks read only operations that may hold
a session.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Every accepted batch checks each of its sessions for a pending terminate or revoke. Through
the ``(account, session_id, created_at)`` index that read visits every operation a session
ever had, so accepting a 1,000-item batch slowed as history grew (85 ms → 300 ms after a
hundred batches on the same sessions); this index holds only the open stops.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in store/tables.py (OPEN_STOP_SQL) at this revision; migrations never import the models.
_OPEN_STOP = (
    "verb IN ('terminate', 'revoke') "
    "AND status IN ('pending', 'in_flight', 'grace', 'awaiting_approval')"
)


def upgrade() -> None:
    """Create the partial index."""
    op.create_index(
        "ix_operations_open_stops",
        "operations",
        ["account", "session_id"],
        sqlite_where=sa.text(_OPEN_STOP),
        postgresql_where=sa.text(_OPEN_STOP),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_operations_open_stops", table_name="operations")
