"""The gateway's tables (SQLAlchemy 2 declarative), one place for the whole schema.

The migration in ``migrations/versions`` is written to match this module exactly; a test
compares the two. Enumerated columns are plain strings guarded by CHECK constraints, so the
same schema works on SQLite and PostgreSQL and a new value needs only a migration, not a type
change. All datetimes are aware UTC (:class:`~.types.UTCDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import JSONType, UTCDateTime, utcnow

__all__ = [
    "GENESIS_HASH",
    "NOTIFICATIONS",
    "OPEN_STOP_SQL",
    "OPERATIONS",
    "ApiKey",
    "Approval",
    "ApprovalState",
    "AuditCheckpoint",
    "AuditHead",
    "AuditRecord",
    "AuditWitnessDelivery",
    "Base",
    "Batch",
    "BatchStatus",
    "ConsoleSession",
    "IdempotencyKey",
    "IdempotencyStatus",
    "ManualTask",
    "Notification",
    "NotificationStatus",
    "Operation",
    "OperationKind",
    "OperationStatus",
    "OperationVerb",
    "Principal",
    "ReadBudget",
    "ResumeLink",
    "Role",
    "TaskStatus",
    "VendorQuota",
    "operation_from_row",
]

#: ``prev_hash`` of audit record 1.
GENESIS_HASH = "0" * 64

# Stable constraint names, so migrations on SQLite (batch mode) and PostgreSQL agree.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite so an integer primary key is the rowid alias.
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Role(StrEnum):
    """What a principal may do (DESIGN §7 Roles)."""

    SPECIALIST = "specialist"
    MANAGER = "manager"
    ADMIN = "admin"
    AUDITOR = "auditor"


class OperationKind(StrEnum):
    """A stand-alone operation or one item of a batch."""

    SINGLE = "single"
    BATCH_ITEM = "batch_item"


class OperationVerb(StrEnum):
    """The SDK's four verbs plus the gateway's own ``undo``."""

    PAUSE = "pause"
    RESUME = "resume"
    TERMINATE = "terminate"
    REVOKE = "revoke"
    UNDO = "undo"


#: Operations that may hold a session: a final verb not yet done or refused. The pending-stop
#: checks (operations/pending.py) filter on exactly this text, so the partial index
#: ``ix_operations_open_stops`` serves them: a 1,000-item batch then reads the few open stops
#: of its sessions, not every operation those sessions ever had.
OPEN_STOP_SQL = (
    "verb IN ('terminate', 'revoke') "
    "AND status IN ('pending', 'in_flight', 'grace', 'awaiting_approval')"
)


class OperationStatus(StrEnum):
    """Where an operation stands in the worker's life cycle."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    GRACE = "grace"
    AWAITING_APPROVAL = "awaiting_approval"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNDONE = "undone"
    COMMITTED = "committed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class BatchStatus(StrEnum):
    """A batch's overall state; item progress lives on its operations."""

    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class ApprovalState(StrEnum):
    """Maker-checker state."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    """Withdrawn with what it gated (a batch cancelled while its approval was pending)."""


class IdempotencyStatus(StrEnum):
    """``in_progress`` answers 409 to a concurrent duplicate; ``done`` replays the response."""

    IN_PROGRESS = "in_progress"
    DONE = "done"


def _in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class Base(DeclarativeBase):
    """Declarative base with the naming convention and the portable types."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


class Principal(Base):
    """A person or tool that calls the gateway. Never deleted, only revoked.

    What a principal owns is explicit and per account: ``vendor_users`` links it to vendor
    user ids (``{account: [user id, ...]}``; a position whose vendor-reported owners include
    one of them is the principal's), ``positions`` and ``departments`` grant
    ``account/position`` and ``account/department``. ``legacy_grants`` holds grants made
    before ownership was per account (no account named): kept for the record, granting
    nothing until re-granted with an account.
    """

    __tablename__ = "principals"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    positions: Mapped[list[str]] = mapped_column(default=list)
    departments: Mapped[list[str]] = mapped_column(default=list)
    vendor_users: Mapped[dict[str, Any]] = mapped_column(default=dict)
    legacy_grants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tenant: Mapped[str] = mapped_column(String(100), default="default")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiKey(Base):
    """One API key: the public prefix identifies it, only the secret's SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Batch(Base):
    """Operations created together. Item state lives on ``operations``; counts are a cache."""

    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint(_in("action", OperationVerb), name="action"),
        CheckConstraint(_in("status", BatchStatus), name="status"),
        Index(None, "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(32))
    reason_note: Mapped[str | None] = mapped_column(Text, default=None)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(24), default=BatchStatus.PENDING.value)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    filter: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Operation(Base):
    """One requested change to one session, and the worker's queue entry for it.

    The worker claims rows by ``(status, next_attempt_at)`` (pending work and retries) and
    ``(status, commit_at)`` (grace periods that close); expired leases are found by
    ``(status, lease_until)``.
    """

    __tablename__ = "operations"
    __table_args__ = (
        CheckConstraint(_in("kind", OperationKind), name="kind"),
        CheckConstraint(_in("verb", OperationVerb), name="verb"),
        CheckConstraint(_in("status", OperationStatus), name="status"),
        CheckConstraint(
            "(kind = 'batch_item') = (batch_id IS NOT NULL)", name="batch_item_has_batch"
        ),
        Index(None, "status", "next_attempt_at"),
        Index(None, "status", "commit_at"),
        Index(None, "status", "lease_until"),
        Index(None, "batch_id", "item_index"),
        Index(None, "account", "session_id", "created_at"),
        Index(None, "created_at"),
        Index(
            "ix_operations_open_stops",
            "account",
            "session_id",
            sqlite_where=text(OPEN_STOP_SQL),
            postgresql_where=text(OPEN_STOP_SQL),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=OperationKind.SINGLE.value)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"), default=None)
    item_index: Mapped[int | None] = mapped_column(Integer, default=None)
    account: Mapped[str] = mapped_column(String(100))
    vendor: Mapped[str | None] = mapped_column(String(64), default=None)
    session_id: Mapped[str] = mapped_column(String(200))
    position_id: Mapped[str | None] = mapped_column(String(200), default=None)
    verb: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32), default=None)
    reason_note: Mapped[str | None] = mapped_column(Text, default=None)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(24), default=OperationStatus.PENDING.value)
    outcome: Mapped[str | None] = mapped_column(String(24), default=None)
    state_before: Mapped[str | None] = mapped_column(String(16), default=None)
    state_after: Mapped[str | None] = mapped_column(String(16), default=None)
    commit_at: Mapped[datetime | None] = mapped_column(default=None)
    resume_deadline: Mapped[datetime | None] = mapped_column(default=None)
    undo_of: Mapped[str | None] = mapped_column(ForeignKey("operations.id"), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    vendor_request_id: Mapped[str | None] = mapped_column(String(200), default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


OPERATIONS = cast(Table, Operation.__table__)
"""The operations table, for Core statements on the hot paths (no ORM unit of work)."""


def operation_from_row(values: dict[str, Any]) -> Operation:
    """An :class:`Operation` (transient, never added to a session) holding ``values``.

    For the copies a batch's first wave hands to the worker: the mapped constructor sets each
    attribute through the ORM's instrumentation (~25 µs a row, 600 rows per batch on the
    request path); this fills the instance's state the way the ORM's own loading does.
    """
    op: Operation = Operation.__mapper__.class_manager.new_instance()
    op.__dict__.update(values)
    return op


class Approval(Base):
    """Maker-checker approval of exactly one operation or one batch, bound to its request hash."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(_in("state", ApprovalState), name="state"),
        CheckConstraint("(operation_id IS NULL) != (batch_id IS NULL)", name="one_subject"),
        Index(None, "state", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    operation_id: Mapped[str | None] = mapped_column(
        ForeignKey("operations.id"), default=None, index=True
    )
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"), default=None, index=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    requester: Mapped[str] = mapped_column(String(100))
    approver: Mapped[str | None] = mapped_column(String(100), default=None)
    state: Mapped[str] = mapped_column(String(16), default=ApprovalState.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class IdempotencyKey(Base):
    """A principal's ``Idempotency-Key`` and the response it produced (retained 24 h)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        CheckConstraint(_in("status", IdempotencyStatus), name="status"),
        UniqueConstraint("principal_id", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=IdempotencyStatus.IN_PROGRESS.value)
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditRecord(Base):
    """One link of the hash chain. Append-only: database triggers refuse UPDATE and DELETE.

    ``record`` is the exact canonical JSON that was hashed (text, not a JSON column, so the
    database can never re-serialise it). The other columns are copies for filtering; verify
    checks that they agree with ``record``.
    """

    __tablename__ = "audit_records"
    __table_args__ = (
        Index(None, "actor", "seq"),
        Index(None, "account", "session_id", "seq"),
        Index(None, "action", "seq"),
        Index(None, "outcome", "seq"),
        Index(None, "created_at"),
        Index(None, "operation_id"),
        Index(None, "batch_id"),
    )

    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    account: Mapped[str | None] = mapped_column(String(100))
    session_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(32))
    operation_id: Mapped[str | None] = mapped_column(String(36))
    batch_id: Mapped[str | None] = mapped_column(String(36))
    record: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """An Ed25519 signature over ``(seq, hash)`` of one audit record. Append-only."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()


class AuditWitnessDelivery(Base):
    """A signed checkpoint handed to one audit witness (kept outside the database).

    Written *before* the witness is called (insert-first: of two replicas one delivers) and
    removed again if the witness refused, so the checkpoint is offered at the next round.
    """

    __tablename__ = "audit_witness_deliveries"

    witness: Mapped[str] = mapped_column(String(100), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    delivered_at: Mapped[datetime] = mapped_column()


class ReadBudget(Base):
    """Vendor reads a principal's previews and batch selections spent in one window (shared
    by every replica; a window's row only matters until the window ends)."""

    __tablename__ = "read_budgets"

    principal_id: Mapped[int] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), primary_key=True
    )
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    reads: Mapped[int] = mapped_column(Integer)


class AuditHead(Base):
    """The single row holding the chain's tip; locking it serialises appends."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInt)
    last_hash: Mapped[str] = mapped_column(String(64))


class VendorQuota(Base):
    """One call slot of a vendor API group, starting at ``window_start``, shared by all
    replicas: a replica reserves it with ``INSERT … ON CONFLICT DO NOTHING``, so each slot is
    taken once in total (``count`` is 1; see ``quota.py``)."""

    __tablename__ = "vendor_quota"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    api: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ConsoleSession(Base):
    """A console sign-in: an API key exchanged for a cookie (only the cookie's SHA-256 is
    kept). Stored here, not in memory, so any replica serves the next request."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(16))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationStatus(StrEnum):
    """An outbox row: waiting (or waiting to retry), claimed by a sender, delivered, given up."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Notification(Base):
    """One notification in the outbox: written in the transaction of what it reports, then
    delivered by a worker under a lease (``status='sending'``), retried with backoff.

    ``recipient`` is the channel address, needed to deliver; every view and audit record shows
    ``recipient_masked``. ``payload`` is the template context (no personal data beyond the
    masked candidate name).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("status", NotificationStatus), name="status"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "status", "lease_until"),
        Index(None, "operation_id"),
        Index(None, "batch_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event: Mapped[str] = mapped_column(String(48))
    audience: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_masked: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8))
    operation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    batch_id: Mapped[str | None] = mapped_column(String(36), default=None)
    account: Mapped[str | None] = mapped_column(String(100), default=None)
    session_id: Mapped[str | None] = mapped_column(String(200), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    provider_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


NOTIFICATIONS = cast(Table, Notification.__table__)
"""The outbox table, for Core inserts in finishing transactions."""


class ResumeLink(Base):
    """A candidate's single-use, revocable link to continue a paused interview.

    The token is ``<id>.<HMAC>``; only the id is stored, so the table alone cannot forge a
    link. ``state`` is ``active``, ``used`` or ``revoked``; expiry is ``expires_at`` (the
    pause's resume deadline).
    """

    __tablename__ = "resume_links"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'used', 'revoked')", name="state"),
        Index(None, "account", "session_id"),
        Index(None, "operation_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    operation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    account: Mapped[str] = mapped_column(String(100))
    session_id: Mapped[str] = mapped_column(String(200))
    candidate_masked: Mapped[str | None] = mapped_column(String(100), default=None)
    candidate_id: Mapped[str | None] = mapped_column(String(200), default=None)
    owner: Mapped[str | None] = mapped_column(String(100), default=None)
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class TaskStatus(StrEnum):
    """A manual task: open until the HR user says it was done or could not be."""

    OPEN = "open"
    DONE = "done"
    FAILED = "failed"


class ManualTask(Base):
    """A verb a person must carry out in the vendor's console (capability ``manual``)."""

    __tablename__ = "manual_tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TaskStatus), name="status"),
        Index(None, "status", "due_at"),
        Index(None, "account", "session_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    vendor: Mapped[str | None] = mapped_column(String(64), default=None)
    session_id: Mapped[str] = mapped_column(String(200))
    position_id: Mapped[str | None] = mapped_column(String(200), default=None)
    verb: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32), default=None)
    instructions: Mapped[str] = mapped_column(Text)
    requester: Mapped[str] = mapped_column(String(100))
    assignee: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN.value)
    state_before: Mapped[str | None] = mapped_column(String(16), default=None)
    state_confirmed: Mapped[str | None] = mapped_column(String(16), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    due_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by: Mapped[str | None] = mapped_column(String(100), default=None)
