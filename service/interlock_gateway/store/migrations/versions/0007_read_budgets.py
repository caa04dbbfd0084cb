"""Read budgets: vendor reads spent by each principal's previews and batches, per window.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

A preview of 1,000 made-up names costs the vendor 1,000 reads of an account's quota; the
budget caps what one principal may spend per window (``[batches] read_budget``), on every
replica, since the rows are shared.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the read budgets table."""
    op.create_table(
        "read_budgets",
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_read_budgets_principal_id_principals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("principal_id", "window_start", name=op.f("pk_read_budgets")),
    )


def downgrade() -> None:
    """Drop it (budgets only matter for their window)."""
    op.drop_table("read_budgets")
