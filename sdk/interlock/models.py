"""Neutral data models: strict, frozen, vendor-free.

Every model forbids unknown fields and every datetime is timezone-aware UTC. Vendor payloads
are parsed by each adapter's own tolerant models and mapped to these at the adapter boundary.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    model_validator,
)

__all__ = [
    "SYSTEM_REASON_CODES",
    "Candidate",
    "FilterField",
    "OperationOutcome",
    "OperationResult",
    "Position",
    "Reason",
    "ReasonCode",
    "Session",
    "SessionFilter",
    "SessionPage",
    "SessionRef",
    "SessionState",
    "UtcDatetime",
    "Verb",
    "utc_now",
]

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}"
_NAME_RE = re.compile(rf"^accounts/(?P<account>{_SEGMENT})/sessions/(?P<id>{_SEGMENT})$")
ACCOUNT_NAME_PATTERN = rf"^{_SEGMENT}$"


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (naive datetimes are ambiguous)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]
"""A timezone-aware datetime, normalised to UTC."""


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class SessionState(StrEnum):
    """Neutral interview-session states. ``unknown`` is a vendor state we do not map."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    REVOKED = "revoked"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATES


_FINAL_STATES = frozenset(
    {SessionState.COMPLETED, SessionState.TERMINATED, SessionState.REVOKED, SessionState.EXPIRED}
)


class Verb(StrEnum):
    """The four verbs an adapter carries out (undo is the gateway's, built on these)."""

    PAUSE = "pause"
    RESUME = "resume"
    TERMINATE = "terminate"
    REVOKE = "revoke"


class ReasonCode(StrEnum):
    """Why an operation was requested; feeds statistics and the audit trail."""

    OPERATOR_ERROR = "operator_error"
    CANDIDATE_NETWORK = "candidate_network"
    CANDIDATE_DEVICE = "candidate_device"
    CANDIDATE_EMERGENCY = "candidate_emergency"
    PROCESS_CHANGE = "process_change"
    SYSTEM_FAULT = "system_fault"
    PAUSE_EXPIRED = "pause_expired"
    OTHER = "other"


SYSTEM_REASON_CODES = frozenset({ReasonCode.PAUSE_EXPIRED})
"""Reasons only the system gives (the gateway refuses them from clients)."""


class Reason(_Strict):
    """A reason code and an optional note (the note is required for ``other``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    code: ReasonCode
    note: Annotated[str, Field(min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _note_required_for_other(self) -> Self:
        if self.code is ReasonCode.OTHER and not (self.note and self.note.strip()):
            raise ValueError("reason code 'other' needs a note saying what happened")
        return self


class SessionRef(_Strict):
    """Names one session: ``accounts/{account}/sessions/{id}``."""

    account: Annotated[str, Field(pattern=ACCOUNT_NAME_PATTERN)]
    session_id: Annotated[str, Field(pattern=ACCOUNT_NAME_PATTERN)]

    @property
    def name(self) -> str:
        return f"accounts/{self.account}/sessions/{self.session_id}"

    @classmethod
    def parse(cls, name: str) -> SessionRef:
        """Parse a session name; raises ``ValueError`` naming the expected shape."""
        match = _NAME_RE.fullmatch(name)  # not match: "$" would accept a trailing newline
        if match is None:
            raise ValueError(
                f"{name!r} is not a session name; expected 'accounts/ACCOUNT/sessions/ID' "
                "with URL-safe segments"
            )
        return cls(account=match["account"], session_id=match["id"])

    def __str__(self) -> str:
        return self.name


class Candidate(_Strict):
    """The candidate, pseudonymous: the vendor id plus masked name and phone only."""

    id: str
    masked_name: str
    masked_phone: str | None = None


class Position(_Strict):
    """The position the interview is for, as the vendor reports it (ownership comes from here)."""

    id: str
    title: str
    level: str | None = None
    department: str | None = None
    owner_ids: tuple[str, ...] = ()


class Session(_Strict):
    """One candidate's AI interview on one vendor."""

    ref: SessionRef
    state: SessionState
    vendor_state: str = Field(description="The vendor's own state value, for diagnosis only")
    candidate: Candidate
    position: Position
    batch_no: str | None = None
    scheduled_at: UtcDatetime | None = None
    started_at: UtcDatetime | None = None
    progress: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    resume_deadline: UtcDatetime | None = None
    vendor_data: dict[str, JsonValue] = Field(
        default_factory=dict, description="Unstable vendor extras; the gateway never reads them"
    )


class FilterField(StrEnum):
    """Filters an adapter may evaluate on the vendor side (declared in its capabilities)."""

    STATE = "state"
    CANDIDATE = "candidate"
    POSITION = "position"
    BATCH_NO = "batch_no"
    START_FROM = "start_from"
    START_TO = "start_to"


class SessionFilter(_Strict):
    """What to list. Every field narrows; empty means everything the account can see."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    states: frozenset[SessionState] = frozenset()
    candidate: str | None = Field(
        default=None, description="candidate id, or part of the masked name"
    )
    position: str | None = Field(default=None, description="position id")
    batch_no: str | None = None
    start_from: UtcDatetime | None = None
    start_to: UtcDatetime | None = None

    def active_fields(self) -> frozenset[FilterField]:
        fields = {
            FilterField.STATE: bool(self.states),
            FilterField.CANDIDATE: self.candidate is not None,
            FilterField.POSITION: self.position is not None,
            FilterField.BATCH_NO: self.batch_no is not None,
            FilterField.START_FROM: self.start_from is not None,
            FilterField.START_TO: self.start_to is not None,
        }
        return frozenset(f for f, on in fields.items() if on)

    def matches(self, session: Session) -> bool:
        """The reference semantics of every filter (adapters filtering client-side use this)."""
        start = session.scheduled_at
        checks = (
            not self.states or session.state in self.states,
            self.candidate is None
            or self.candidate == session.candidate.id
            or self.candidate in session.candidate.masked_name,
            self.position is None or self.position == session.position.id,
            self.batch_no is None or self.batch_no == session.batch_no,
            self.start_from is None or (start is not None and start >= self.start_from),
            self.start_to is None or (start is not None and start < self.start_to),
        )
        return all(checks)


class SessionPage(_Strict):
    """One page of sessions and the opaque token of the next page (``None`` on the last)."""

    sessions: tuple[Session, ...]
    next_page_token: str | None = None


class OperationOutcome(StrEnum):
    """How an operation ended (or where it stands)."""

    APPLIED = "applied"
    ALREADY_IN_STATE = "already_in_state"
    GRACE = "grace"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"
    UNDONE = "undone"
    COMMITTED = "committed"


class OperationResult(_Strict):
    """The result of one verb on one session (also one item of a batch)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    ref: SessionRef
    verb: Verb | Literal["restore"]
    outcome: OperationOutcome
    state_before: SessionState | None = None
    state_after: SessionState | None = None
    idempotency_key: str | None = None
    vendor_request_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    confirmed_by_read_back: bool = False
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in (OperationOutcome.APPLIED, OperationOutcome.ALREADY_IN_STATE)
