"""Pure functions between DingTalk's shapes and Interlock's neutral models.

Times: DingTalk sends epoch milliseconds (unambiguous, converted to aware UTC). The one place it
shows a local calendar day — an AI interview's ``interviewDate`` (``yyyy-MM-dd`` as the console
shows it) — is read in the account's time zone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from pydantic import JsonValue

from interlock.models import (
    Candidate,
    FilterField,
    Position,
    Session,
    SessionFilter,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.privacy import mask_name, mask_phone
from interlock_dingtalk._models import VendorJob, VendorSession

__all__ = [
    "ACTION_OF",
    "SERVER_SIDE_FILTERS",
    "STATE_TABLE",
    "VENDOR_STATUS_OF",
    "from_millis",
    "query_body",
    "to_millis_ceil",
    "to_position",
    "to_session",
    "to_state",
]

STATE_TABLE: dict[str, SessionState] = {
    "NOT_STARTED": SessionState.SCHEDULED,
    "IN_PROGRESS": SessionState.IN_PROGRESS,
    "PAUSED": SessionState.PAUSED,
    "FINISHED": SessionState.COMPLETED,
    "TERMINATED": SessionState.TERMINATED,
    "CANCELLED": SessionState.REVOKED,
    "EXPIRED": SessionState.EXPIRED,
}
VENDOR_STATUS_OF = {state: status for status, state in STATE_TABLE.items()}

ACTION_OF: dict[Verb, str] = {
    Verb.PAUSE: "pause",
    Verb.RESUME: "resume",
    Verb.TERMINATE: "terminate",
    Verb.REVOKE: "cancel",  # DingTalk's word for withdrawing an interview (``cancelled``)
}

SERVER_SIDE_FILTERS = frozenset(
    {
        FilterField.STATE,
        FilterField.BATCH_NO,
        FilterField.START_FROM,
        FilterField.START_TO,
    }
)
"""Evaluated by the sessions query exactly like ``SessionFilter.matches``. ``candidate`` is not:
it also matches part of the *masked* name, which only exists on our side; nor is ``position``:
it also matches the title, and the query's ``jobId`` takes an id only."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_state(status: str | None) -> SessionState:
    """A vendor status we do not know is ``unknown`` — never a guess."""
    return STATE_TABLE.get(status or "", SessionState.UNKNOWN)


def from_millis(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


def to_millis_ceil(value: datetime) -> int:
    """Epoch ms rounded up, so ``ms >= result`` ⇔ ``time >= value`` for ms-precision times."""
    micros = (value - _EPOCH) // timedelta(microseconds=1)
    return math.ceil(micros / 1000)


def scheduled_at(raw: VendorSession, timezone: tzinfo) -> datetime | None:
    """The scheduled start: ``startTimeMillis``, else the start of the local ``interviewDate``."""
    if raw.start_time_millis is not None:
        return from_millis(raw.start_time_millis)
    if raw.interview_date is not None:
        local = datetime.combine(raw.interview_date, time.min, tzinfo=timezone)
        return local.astimezone(UTC)
    return None


def to_position(raw: VendorSession, job: VendorJob | None) -> Position:
    """The position, with ownership and department from ``jobs/{jobId}/info``.

    Without job info (the job was deleted) the position has no owners, so only admins may act
    on it: ownership is never guessed.
    """
    if job is None:
        return Position(id=raw.job_id, title=raw.job_name or raw.job_id, level=raw.job_level)
    return Position(
        id=raw.job_id,
        title=job.name or raw.job_name or raw.job_id,
        level=raw.job_level,
        department=job.main_dept_name,  # the id stays in vendor_data (mainDeptId)
        owner_ids=tuple(dict.fromkeys(owner.user_id for owner in job.job_owners)),
    )


def to_session(
    account: str, raw: VendorSession, job: VendorJob | None, timezone: tzinfo
) -> Session:
    """The neutral session; names and phones leave only masked."""
    return Session(
        ref=SessionRef(account=account, session_id=raw.session_id),
        state=to_state(raw.status),
        vendor_state=raw.status,
        candidate=Candidate(
            id=raw.candidate_id,
            masked_name=mask_name(raw.candidate_name),
            full_name=raw.candidate_name or None,  # in memory only: for search (see Candidate)
            masked_phone=mask_phone(raw.candidate_phone) if raw.candidate_phone else None,
        ),
        position=to_position(raw, job),
        batch_no=raw.batch_no,
        scheduled_at=scheduled_at(raw, timezone),
        started_at=from_millis(raw.actual_start_time_millis),
        progress=None if raw.progress is None else round(raw.progress / 100, 4),
        resume_deadline=from_millis(raw.resume_deadline_millis),
        vendor_data=_vendor_data(raw, job),
    )


def _vendor_data(raw: VendorSession, job: VendorJob | None) -> dict[str, JsonValue]:
    data: dict[str, JsonValue] = {
        "interviewId": raw.interview_id,
        "interviewDate": raw.interview_date.isoformat() if raw.interview_date else None,
        "endTimeMillis": raw.end_time_millis,
        "gmtModifiedMillis": raw.gmt_modified_millis,
        "mainDeptId": job.main_dept_id if job else None,
    }
    return {k: v for k, v in data.items() if v is not None}


def query_body(session_filter: SessionFilter) -> dict[str, Any]:
    """The sessions-query body for the filters the vendor evaluates (see SERVER_SIDE_FILTERS).

    A state filter that includes ``unknown`` cannot be expressed in vendor statuses, so it is
    left to the client side entirely.
    """
    body: dict[str, Any] = {}
    states = session_filter.states
    if states and SessionState.UNKNOWN not in states:
        body["statusList"] = sorted(VENDOR_STATUS_OF[s] for s in states)
    if session_filter.batch_no is not None:
        body["batchNo"] = session_filter.batch_no
    if session_filter.start_from is not None:
        body["startTimeBeginMillis"] = to_millis_ceil(session_filter.start_from)
    if session_filter.start_to is not None:
        body["startTimeEndMillis"] = to_millis_ceil(session_filter.start_to)
    return body
