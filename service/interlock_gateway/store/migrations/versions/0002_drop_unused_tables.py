"""Drop ``replicas`` and ``leases``: coordination went another way and nothing uses them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Replicas coordinate through the rows themselves — leases on ``operations`` (claimed with
``FOR UPDATE SKIP LOCKED``), slots in ``vendor_quota`` — so neither a replica registry nor
named singleton leases were ever written. Self-contained like 0001; the downgrade recreates
both tables empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop the two unused tables."""
    op.drop_index(op.f("ix_replicas_heartbeat_at"), table_name="replicas")
    op.drop_table("replicas")
    op.drop_table("leases")


def downgrade() -> None:
    """Recreate them as 0001 made them (empty)."""
    op.create_table(
        "replicas",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replicas")),
    )
    op.create_index(op.f("ix_replicas_heartbeat_at"), "replicas", ["heartbeat_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
