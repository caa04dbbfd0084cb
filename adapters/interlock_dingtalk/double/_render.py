"""How the DingTalk double writes JSON: bare objects, camelCase, epoch ms, string ids.

Raw personal data (names, phones) is written here exactly as DingTalk would send it; masking
is the adapter's job.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, tzinfo
from typing import Any

import httpx

from interlock.doubles import WorldPosition, WorldSession
from interlock.models import SessionState
from interlock_dingtalk.double._catalogue import ERROR_CATALOGUE, DingTalkError

__all__ = [
    "DEPARTMENT_IDS",
    "INTERVIEW_LENGTH",
    "VENDOR_STATUS",
    "body_of",
    "error",
    "interview_json",
    "job_json",
    "millis",
    "new_request_id",
    "ok",
    "session_json",
    "status_of",
]

VENDOR_STATUS: dict[SessionState, str] = {
    SessionState.SCHEDULED: "NOT_STARTED",
    SessionState.IN_PROGRESS: "IN_PROGRESS",
    SessionState.PAUSED: "PAUSED",
    SessionState.COMPLETED: "FINISHED",
    SessionState.TERMINATED: "TERMINATED",
    SessionState.REVOKED: "CANCELLED",
    SessionState.EXPIRED: "EXPIRED",
}
DEPARTMENT_IDS = {"rnd": 100101, "sales": 100102, "hr": 100103, "finance": 100104}
INTERVIEW_LENGTH = timedelta(minutes=30)
_OWNER_NAMES = {"hr-admin": "招聘管理员"}


def millis(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def new_request_id() -> str:
    """DingTalk's request id shape: an upper-case UUID."""
    return str(uuid.uuid4()).upper()


def status_of(session: WorldSession) -> str:
    return session.vendor_state_override or VENDOR_STATUS[session.state]


def session_json(s: WorldSession, timezone: tzinfo, *, day_only: bool = False) -> dict[str, Any]:
    """The extension's AI-interview session object (absent values are omitted, like DingTalk).

    A self-scheduled interview (``day_only``) has no start time yet: DingTalk holds only its
    local day, ``interviewDate``."""
    timed = not day_only
    data: dict[str, Any] = {
        "sessionId": s.id,
        "interviewId": s.id,
        "bizCode": "ddats",
        "status": status_of(s),
        "candidateId": s.candidate_id,
        "candidateName": s.candidate_name,
        "candidatePhone": s.candidate_phone,
        "jobId": s.position.id,
        "jobName": s.position.title,
        "jobLevel": s.position.level,
        "batchNo": s.batch_no,
        "startTimeMillis": millis(s.scheduled_at) if timed else None,
        "endTimeMillis": millis(s.scheduled_at + INTERVIEW_LENGTH) if timed else None,
        "interviewDate": s.scheduled_at.astimezone(timezone).date().isoformat(),
        "actualStartTimeMillis": millis(s.started_at),
        "progress": round(s.progress * 100),
        "resumeDeadlineMillis": millis(s.resume_deadline),
        "gmtModifiedMillis": millis(s.updated_at),
    } | s.garbled
    return {k: v for k, v in data.items() if v is not None}


def interview_json(s: WorldSession) -> dict[str, Any]:
    """An item of the documented ``POST /v1.0/ats/interviews/query`` list."""
    data: dict[str, Any] = {
        "interviewId": s.id,
        "jobId": s.position.id,
        "startTimeMillis": millis(s.scheduled_at),
        "endTimeMillis": millis(s.scheduled_at + INTERVIEW_LENGTH),
        "cancelled": s.state is SessionState.REVOKED,
        "creatorUserId": s.position.owners[0] if s.position.owners else None,
        "interviewers": [{"userId": owner} for owner in s.position.owners],
    }
    return {k: v for k, v in data.items() if v is not None}


def job_json(position: WorldPosition, created: datetime) -> dict[str, Any]:
    """The documented ``GET /v1.0/ats/jobs/{jobId}/info`` object."""
    data: dict[str, Any] = {
        "jobId": position.id,
        "name": position.title,
        "headCount": 2,
        "createTime": millis(created),
        "jobOwners": [
            {"userId": owner, "name": _OWNER_NAMES.get(owner, f"负责人{owner[-2:]}")}
            for owner in position.owners
        ],
    }
    if position.department is not None:
        data["mainDeptId"] = DEPARTMENT_IDS.get(position.department, 100100)
        data["mainDeptName"] = position.department
    return data


def _headers(request_id: str) -> dict[str, str]:
    return {"x-acs-request-id": request_id, "x-acs-trace-id": request_id.replace("-", "").lower()}


def ok(data: Any, request_id: str, status: int = 200) -> httpx.Response:
    """A success: the bare object (no envelope); ``None`` is an empty body."""
    if data is None:
        return httpx.Response(status, headers=_headers(request_id))
    return httpx.Response(status, json=data, headers=_headers(request_id))


def error(
    code: str,
    request_id: str,
    message: str | None = None,
    *,
    extra: dict[str, Any] | None = None,
) -> httpx.Response:
    """DingTalk's error response for a catalogue ``code``."""
    status, default = ERROR_CATALOGUE[code]
    body = {"code": code, "requestid": request_id, "message": message or default, **(extra or {})}
    return httpx.Response(status, json=body, headers=_headers(request_id))


def body_of(request: httpx.Request) -> dict[str, Any]:
    """The JSON object body; anything else is DingTalk's 400 ``invalidParam``."""
    if not request.content:
        return {}
    try:
        data = json.loads(request.content)
    except ValueError:
        raise DingTalkError("invalidParam", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise DingTalkError("invalidParam", "body must be a JSON object")
    return data
