"""DingTalk's documented ATS (智能招聘) endpoints, with their real paths and fields.

Sources: vendors.md §1.8 (S-DT-SDK ``ats_1_0``, S-DT-DOC-INT, S-DT-DOC-FLOW). The world's
sessions double as ATS interviews (``interviewId`` = the session id).
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from interlock_dingtalk.double._call import (
    Call,
    int_param,
    millis_field,
    offset_of,
    string_field,
)
from interlock_dingtalk.double._catalogue import DingTalkError
from interlock_dingtalk.double._render import interview_json, job_json, millis, ok

__all__ = [
    "candidate_by_phone",
    "flow_id",
    "flow_info",
    "job_info",
    "query_interviews",
    "sign_in",
    "sync_ai_interview",
]

MAX_SPAN_MS = int(timedelta(days=30).total_seconds() * 1000)
INTERVIEW_PAGE_DEFAULT = 10


def query_interviews(call: Call) -> httpx.Response:
    """``POST /v1.0/ats/interviews/query?bizCode=ddats&nextToken=&size=`` (QueryInterviews)."""
    size = int_param(call, "size", default=INTERVIEW_PAGE_DEFAULT, low=1, high=200)
    offset = offset_of(call)
    body = call.body
    candidate_id = string_field(body, "candidateId", required=True)
    begin = millis_field(body, "startTimeBeginMillis", required=True)
    end = millis_field(body, "startTimeEndMillis", required=True)
    assert begin is not None
    assert end is not None
    if end < begin:
        raise DingTalkError("invalidParam", "startTimeEndMillis 不能早于 startTimeBeginMillis")
    if end - begin > MAX_SPAN_MS:
        raise DingTalkError("invalidParam", "查询时间跨度不能超过30天")
    rows = sorted(
        (
            s
            for s in call.tenant.world.sessions.values()
            if s.candidate_id == candidate_id and begin <= (millis(s.scheduled_at) or 0) <= end
        ),
        key=lambda s: s.scheduled_at,
    )
    page = rows[offset : offset + size]
    more = offset + size < len(rows)
    data = {
        "totalCount": len(rows),
        "hasMore": more,
        **({"nextToken": str(offset + size)} if more else {}),
        "list": [interview_json(s) for s in page],
    }
    return ok(data, call.request_id)


def candidate_by_phone(call: Call) -> httpx.Response:
    """``GET /v1.0/ats/candidates?bizCode=ddats&phoneNumber=`` (GetCandidateByPhoneNumber)."""
    phone = call.params.get("phoneNumber")
    if not phone:
        raise DingTalkError("invalidParam", "phoneNumber is mandatory")
    for s in call.tenant.world.sessions.values():
        if s.candidate_phone == phone:
            return ok({"candidateId": s.candidate_id, "name": s.candidate_name}, call.request_id)
    raise DingTalkError("resource.not.found", "候选人不存在")


def job_info(call: Call) -> httpx.Response:
    """``GET /v1.0/ats/jobs/{jobId}/info`` (GetJobInfoByJobId), with ``jobOwners``."""
    job_id = call.args["jobId"]
    for position in call.tenant.world.positions:
        if position.id == job_id and job_id not in call.tenant.deleted_jobs:
            return ok(job_json(position, call.tenant.created_at), call.request_id)
    raise DingTalkError("resource.not.found", "职位不存在")


def flow_id(call: Call) -> httpx.Response:
    """``GET /v1.0/ats/flows/ids?relationEntity=interview&relationEntityId=``."""
    if call.params.get("relationEntity") != "interview":
        raise DingTalkError("invalidParam", "relationEntity only accepts interview")
    interview_id = call.params.get("relationEntityId")
    if not interview_id:
        raise DingTalkError("invalidParam", "relationEntityId is mandatory")
    if interview_id not in call.tenant.world.sessions:
        raise DingTalkError("resource.not.found", "面试不存在")
    return ok({"flowId": call.tenant.flow_id_of(interview_id)}, call.request_id)


def flow_info(call: Call) -> httpx.Response:
    """``GET /v1.0/ats/flows/{flowId}/info`` (GetFlowById)."""
    session_id = call.tenant.session_of_flow(call.args["flowId"])
    if session_id is None:
        raise DingTalkError("resource.not.found", "招聘流程不存在")
    s = call.tenant.world.sessions[session_id]
    data = {
        "flowId": call.args["flowId"],
        "candidateId": s.candidate_id,
        "candidateName": s.candidate_name,
        "jobId": s.position.id,
        "statId": f"stat-{s.position.id}",
        "currentStatus": "INTERVIEW",
        "sourceName": "AI面试",
        "createTime": millis(s.scheduled_at - timedelta(days=3)),
    }
    return ok(data, call.request_id)


def sign_in(call: Call) -> httpx.Response:
    """``PUT /v1.0/ats/interviews/{interviewId}/signInInfos`` → 200 with an empty JSON object.

    The SDK's response model has no fields, and its client parses every body as JSON (an empty
    body fails it), so the real API answers ``{}``."""
    interview_id = call.args["interviewId"]
    signed = millis_field(call.body, "signInTimeMillis", required=True)
    if interview_id not in call.tenant.world.sessions:
        raise DingTalkError("resource.not.found", "面试不存在")
    assert signed is not None
    call.tenant.sign_ins[interview_id] = signed
    return ok({}, call.request_id)


def sync_ai_interview(call: Call) -> httpx.Response:
    """``POST /v1.0/ats/ai/interview/interviewInfos/sync`` → ``{"result","success"}``."""
    interview_id = string_field(call.body, "interviewId", required=True)
    assert interview_id is not None
    call.tenant.synced[interview_id] = dict(call.body)
    return ok({"result": True, "success": True}, call.request_id)
