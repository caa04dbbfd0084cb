"""Audit witnesses: which signed checkpoint was handed to which witness.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Each signed checkpoint is also kept by witnesses outside the database (a file, a webhook);
this table records the handing over, so every checkpoint reaches every witness once, across
restarts and replicas.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the deliveries table."""
    op.create_table(
        "audit_witness_deliveries",
        sa.Column("witness", sa.String(100), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("witness", "seq", name=op.f("pk_audit_witness_deliveries")),
    )


def downgrade() -> None:
    """Drop it (the witnesses keep what they were given)."""
    op.drop_table("audit_witness_deliveries")
