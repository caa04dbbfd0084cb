"""Response bodies of API v1, as the client reads them (unknown fields are kept, so a newer
gateway does not break an older client; ``tests/client`` checks these against /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Approval",
    "ApprovalPage",
    "Candidate",
    "Me",
    "Operation",
    "PendingStop",
    "Position",
    "Session",
    "SessionPage",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Candidate(_Model):
    id: str
    masked_name: str
    masked_phone: str | None = None


class Position(_Model):
    id: str
    title: str
    level: str | None = None
    department: str | None = None


class PendingStop(_Model):
    verb: str
    operation: str
    status: str
    commit_at: datetime | None = None
    undo: str | None = None
    requested_by: str


class Session(_Model):
    name: str
    account: str
    id: str
    vendor: str
    state: str
    vendor_state: str
    candidate: Candidate
    position: Position
    batch_no: str | None = None
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    progress: float | None = None
    resume_deadline: datetime | None = None
    pending: PendingStop | None = None


class SessionPage(_Model):
    sessions: list[Session]
    next_page_token: str | None = None


class OperationError(_Model):
    code: str
    message: str | None = None


class Notice(_Model):
    kind: str
    at: datetime
    text: str


class ApprovalRef(_Model):
    id: str
    state: str
    expires_at: datetime


class Operation(_Model):
    id: str
    kind: str
    verb: str
    session: str
    account: str
    session_id: str
    status: str
    outcome: str | None = None
    reason: dict[str, Any] | None = None
    actor: str
    state_before: str | None = None
    state_after: str | None = None
    commit_at: datetime | None = None
    resume_deadline: datetime | None = None
    undo_of: str | None = None
    batch_id: str | None = None
    approval: ApprovalRef | None = None
    vendor_request_id: str | None = None
    error: OperationError | None = None
    notices: list[Notice] = []
    attempts: int
    created_at: datetime
    updated_at: datetime


class Approval(_Model):
    id: str
    state: str
    requester: str
    approver: str | None = None
    note: str | None = None
    request_hash: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    operation: Operation | None = None
    batch_id: str | None = None


class ApprovalPage(_Model):
    approvals: list[Approval]
    next_page_token: str | None = None


class Me(_Model):
    """Who an API key is (``GET /v1/me``)."""

    principal: str
    role: str
    positions: list[str] = []
    departments: list[str] = []
