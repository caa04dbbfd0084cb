"""The DingTalk-style extension for AI-interview sessions (DingTalk publishes no such API).

Paths under ``/v1.0/ats/ai/interview/sessions``, camelCase JSON, epoch ms, ``bizCode=ddats``,
the same auth, throttle and error envelope as DingTalk's documented ATS API. Every state change
goes through ``world.apply`` (the neutral state machine). A same-state request is answered like
DingTalk answers an idempotent call: 200 with ``statusChanged: false``.
"""

from __future__ import annotations

from typing import Any

import httpx

from interlock.doubles import reason_text
from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import FilterField, SessionState, Verb
from interlock_dingtalk.double._call import (
    Call,
    int_param,
    millis_field,
    offset_of,
    string_field,
    string_list,
)
from interlock_dingtalk.double._catalogue import DingTalkError
from interlock_dingtalk.double._render import VENDOR_STATUS, millis, ok, status_of
from interlock_dingtalk.double._tenant import Tenant

__all__ = [
    "ACTIONS",
    "MAX_BATCH",
    "batch",
    "change",
    "get_session",
    "query_sessions",
]

ACTIONS: dict[str, Verb] = {
    "pause": Verb.PAUSE,
    "resume": Verb.RESUME,
    "terminate": Verb.TERMINATE,
    "cancel": Verb.REVOKE,
}
MAX_BATCH = 50
PAGE_DEFAULT = 20
_MAX_IDS_FILTER = 200


def query_sessions(call: Call) -> httpx.Response:
    """``POST .../sessions/query?bizCode=ddats&nextToken=&size=`` with filters in the body."""
    size = int_param(call, "size", default=PAGE_DEFAULT, low=1, high=200)
    offset = offset_of(call)
    matches = _filter(call.body)
    rows = [s for s in call.tenant.world.sessions.values() if matches(s)]
    page = rows[offset : offset + size]
    call.tenant.record_query(_neutral_filters(call.body), (s.id for s in page))
    more = offset + size < len(rows)
    data = {
        "totalCount": len(rows),
        "hasMore": more,
        "nextToken": str(offset + size) if more else "",  # the last page's is empty
        "list": [call.tenant.session_json(s) for s in page],
    }
    return ok(data | call.tenant.garbled_page, call.request_id)


def _filter(body: dict[str, Any]) -> Any:
    statuses = string_list(body, "statusList", max_items=20)
    ids = string_list(body, "sessionIds", max_items=_MAX_IDS_FILTER)
    candidate = string_field(body, "candidateId")
    job = string_field(body, "jobId")
    batch_no = string_field(body, "batchNo")
    begin = millis_field(body, "startTimeBeginMillis")  # inclusive
    end = millis_field(body, "startTimeEndMillis")  # exclusive

    def matches(s: Any) -> bool:
        start = millis(s.scheduled_at)
        return all(
            (
                statuses is None or status_of(s) in statuses,
                ids is None or s.id in ids,
                candidate is None or s.candidate_id == candidate,
                job is None or s.position.id == job,
                batch_no is None or s.batch_no == batch_no,
                begin is None or (start is not None and start >= begin),
                end is None or (start is not None and start < end),
            )
        )

    return matches


_STATE_OF = {status: state for state, status in VENDOR_STATUS.items()}


def _neutral_filters(body: dict[str, Any]) -> dict[FilterField, Any]:
    """The filters this query evaluated, as neutral fields and values (already validated)."""
    found: dict[FilterField, Any] = {}
    if body.get("statusList") is not None:
        statuses = body["statusList"]
        found[FilterField.STATE] = frozenset(
            _STATE_OF.get(s, SessionState.UNKNOWN) for s in statuses
        )
    for name, field in (
        ("candidateId", FilterField.CANDIDATE),
        ("jobId", FilterField.POSITION),
        ("batchNo", FilterField.BATCH_NO),
    ):
        if body.get(name) is not None:
            found[field] = body[name]
    for name, field in (
        ("startTimeBeginMillis", FilterField.START_FROM),
        ("startTimeEndMillis", FilterField.START_TO),
    ):
        if body.get(name) is not None:
            found[field] = Tenant.from_millis(body[name])
    return found


def get_session(call: Call) -> httpx.Response:
    """``GET .../sessions/{sessionId}?bizCode=ddats``."""
    session = call.tenant.world.sessions.get(call.args["sessionId"])
    if session is None:
        raise DingTalkError("resource.not.found", "AI面试会话不存在")
    return ok(call.tenant.session_json(session), call.request_id)


def change(call: Call) -> httpx.Response:
    """``POST .../sessions/{sessionId}/{pause|resume|terminate|cancel}?bizCode=ddats``."""
    body = call.body
    deadline = millis_field(body, "resumeDeadlineMillis")
    reason = _reason(body)
    outcome = apply(call, call.args["sessionId"], ACTIONS[call.args["action"]], deadline, reason)
    return ok({"result": True, **outcome}, call.request_id)


def batch(call: Call) -> httpx.Response:
    """``POST .../sessions/batch/{action}?bizCode=ddats`` with ≤ 50 ``sessionIds``."""
    ids = string_list(call.body, "sessionIds", max_items=MAX_BATCH)
    if not ids:
        raise DingTalkError("invalidParam", f"sessionIds must hold 1 to {MAX_BATCH} ids")
    verb = ACTIONS[call.args["action"]]
    reason = _reason(call.body)
    results: list[dict[str, Any]] = []
    for session_id in ids:
        try:
            outcome = apply(call, session_id, verb, None, reason)
            results.append({"sessionId": session_id, "success": True, **outcome})
        except DingTalkError as exc:
            results.append(_failed_item(call, session_id, exc))
    succeeded = sum(1 for r in results if r["success"])
    answered = [r for r in results if r["sessionId"] not in call.tenant.left_out]
    data = {
        "totalCount": len(results),
        "successCount": succeeded,
        "failedCount": len(results) - succeeded,
        "results": call.tenant.shuffled(answered),  # DingTalk documents no order
    }
    return ok(data, call.request_id)


def _failed_item(call: Call, session_id: str, exc: DingTalkError) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sessionId": session_id,
        "success": False,
        "errorCode": exc.code,
        "errorMessage": exc.message,
    }
    session = call.tenant.world.sessions.get(session_id)
    if session is not None:
        item["status"] = status_of(session)
    return item


def _reason(body: dict[str, Any]) -> str | None:
    """The reason the extension records: ``reasonCode`` and ``reasonNote`` (strings)."""
    return reason_text(string_field(body, "reasonCode"), string_field(body, "reasonNote"))


def apply(
    call: Call, session_id: str, verb: Verb, deadline_ms: int | None, reason: str | None
) -> dict[str, Any]:
    """Carry out ``verb`` on one session; the answer names the status before and after."""
    world = call.tenant.world
    session = world.sessions.get(session_id)
    if session is None:
        raise DingTalkError("resource.not.found", "AI面试会话不存在")
    before = status_of(session)
    if session.vendor_state_override is not None:
        raise DingTalkError("invalidStatus", f"当前状态({before})不允许执行{verb}操作")
    deadline = None
    if deadline_ms is not None:
        deadline = call.tenant.from_millis(deadline_ms)
        if deadline <= world.clock():
            raise DingTalkError("invalidParam", "resumeDeadlineMillis 必须晚于当前时间")
    try:
        transition = world.apply(session_id, verb, resume_deadline=deadline, reason=reason)
    except SessionNotFound:  # pragma: no cover - checked above
        raise DingTalkError("resource.not.found", "AI面试会话不存在") from None
    except InvalidTransition:
        if session.state is SessionState.PAUSED and verb is Verb.RESUME:
            raise DingTalkError("invalidStatus", "暂停已超过可恢复截止时间，无法恢复") from None
        raise DingTalkError("invalidStatus", f"当前状态({before})不允许执行{verb}操作") from None
    return {
        "sessionId": session_id,
        "previousStatus": before,
        "status": status_of(session),
        "statusChanged": not transition.already_in_state,
        "gmtModifiedMillis": millis(session.updated_at),
    }
