"""Ownership per account: principals link to vendor user ids per account; grants name it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Before, a principal owned the positions listed on it by id (on *every* account) and any
position whose vendor-reported owners included the principal's own *name*. Both crossed
accounts. Now ``vendor_users`` (``{account: [ids]}``) links a principal to vendor users per
account, and ``positions``/``departments`` hold ``account/id`` grants.

The migration cannot know which account an old grant meant, so it grants nothing it cannot
prove: grants without an account move to ``legacy_grants`` (granting nothing), and
``interlock db upgrade`` / ``interlock principals list`` report them with the command that
re-grants them on an account. Name-matching ownership simply ends.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _list(value: Any) -> list[str]:
    if isinstance(value, str):  # SQLite returns JSON text through a plain table
        value = json.loads(value)
    return [str(v) for v in value or ()]


def upgrade() -> None:
    """Add the columns, then set aside every grant that names no account."""
    with op.batch_alter_table("principals") as batch:
        batch.add_column(sa.Column("vendor_users", _json(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("legacy_grants", _json(), nullable=False, server_default="{}"))
    principals = sa.table(
        "principals",
        sa.column("id", sa.Integer),
        sa.column("positions", _json()),
        sa.column("departments", _json()),
        sa.column("legacy_grants", _json()),
    )
    connection = op.get_bind()
    for row in connection.execute(
        sa.select(principals.c.id, principals.c.positions, principals.c.departments)
    ).all():
        positions, departments = _list(row.positions), _list(row.departments)
        legacy = {
            "positions": [p for p in positions if "/" not in p],
            "departments": [d for d in departments if "/" not in d],
        }
        if not legacy["positions"] and not legacy["departments"]:
            continue
        connection.execute(
            principals.update()
            .where(principals.c.id == row.id)
            .values(
                positions=[p for p in positions if "/" in p],
                departments=[d for d in departments if "/" in d],
                legacy_grants={k: v for k, v in legacy.items() if v},
            )
        )


def downgrade() -> None:
    """Put the set-aside grants back (they grant again on every account) and drop the links."""
    principals = sa.table(
        "principals",
        sa.column("id", sa.Integer),
        sa.column("positions", _json()),
        sa.column("departments", _json()),
        sa.column("legacy_grants", _json()),
    )
    connection = op.get_bind()
    for row in connection.execute(
        sa.select(
            principals.c.id,
            principals.c.positions,
            principals.c.departments,
            principals.c.legacy_grants,
        )
    ).all():
        legacy = (
            row.legacy_grants
            if isinstance(row.legacy_grants, dict)
            else json.loads(row.legacy_grants or "{}")
        )
        if legacy:
            connection.execute(
                principals.update()
                .where(principals.c.id == row.id)
                .values(
                    positions=_list(row.positions) + _list(legacy.get("positions")),
                    departments=_list(row.departments) + _list(legacy.get("departments")),
                )
            )
    with op.batch_alter_table("principals") as batch:
        batch.drop_column("legacy_grants")
        batch.drop_column("vendor_users")
