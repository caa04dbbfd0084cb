"""Request and response bodies of API v1. Requests forbid unknown fields (422 problem)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from interlock.models import Reason, SessionState

__all__ = [
    "ApprovalOut",
    "ApprovalPage",
    "DecisionRequest",
    "OperationOut",
    "SessionOut",
    "SessionPageOut",
    "UndoRequest",
    "VerbRequest",
]

Note = Annotated[str, Field(min_length=1, max_length=500)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VerbRequest(_Request):
    """Body of pause, resume, terminate and revoke."""

    reason: Reason = Field(
        description="why: a code and an optional note (required for 'other')",
        examples=[{"code": "candidate_network", "note": "candidate lost connection twice"}],
    )


class UndoRequest(_Request):
    """Body of undo: a note saying what went wrong (the reason code is ``operator_error``)."""

    note: Note | None = None


class DecisionRequest(_Request):
    """Body of approve and reject."""

    note: Note | None = None


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CandidateOut(_Response):
    """Pseudonymous candidate: vendor id plus masked name and phone."""

    id: str
    masked_name: str
    masked_phone: str | None = None


class PositionOut(_Response):
    """The position as the vendor reports it."""

    id: str
    title: str
    level: str | None = None
    department: str | None = None


class SessionOut(_Response):
    """One interview session (the vendor's unstable extras are not exposed)."""

    name: str = Field(examples=["accounts/dingtalk-hq/sessions/8812"])
    account: str
    id: str
    vendor: str
    state: SessionState
    vendor_state: str
    candidate: CandidateOut
    position: PositionOut
    batch_no: str | None = None
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    progress: float | None = None
    resume_deadline: datetime | None = None


class SessionPageOut(_Response):
    """One page of sessions the caller may see; pass ``next_page_token`` for the next."""

    sessions: list[SessionOut]
    next_page_token: str | None = None


class ErrorOut(_Response):
    """Why an operation failed: the machine code and message (with the vendor request id)."""

    code: str
    message: str | None = None


class ApprovalRef(_Response):
    """The approval an operation waits for."""

    id: str
    state: str
    expires_at: datetime


class OperationOut(_Response):
    """One operation: what was asked, where it stands, and what happened."""

    id: str
    kind: str
    verb: str
    session: str = Field(description="the session's name")
    account: str
    session_id: str
    status: str = Field(description="worker life cycle: pending, in_flight, grace, ...")
    outcome: str | None = Field(description="applied, already_in_state, grace, ... (DESIGN §4)")
    reason: Reason | None = None
    actor: str
    state_before: str | None = None
    state_after: str | None = None
    commit_at: datetime | None = Field(default=None, description="end of the undo window")
    resume_deadline: datetime | None = None
    undo_of: str | None = None
    batch_id: str | None = None
    approval: ApprovalRef | None = None
    vendor_request_id: str | None = None
    error: ErrorOut | None = None
    attempts: int
    created_at: datetime
    updated_at: datetime


class ApprovalOut(_Response):
    """A maker-checker approval and the operation it gates."""

    id: str
    state: str
    requester: str
    approver: str | None = None
    note: str | None = None
    request_hash: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    operation: OperationOut | None = None
    batch_id: str | None = None


class ApprovalPage(_Response):
    """One page of approvals."""

    approvals: list[ApprovalOut]
    next_page_token: str | None = None


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict of a response model."""
    return model.model_dump(mode="json")
