"""How the sandbox vendor writes its JSON (its own state names, ISO-8601 times, raw PII)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from interlock.doubles import WorldSession
from interlock.models import SessionState

VENDOR_STATUS = {
    SessionState.SCHEDULED: "SCHEDULED",
    SessionState.IN_PROGRESS: "RUNNING",
    SessionState.PAUSED: "ON_HOLD",
    SessionState.COMPLETED: "FINISHED",
    SessionState.TERMINATED: "STOPPED",
    SessionState.REVOKED: "WITHDRAWN",
    SessionState.EXPIRED: "LAPSED",
}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def session_json(s: WorldSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "status": s.vendor_state_override or VENDOR_STATUS[s.state],
        "candidate": {"id": s.candidate_id, "name": s.candidate_name, "phone": s.candidate_phone},
        "position": {
            "id": s.position.id,
            "title": s.position.title,
            "level": s.position.level,
            "department": s.position.department,
            "owners": list(s.position.owners),
        },
        "batch_no": s.batch_no,
        "scheduled_at": iso(s.scheduled_at),
        "started_at": iso(s.started_at),
        "progress": s.progress,
        "resume_deadline": iso(s.resume_deadline),
        "updated_at": iso(s.updated_at),
    } | s.garbled


def ok(data: Any, request_id: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, json={"ok": True, "data": data}, headers={"x-sandbox-request-id": request_id}
    )


def error(status: int, code: str, message: str, request_id: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"ok": False, "error": {"code": code, "message": message}},
        headers={"x-sandbox-request-id": request_id, **headers},
    )


def body_of(request: httpx.Request) -> dict[str, Any]:
    if not request.content:
        return {}
    data = json.loads(request.content)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data
