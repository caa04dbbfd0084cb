"""Initial schema: principals, keys, operations, batches, approvals, idempotency, audit, quotas.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Self-contained on purpose: it must create the same schema forever, so it does not import the
current models (``tests/gateway/store/test_migrations.py`` checks that the two agree).
The audit tables get append-only triggers: SQLite ``RAISE(ABORT)`` on UPDATE/DELETE, and on
PostgreSQL a trigger function that raises on UPDATE, DELETE and (statement level) TRUNCATE.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
APPEND_ONLY = ("audit_records", "audit_checkpoints")
APPEND_ONLY_MESSAGE = "audit trail is append-only"

ROLES = ("specialist", "manager", "admin", "auditor")
VERBS = ("pause", "resume", "terminate", "revoke", "undo")
OPERATION_STATUSES = (
    "pending", "in_flight", "grace", "awaiting_approval", "succeeded",
    "failed", "undone", "committed", "rejected", "cancelled",
)  # fmt: skip
BATCH_STATUSES = ("pending", "awaiting_approval", "running", "completed", "cancelled", "rejected")
APPROVAL_STATES = ("pending", "approved", "rejected", "expired")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    return sa.Column(name, json_type, nullable=nullable)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _bigint() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _create_principals() -> None:
    op.create_table(
        "principals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _str("name", 100),
        _str("role", 16),
        _json("positions"),
        _json("departments"),
        _str("tenant", 100),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        sa.CheckConstraint(_in("role", ROLES), name=op.f("ck_principals_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principals")),
        sa.UniqueConstraint("name", name=op.f("uq_principals_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        _str("prefix", 16),
        _str("secret_hash", 64),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["principals.id"], name=op.f("fk_api_keys_principal_id_principals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_principal_id"), "api_keys", ["principal_id"])


def _create_batches() -> None:
    op.create_table(
        "batches",
        _str("id", 36),
        _str("action", 16),
        _str("reason_code", 32),
        sa.Column("reason_note", sa.Text(), nullable=True),
        _str("actor", 100),
        _str("status", 24),
        sa.Column("item_count", sa.Integer(), nullable=False),
        _json("counts"),
        _str("confirm_token_hash", 64, nullable=True),
        _json("filter", nullable=True),
        _str("request_hash", 64, nullable=True),
        _str("idempotency_key", 255, nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("finished_at", nullable=True),
        sa.CheckConstraint(_in("action", VERBS), name=op.f("ck_batches_action")),
        sa.CheckConstraint(_in("status", BATCH_STATUSES), name=op.f("ck_batches_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index(op.f("ix_batches_actor"), "batches", ["actor"])
    op.create_index(op.f("ix_batches_status_created_at"), "batches", ["status", "created_at"])


def _create_operations() -> None:
    op.create_table(
        "operations",
        _str("id", 36),
        _str("kind", 16),
        _str("batch_id", 36, nullable=True),
        sa.Column("item_index", sa.Integer(), nullable=True),
        _str("account", 100),
        _str("vendor", 64, nullable=True),
        _str("session_id", 200),
        _str("position_id", 200, nullable=True),
        _str("verb", 16),
        _str("reason_code", 32, nullable=True),
        sa.Column("reason_note", sa.Text(), nullable=True),
        _str("actor", 100),
        _str("status", 24),
        _str("outcome", 24, nullable=True),
        _str("state_before", 16, nullable=True),
        _str("state_after", 16, nullable=True),
        _ts("commit_at", nullable=True),
        _ts("resume_deadline", nullable=True),
        _str("undo_of", 36, nullable=True),
        _str("idempotency_key", 255, nullable=True),
        _str("request_hash", 64, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _str("lease_owner", 100, nullable=True),
        _ts("lease_until", nullable=True),
        _ts("next_attempt_at", nullable=True),
        _str("vendor_request_id", 200, nullable=True),
        _str("error_code", 64, nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        _json("details"),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint(
            "(kind = 'batch_item') = (batch_id IS NOT NULL)",
            name=op.f("ck_operations_batch_item_has_batch"),
        ),
        sa.CheckConstraint(_in("kind", ("single", "batch_item")), name=op.f("ck_operations_kind")),
        sa.CheckConstraint(_in("status", OPERATION_STATUSES), name=op.f("ck_operations_status")),
        sa.CheckConstraint(_in("verb", VERBS), name=op.f("ck_operations_verb")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_operations_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["undo_of"], ["operations.id"], name=op.f("fk_operations_undo_of_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    for columns in (
        ["account", "session_id", "created_at"],
        ["actor"],
        ["batch_id", "item_index"],
        ["created_at"],
        ["status", "commit_at"],
        ["status", "lease_until"],
        ["status", "next_attempt_at"],
    ):
        op.create_index(op.f(f"ix_operations_{'_'.join(columns)}"), "operations", columns)


def _create_approvals_and_idempotency() -> None:
    op.create_table(
        "approvals",
        _str("id", 36),
        _str("operation_id", 36, nullable=True),
        _str("batch_id", 36, nullable=True),
        _str("request_hash", 64),
        _str("requester", 100),
        _str("approver", 100, nullable=True),
        _str("state", 16),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("decided_at", nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("state", APPROVAL_STATES), name=op.f("ck_approvals_state")),
        sa.CheckConstraint(
            "(operation_id IS NULL) != (batch_id IS NULL)", name=op.f("ck_approvals_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_approvals_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_approvals_operation_id_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    op.create_index(op.f("ix_approvals_batch_id"), "approvals", ["batch_id"])
    op.create_index(op.f("ix_approvals_operation_id"), "approvals", ["operation_id"])
    op.create_index(op.f("ix_approvals_state_expires_at"), "approvals", ["state", "expires_at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        _str("key", 255),
        _str("request_hash", 64),
        _str("status", 16),
        sa.Column("response_status", sa.Integer(), nullable=True),
        _json("response_body", nullable=True),
        _ts("created_at"),
        _ts("expires_at"),
        sa.CheckConstraint(
            _in("status", ("in_progress", "done")), name=op.f("ck_idempotency_keys_status")
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_idempotency_keys_principal_id_principals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "principal_id", "key", name=op.f("uq_idempotency_keys_principal_id_key")
        ),
    )
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"])


def _create_audit() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", _bigint(), autoincrement=False, nullable=False),
        _ts("created_at"),
        _str("actor", 100, nullable=True),
        _str("action", 64),
        _str("account", 100, nullable=True),
        _str("session_id", 200, nullable=True),
        _str("outcome", 32, nullable=True),
        _str("operation_id", 36, nullable=True),
        _str("batch_id", 36, nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        _str("prev_hash", 64),
        _str("hash", 64),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_records")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_records_hash")),
    )
    for columns in (
        ["account", "session_id", "seq"],
        ["action", "seq"],
        ["actor", "seq"],
        ["batch_id"],
        ["created_at"],
        ["operation_id"],
        ["outcome", "seq"],
    ):
        op.create_index(op.f(f"ix_audit_records_{'_'.join(columns)}"), "audit_records", columns)
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", _bigint(), autoincrement=False, nullable=False),
        _str("hash", 64),
        _str("signature", 128),
        _str("key_id", 64),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", _bigint(), nullable=False),
        _str("last_hash", 64),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}])


def _create_coordination() -> None:
    op.create_table(
        "vendor_quota",
        _str("account", 100),
        _str("api", 64),
        _ts("window_start"),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account", "api", "window_start", name=op.f("pk_vendor_quota")),
    )
    op.create_table(
        "replicas",
        _str("id", 100),
        _str("hostname", 255),
        sa.Column("pid", sa.Integer(), nullable=False),
        _ts("started_at"),
        _ts("heartbeat_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replicas")),
    )
    op.create_index(op.f("ix_replicas_heartbeat_at"), "replicas", ["heartbeat_at"])
    op.create_table(
        "leases",
        _str("name", 100),
        _str("owner", 100),
        _ts("lease_until"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION interlock_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION interlock_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION interlock_append_only()"
            )
        return
    for table in APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def upgrade() -> None:
    """Create every table, seed the audit head, install the append-only triggers."""
    _create_principals()
    _create_batches()
    _create_operations()
    _create_approvals_and_idempotency()
    _create_audit()
    _create_coordination()
    _create_append_only_triggers()


def downgrade() -> None:
    """Drop everything (only for development databases: it destroys the audit trail)."""
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS interlock_append_only()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    for table in (
        "leases", "replicas", "vendor_quota", "audit_head", "audit_checkpoints",
        "audit_records", "idempotency_keys", "approvals", "operations", "batches",
        "api_keys", "principals",
    ):  # fmt: skip
        op.drop_table(table)
