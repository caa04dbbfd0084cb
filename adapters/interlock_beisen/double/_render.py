"""How the Beisen double writes: envelopes, gateway errors, zone-less local times, interviews.

Beisen's recruiting API speaks camelCase JSON, GUID ids and local date-times *without* a zone
(``"2021-08-31T21:00:00"``); the tenant's time zone gives them meaning (``vendors.md`` §2.8).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, tzinfo
from typing import Any

import httpx

from interlock.doubles import WorldSession
from interlock.models import SessionState
from interlock_beisen.double._catalogue import IP_NOT_TRUSTED, NOT_FOUND_HTML

__all__ = [
    "LOCAL_FORMAT",
    "NAMESPACE",
    "PHASE_ID",
    "PROCESS_ID",
    "REQUEST_ID_HEADER",
    "VENDOR_STATUS",
    "apply_id_of",
    "apply_json",
    "gateway_error",
    "interview_json",
    "ip_forbidden",
    "json_body",
    "local_text",
    "not_found_html",
    "oauth_error",
    "parse_local",
    "recruit",
    "status_id_of",
]

REQUEST_ID_HEADER = "X-PAAS-Request-ID"
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
_LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$")
NAMESPACE = uuid.UUID("6f0d5a52-3c2e-4a59-9a7e-1b0c2f6b8e11")

VENDOR_STATUS: dict[SessionState, str] = {
    SessionState.SCHEDULED: "NotStarted",
    SessionState.IN_PROGRESS: "InProgress",
    SessionState.PAUSED: "Suspended",
    SessionState.COMPLETED: "Completed",
    SessionState.TERMINATED: "Terminated",
    SessionState.REVOKED: "Cancelled",
    SessionState.EXPIRED: "Expired",
}
"""The AI-interview status values (a decision: PascalCase words, like the job states)."""

PROCESS_ID = str(uuid.uuid5(NAMESPACE, "process:campus-ai"))
PHASE_ID = str(uuid.uuid5(NAMESPACE, "phase:ai-interview"))


def status_id_of(status: str) -> str:
    """The process status id (a GUID) of an AI-interview status."""
    return str(uuid.uuid5(NAMESPACE, f"status:{status}"))


def local_text(value: datetime | None, zone: tzinfo) -> str | None:
    """``value`` as Beisen writes it: local wall-clock time in ``zone``, no offset."""
    return None if value is None else value.astimezone(zone).strftime(LOCAL_FORMAT)


def parse_local(text: object, zone: tzinfo, *, field: str) -> datetime:
    """Read ``yyyy-MM-ddTHH:mm:ss`` (or ``yyyy-MM-dd``) as local time in ``zone``.

    :raises ValueError: naming ``field`` (the double answers code 400 with it).
    """
    if not isinstance(text, str) or not _LOCAL_RE.match(text):
        raise ValueError(f"{field}格式不正确，应为 yyyy-MM-ddTHH:mm:ss")
    try:
        value = datetime.strptime(text, LOCAL_FORMAT if "T" in text else "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"{field}不是有效的日期时间") from None
    return value.replace(tzinfo=zone)


def apply_id_of(session_id: str) -> str:
    """The application (``applyId``) an interview belongs to: stable, derived from its id."""
    return str(uuid.uuid5(NAMESPACE, f"apply:{session_id}"))


def interview_json(s: WorldSession, zone: tzinfo) -> dict[str, Any]:
    """One interview as the Beisen-style interview endpoints return it (raw PII included)."""
    return {
        "interviewId": s.id,
        "applyId": apply_id_of(s.id),
        "applicantId": s.candidate_id,
        "applicantName": s.candidate_name,
        "applicantMobile": s.candidate_phone,
        "jobId": s.position.id,
        "jobName": s.position.title,
        "jobLevel": s.position.level,
        "orgName": s.position.department,
        "jobDutyUserIds": list(s.position.owners),
        "interviewType": "AIInterview",
        "arrangeBatchNo": s.batch_no,
        "interviewTime": local_text(s.scheduled_at, zone),
        "actualStartTime": local_text(s.started_at, zone),
        "interviewStatus": s.vendor_state_override or VENDOR_STATUS[s.state],
        "completionRate": round(s.progress * 100),
        "resumeDeadline": local_text(s.resume_deadline, zone),
        "modifiedTime": local_text(s.updated_at, zone),
    } | s.garbled


def apply_json(s: WorldSession, zone: tzinfo, field_names: list[str]) -> dict[str, Any]:
    """One application as ``Apply/GetApplyListByApplyId`` returns it (flat + ``*Lite``)."""
    modified = local_text(s.updated_at, zone)
    known = {"ProcessPhaseChangeDate": modified, "ProcessStatusChangeDate": modified}
    status_id = status_id_of(VENDOR_STATUS[s.state])
    return {
        "applyId": apply_id_of(s.id),
        "applicantId": s.candidate_id,
        "jobId": s.position.id,
        "processId": PROCESS_ID,
        "processPhaseId": PHASE_ID,
        "processStatusId": status_id,
        "fieldValues": {name: known[name] for name in field_names if name in known},
        "applicantLite": {
            "applicantId": s.candidate_id,
            "name": s.candidate_name,
            "email": None,
            "mobile": s.candidate_phone,
        },
        "jobLite": {"jobGuid": s.position.id, "jobTitle": s.position.title},
        "processLite": {"id": PROCESS_ID, "code": "F001"},
    }


def recruit(
    data: Any = None,
    *,
    code: int = 200,
    message: str = "成功",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """The RecruitV6 envelope: always HTTP 200; ``code`` is an integer; ``data`` null on errors."""
    body = {"data": data if code == 200 else None, "code": code, "message": message}
    return httpx.Response(200, json=body, headers=headers)


def gateway_error(status: int, message: str, **headers: str) -> httpx.Response:
    """A gateway answer: the HTTP status carries the meaning, the body only ``message``."""
    return httpx.Response(status, json={"message": message}, headers=headers)


def oauth_error(
    error: str, description: str | None = None, error_code: str | None = None
) -> httpx.Response:
    """An OAuth-style token error (HTTP 400); bare ``{"error"}`` when nothing else is known."""
    body: dict[str, str] = {"error": error}
    if description is not None:
        body["error_description"] = description
    if error_code is not None:
        body["error_code"] = error_code
    return httpx.Response(400, json=body)


def ip_forbidden(ip: str) -> httpx.Response:
    return httpx.Response(
        403,
        text=IP_NOT_TRUSTED.format(ip=ip),
        headers={"content-type": "text/plain; charset=utf-8"},
    )


def not_found_html() -> httpx.Response:
    return httpx.Response(
        404, text=NOT_FOUND_HTML, headers={"content-type": "text/html; charset=utf-8"}
    )


def json_body(request: httpx.Request) -> dict[str, Any]:
    """The request's JSON object (an empty body is ``{}``). :raises ValueError: not an object."""
    if not request.content:
        return {}
    try:
        data = json.loads(request.content)
    except ValueError:
        raise ValueError("请求体不是有效的JSON") from None
    if not isinstance(data, dict):
        raise ValueError("请求体必须是JSON对象")
    return data
