"""Pure functions between Beisen's shapes and Interlock's neutral models.

Beisen writes local wall-clock times without a zone; the account's configured time zone is the
only thing that gives them meaning, so every conversion here takes it explicitly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from interlock.models import Candidate, Position, Session, SessionRef, SessionState, Verb
from interlock.privacy import mask_name, mask_phone
from interlock_beisen._models import Interview

__all__ = [
    "CONTROL_API",
    "LOCAL_FORMAT",
    "STATE_TABLE",
    "VENDOR_STATUS_OF",
    "from_local",
    "to_local_text",
    "to_session",
    "to_state",
]

LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"

STATE_TABLE: dict[str, SessionState] = {
    "NotStarted": SessionState.SCHEDULED,
    "InProgress": SessionState.IN_PROGRESS,
    "Suspended": SessionState.PAUSED,
    "Completed": SessionState.COMPLETED,
    "Terminated": SessionState.TERMINATED,
    "Cancelled": SessionState.REVOKED,
    "Expired": SessionState.EXPIRED,
}
"""Beisen ``interviewStatus`` → neutral state; anything else is ``unknown``, never a guess."""

VENDOR_STATUS_OF = {state: status for status, state in STATE_TABLE.items()}

CONTROL_API: dict[Verb, str] = {
    Verb.PAUSE: "SuspendAIInterview",
    Verb.RESUME: "ResumeAIInterview",
    Verb.TERMINATE: "TerminateAIInterview",
}
"""The Beisen-style interview-control endpoint of each verb (revoke is ``CancelInterview``)."""


def to_state(status: str) -> SessionState:
    return STATE_TABLE.get(status, SessionState.UNKNOWN)


def from_local(value: datetime | None, zone: tzinfo) -> datetime | None:
    """A naive Beisen local time → aware UTC, read in ``zone`` (DST gaps: the earlier reading)."""
    if value is None:
        return None
    return value.replace(tzinfo=zone).astimezone(UTC)


def to_local_text(value: datetime, zone: tzinfo, *, round_up: bool) -> str:
    """An aware time → Beisen's ``yyyy-MM-ddTHH:mm:ss`` in ``zone``.

    Beisen's times have whole seconds: ``round_up`` rounds a fraction up instead of down, so
    that a range ``[from, to)`` sent to Beisen never loses a boundary instant.
    """
    local = value.astimezone(zone)
    if round_up and local.microsecond:
        local += timedelta(seconds=1)
    return local.strftime(LOCAL_FORMAT)  # whole seconds, no zone: the format has neither


def to_session(account: str, raw: Interview, zone: tzinfo) -> Session:
    """One Beisen interview as a neutral session: PII masked, times in UTC."""
    progress = None if raw.completion_rate is None else raw.completion_rate / 100
    return Session(
        ref=SessionRef(account=account, session_id=raw.interview_id),
        state=to_state(raw.interview_status),
        vendor_state=raw.interview_status,
        candidate=Candidate(
            id=raw.applicant_id,
            masked_name=mask_name(raw.applicant_name),
            full_name=raw.applicant_name or None,  # in memory only: for search (see Candidate)
            masked_phone=mask_phone(raw.applicant_mobile) if raw.applicant_mobile else None,
        ),
        position=Position(
            id=raw.job_id,
            title=raw.job_name,
            level=raw.job_level,
            department=raw.org_name,
            owner_ids=tuple(raw.job_duty_user_ids),
        ),
        batch_no=raw.arrange_batch_no,
        scheduled_at=from_local(raw.interview_time, zone),
        started_at=from_local(raw.actual_start_time, zone),
        progress=progress,
        resume_deadline=from_local(raw.resume_deadline, zone),
        vendor_data={
            "applyId": raw.apply_id,
            "interviewType": raw.interview_type,
            "modifiedTime": raw.modified_time.strftime(LOCAL_FORMAT) if raw.modified_time else None,
        },
    )
