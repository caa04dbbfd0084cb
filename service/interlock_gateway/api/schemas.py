"""Request and response bodies of API v1. Requests forbid unknown fields (422 problem)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interlock.models import SYSTEM_REASON_CODES, Reason, ReasonCode, SessionState

from .fields import FreeText

__all__ = [
    "ApprovalOut",
    "ApprovalPage",
    "ClientReason",
    "ClientReasonCode",
    "DecisionRequest",
    "MyOperationsOut",
    "NotificationOut",
    "OperationOut",
    "PendingStopOut",
    "SessionOut",
    "SessionPageOut",
    "UndoRequest",
    "VerbRequest",
]

Note = FreeText


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClientReasonCode(StrEnum):
    """Reason codes a client may give. The system's own (``pause_expired``) are not among
    them: only the gateway's scheduler gives those."""

    OPERATOR_ERROR = ReasonCode.OPERATOR_ERROR.value
    CANDIDATE_NETWORK = ReasonCode.CANDIDATE_NETWORK.value
    CANDIDATE_DEVICE = ReasonCode.CANDIDATE_DEVICE.value
    CANDIDATE_EMERGENCY = ReasonCode.CANDIDATE_EMERGENCY.value
    PROCESS_CHANGE = ReasonCode.PROCESS_CHANGE.value
    SYSTEM_FAULT = ReasonCode.SYSTEM_FAULT.value
    OTHER = ReasonCode.OTHER.value


_ALLOWED = ", ".join(code.value for code in ClientReasonCode)


# What JSON Schema can say of the rule enforced by ``_note_for_other``: code ``other`` needs a
# note with something besides white space. Schemathesis generates from it in both directions.
_NOTE_FOR_OTHER: dict[str, Any] = {
    "if": {"properties": {"code": {"const": ClientReasonCode.OTHER.value}}, "required": ["code"]},
    "then": {
        "required": ["note"],
        "properties": {"note": {"type": "string", "pattern": "\\S"}},
    },
    "examples": [
        {"code": "candidate_network", "note": "candidate lost connection twice"},
        {"code": "other", "note": "the interview room was double-booked"},
    ],
}


class ClientReason(_Request):
    """Why: a reason code and a note. The note is required (not blank) when the code is
    ``other``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_NOTE_FOR_OTHER)

    code: ClientReasonCode = Field(description=f"one of: {_ALLOWED}")
    note: Note | None = Field(
        default=None,
        description="free text (≤ 500 characters, no control characters); required and not "
        "blank when code is 'other'",
    )

    @field_validator("code", mode="before")
    @classmethod
    def _not_a_system_reason(cls, value: Any) -> Any:
        if value in {code.value for code in SYSTEM_REASON_CODES}:
            raise ValueError(
                f"{value!r} is a reason only the system gives; allowed codes: {_ALLOWED}"
            )
        return value

    @model_validator(mode="after")
    def _note_for_other(self) -> Self:
        if self.code is ClientReasonCode.OTHER and not (self.note and self.note.strip()):
            raise ValueError("reason code 'other' needs a note saying what happened")
        return self

    def to_reason(self) -> Reason:
        """The SDK's reason."""
        return Reason(code=ReasonCode(self.code.value), note=self.note)


class VerbRequest(_Request):
    """Body of pause, resume, terminate and revoke."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {"reason": {"code": "candidate_network", "note": "candidate lost connection"}},
                {"reason": {"code": "other", "note": "the interview room was double-booked"}},
            ]
        },
    )

    reason: ClientReason = Field(
        description="why: a code and an optional note (required for 'other')",
    )


class UndoRequest(_Request):
    """Body of undo: a note saying what went wrong (the reason code is ``operator_error``)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"note": "terminated the wrong candidate"}]},
    )

    note: Note | None = Field(default=None, description="what went wrong (≤ 500 characters)")


class DecisionRequest(_Request):
    """Body of approve and reject."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"note": "confirmed with the hiring manager"}]},
    )

    note: Note | None = Field(
        default=None, description="why, for the requester and the audit trail (≤ 500 characters)"
    )


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


class PendingStopOut(_Response):
    """A terminate or revoke on its way to the vendor: the undo window in every view."""

    verb: str = Field(examples=["terminate"])
    operation: str = Field(description="the stop's operation id")
    status: str = Field(
        description="pending or in_flight (being held or committed), grace (held, undo "
        "possible until commit_at), awaiting_approval"
    )
    commit_at: datetime | None = Field(description="when it becomes final at the vendor")
    undo: str | None = Field(description="POST here to undo it (while status is grace)")
    requested_by: str


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
    pending: PendingStopOut | None = Field(
        default=None, description="a stop of this session that is not final yet"
    )


class SessionPageOut(_Response):
    """One page of sessions the caller may see; pass ``next_page_token`` for the next."""

    sessions: list[SessionOut]
    next_page_token: str | None = None


class ErrorOut(_Response):
    """Why an operation failed: the machine code and message (with the vendor request id)."""

    code: str
    message: str | None = None


class NoticeOut(_Response):
    """Something that happened to the operation that its requester must know."""

    kind: str = Field(examples=["rehold"], description="resumed_at_vendor, rehold, contested")
    at: datetime
    text: str


class ApprovalRef(_Response):
    """The approval an operation waits for."""

    id: str
    state: str
    expires_at: datetime


class NotificationOut(_Response):
    """One notification about an operation: where its delivery stands (recipient masked)."""

    id: str
    event: str
    channel: str
    audience: str
    recipient: str = Field(description="masked: s***@example.com")
    status: str = Field(description="pending, sending, delivered, failed")
    attempts: int
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


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
    notices: list[NoticeOut] = Field(default_factory=list)
    notifications: list[NotificationOut] = Field(
        default_factory=list,
        description="notifications about it and their delivery (GET /v1/operations/{id} only)",
    )
    resume_link: str | None = Field(
        default=None,
        description="a pause's active resume link for the candidate (GET /v1/operations/{id})",
    )
    attempts: int = Field(description="runs of the current phase (each one vendor call)")
    created_at: datetime
    updated_at: datetime


class MyOperationsOut(_Response):
    """The caller's own recent operations, newest first."""

    operations: list[OperationOut]


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
