"""The candidate side: ``notifications`` (the outbox), ``resume_links``, ``manual_tasks``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

Self-contained: the downgrade drops the three tables (undelivered notifications are lost).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the tables and their indexes."""
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("event", sa.String(48), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("recipient_masked", sa.String(320), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("operation_id", sa.String(36), nullable=True),
        sa.Column("batch_id", sa.String(36), nullable=True),
        sa.Column("account", sa.String(100), nullable=True),
        sa.Column("session_id", sa.String(200), nullable=True),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        _when("lease_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(200), nullable=True),
        _when("created_at", False),
        _when("updated_at", False),
        _when("delivered_at"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'failed')",
            name=op.f("ck_notifications_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        op.f("ix_notifications_status_next_attempt_at"),
        "notifications",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_notifications_status_lease_until"), "notifications", ["status", "lease_until"]
    )
    op.create_index(op.f("ix_notifications_operation_id"), "notifications", ["operation_id"])
    op.create_index(op.f("ix_notifications_batch_id"), "notifications", ["batch_id"])

    op.create_table(
        "resume_links",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("operation_id", sa.String(36), nullable=True),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("candidate_masked", sa.String(100), nullable=True),
        sa.Column("candidate_id", sa.String(200), nullable=True),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _when("created_at", False),
        _when("expires_at", False),
        _when("used_at"),
        _when("revoked_at"),
        sa.CheckConstraint(
            "state IN ('active', 'used', 'revoked')", name=op.f("ck_resume_links_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resume_links")),
    )
    op.create_index(
        op.f("ix_resume_links_account_session_id"), "resume_links", ["account", "session_id"]
    )
    op.create_index(op.f("ix_resume_links_operation_id"), "resume_links", ["operation_id"])

    op.create_table(
        "manual_tasks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("vendor", sa.String(64), nullable=True),
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("position_id", sa.String(200), nullable=True),
        sa.Column("verb", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(32), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(100), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state_before", sa.String(16), nullable=True),
        sa.Column("state_confirmed", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _when("due_at", False),
        _when("created_at", False),
        _when("updated_at", False),
        _when("closed_at"),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'failed')", name=op.f("ck_manual_tasks_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_tasks")),
    )
    op.create_index(op.f("ix_manual_tasks_status_due_at"), "manual_tasks", ["status", "due_at"])
    op.create_index(
        op.f("ix_manual_tasks_account_session_id"), "manual_tasks", ["account", "session_id"]
    )
    op.create_index(op.f("ix_manual_tasks_assignee"), "manual_tasks", ["assignee"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("manual_tasks")
    op.drop_table("resume_links")
    op.drop_table("notifications")
