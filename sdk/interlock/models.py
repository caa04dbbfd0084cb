"""Neutral data models: strict, frozen, vendor-free.

Every model forbids unknown fields and every datetime is timezone-aware UTC. Vendor payloads
are parsed by each adapter's own tolerant models and mapped to these at the adapter boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
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

from interlock.timespan import BoundText, resolve_bound, zone_named

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
    "candidate_matches",
    "position_matches",
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
    """The candidate, pseudonymous: the vendor id plus masked name and phone only.

    ``full_name`` is the vendor's unmasked name, held in memory so that a recruiter can search
    by the name they know (``SessionFilter(candidate="张伟")``). It never leaves the process:
    it is excluded from ``model_dump``/JSON and from ``repr``, and validation errors do not
    echo inputs. Read it only to compare (:meth:`SessionFilter.matches` does).
    """

    # hide_input_in_errors: a ValidationError would otherwise quote the raw name.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, hide_input_in_errors=True)

    id: str
    masked_name: str
    masked_phone: str | None = None
    full_name: str | None = Field(default=None, exclude=True, repr=False)


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
        default=None,
        description="candidate id (exact), part of the masked name, or the full name (exact, "
        "ignoring case and spaces)",
    )
    position: str | None = Field(
        default=None, description="position id (exact), or its whole title ignoring case"
    )
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
            self.candidate is None or candidate_matches(self.candidate, session.candidate),
            self.position is None or position_matches(self.position, session.position),
            self.batch_no is None or self.batch_no == session.batch_no,
            self.start_from is None or (start is not None and start >= self.start_from),
            self.start_to is None or (start is not None and start < self.start_to),
        )
        return all(checks)

    @classmethod
    def search(
        cls,
        *,
        states: Iterable[SessionState | str] = (),
        candidate: str | None = None,
        position: str | None = None,
        batch_no: str | None = None,
        start_from: BoundText | None = None,
        start_to: BoundText | None = None,
        tz: str | tzinfo | None = None,
    ) -> SessionFilter:
        """A filter from what a person typed: bounds may be dates, naive or aware datetimes,
        or ISO 8601 text, read in ``tz`` (an IANA name or a tzinfo; default UTC). A date alone
        is the whole day (see :mod:`interlock.timespan`).

        :raises ValueError: an unknown zone, or a bound that is not a date or time.
        """
        zone = zone_named(tz) if isinstance(tz, str) else (tz or UTC)
        return cls(
            states=frozenset(SessionState(s) for s in states),
            candidate=candidate,
            position=position,
            batch_no=batch_no,
            start_from=None if start_from is None else resolve_bound(start_from, zone, "from"),
            start_to=None if start_to is None else resolve_bound(start_to, zone, "to"),
        )


def _folded(text: str) -> str:
    """Text as a person would compare it: NFKC (full-width → ASCII), case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _without_spaces(text: str) -> str:
    return "".join(_folded(text).split())


def candidate_matches(text: str, candidate: Candidate) -> bool:
    """The candidate filter: the id exactly, part of the masked name, or the whole full name.

    The full name must match whole (ignoring case and every space: ``张 伟`` = ``张伟``,
    ``li wei`` = ``Li Wei``): a part of it would let anyone who may list sessions recover
    hidden names one character at a time.
    """
    if text == candidate.id or text in candidate.masked_name:
        return True
    wanted = _without_spaces(text)
    return (
        bool(wanted)
        and candidate.full_name is not None
        and (wanted == _without_spaces(candidate.full_name))
    )


def position_matches(text: str, position: Position) -> bool:
    """The position filter: the id exactly, or the whole title ignoring case and runs of
    spaces (``backend  engineer`` finds ``Backend Engineer``; ``engineer`` does not: a
    filter also selects what a batch acts on, and a part of a title reaches too far)."""
    if text == position.id:
        return True
    return " ".join(_folded(text).split()) == " ".join(_folded(position.title).split())


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
