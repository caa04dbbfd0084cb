"""How the Yonyou double writes JSON: envelopes, session records, local time strings."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

import httpx

from interlock.doubles import WorldSession
from interlock.models import SessionState
from interlock_yonyou.double._catalogue import DISPLAY_CODES, GATEWAY_CODES, SUCCESS

__all__ = [
    "STATUS",
    "STATUS_NAME",
    "UNMAPPED_STATUS",
    "business_error",
    "gateway_error",
    "local_time",
    "ok",
    "platform_answer",
    "read_json",
    "session_record",
    "status_of",
]

STATUS: dict[SessionState, str] = {
    SessionState.SCHEDULED: "0",
    SessionState.IN_PROGRESS: "1",
    SessionState.PAUSED: "2",
    SessionState.COMPLETED: "3",
    SessionState.TERMINATED: "4",
    SessionState.REVOKED: "5",
    SessionState.EXPIRED: "6",
}
"""The tenant API's status codes (YonBIP enumerations are numeric strings plus a name)."""

UNMAPPED_STATUS = "9"
STATUS_NAME: dict[str, str] = {
    "0": "待开始",
    "1": "进行中",
    "2": "已暂停",
    "3": "已完成",
    "4": "已终止",
    "5": "已撤销",
    "6": "已过期",
    UNMAPPED_STATUS: "已归档",
}

_JSON = "application/json;charset=UTF-8"


def local_time(value: datetime | None, zone: tzinfo) -> str | None:
    """``yyyy-MM-dd HH:mm:ss`` in the tenant's zone (YonBIP business times carry no zone)."""
    return None if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def status_of(session: WorldSession) -> str:
    return session.vendor_state_override or STATUS[session.state]


def session_record(session: WorldSession, zone: tzinfo) -> dict[str, Any]:
    """One interview session as the tenant API returns it (absent values are omitted)."""
    status = status_of(session)
    record: dict[str, Any] = {
        "id": session.id,
        "status": status,
        "statusName": STATUS_NAME.get(status, status),
        "candidateId": session.candidate_id,
        "candidateName": session.candidate_name,
        "candidateMobile": session.candidate_phone,
        "positionId": session.position.id,
        "positionName": session.position.title,
        "positionLevel": session.position.level,
        "deptCode": session.position.department,
        "ownerIds": list(session.position.owners),
        "batchNo": session.batch_no,
        "beginTime": local_time(session.scheduled_at, zone),
        "startTime": local_time(session.started_at, zone),
        "progress": round(session.progress * 100),
        "pauseDeadline": local_time(session.resume_deadline, zone),
        "pubts": local_time(session.updated_at, zone),
    } | session.garbled
    return {k: v for k, v in record.items() if v is not None}


def _response(status: int, body: dict[str, Any]) -> httpx.Response:
    content = json.dumps(body, ensure_ascii=False).encode()
    return httpx.Response(status, content=content, headers={"content-type": _JSON})


def ok(data: Any, message: str = "操作成功") -> httpx.Response:
    """A business success: ``{"code":"200","message","data"}``."""
    return _response(200, {"code": SUCCESS, "message": message, "data": data})


def platform_answer(code: str, message: str, data: Any = None) -> httpx.Response:
    """Data-centre and token answers: always HTTP 200; ``data`` only on success."""
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return _response(200, body)


def gateway_error(code: str, **fields: str) -> httpx.Response:
    """A gateway code from the catalogue, with its HTTP status and message."""
    status, template = GATEWAY_CODES[code]
    return _response(status, {"code": code, "message": template.format(**fields)})


def business_error(display_code: str, **fields: str) -> httpx.Response:
    """A tenant-API failure: ``{"code":"999","message","displayCode","level":0}``."""
    message = DISPLAY_CODES[display_code].format(**fields)
    body = {"code": "999", "message": message, "displayCode": display_code, "level": 0}
    return _response(200, body)


def read_json(request: httpx.Request) -> Any:
    """The JSON body; raises ``ValueError`` when it is not JSON (→ 310002)."""
    return json.loads(request.content or b"null")
