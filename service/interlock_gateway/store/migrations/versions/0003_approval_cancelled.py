"""Approvals can be ``cancelled``: withdrawn with the batch they gated.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

A batch cancelled while its approval is pending withdraws the approval (it can no longer be
approved). The state's CHECK constraint gains the value; on SQLite the table is rebuilt in
batch mode (SQLite cannot alter a constraint), which keeps its rows, keys and indexes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("pending", "approved", "rejected", "expired")
AFTER = (*BEFORE, "cancelled")


def _in(values: Sequence[str]) -> str:
    return f"state IN ({', '.join(repr(v) for v in values)})"


def _replace_check(values: Sequence[str]) -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_constraint(op.f("ck_approvals_state"), type_="check")
        batch.create_check_constraint(op.f("ck_approvals_state"), _in(values))


def upgrade() -> None:
    """Allow ``cancelled``."""
    _replace_check(AFTER)


def downgrade() -> None:
    """Cancelled approvals become ``rejected`` (the nearest earlier state), then the value
    is forbidden again."""
    op.execute("UPDATE approvals SET state = 'rejected' WHERE state = 'cancelled'")
    _replace_check(BEFORE)
