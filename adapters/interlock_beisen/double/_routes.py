"""The Beisen double's business endpoints (RecruitV6 recruiting + the async job record).

Every handler returns the RecruitV6 envelope. A handler raises ``ValueError`` for a bad
parameter (the app answers ``code`` 400 with the message); everything else it answers itself.
See ``VENDOR_API.md`` for which endpoints Beisen documents and which are Beisen-style
extensions.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import httpx

from interlock.doubles import World, WorldSession, reason_text
from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import FilterField, SessionState, Verb
from interlock_beisen.double._jobs import AsyncJob, AsyncJobs
from interlock_beisen.double._process import ProcessApi
from interlock_beisen.double._render import (
    REQUEST_ID_HEADER,
    VENDOR_STATUS,
    apply_id_of,
    apply_json,
    interview_json,
    json_body,
    local_text,
    parse_local,
    recruit,
)

__all__ = ["MAX_IDS", "RecruitApi", "Route"]

MAX_IDS = 100
Handler = Callable[[httpx.Request, str], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Route:
    """One endpoint: its method, API name (throttle key), whether it writes, its handler."""

    method: str
    api: str
    mutation: bool
    handler: Handler


_VERB_NAMES = {
    Verb.PAUSE: ("Suspend", "暂停"),
    Verb.RESUME: ("Resume", "恢复"),
    Verb.TERMINATE: ("Terminate", "终止"),
    Verb.REVOKE: ("Cancel", "取消"),
}
_STATUS_TEXT = {
    "NotStarted": "未开始",
    "InProgress": "进行中",
    "Suspended": "已暂停",
    "Completed": "已完成",
    "Terminated": "已终止",
    "Cancelled": "已取消",
    "Expired": "已过期",
}


RecordQuery = Callable[[Mapping[FilterField, Any], Iterable[str]], None]


class RecruitApi:
    """The handlers, bound to one tenant's world, time zone and job table.

    :param record_query: records a listing's filters and ids (``VendorDouble.record_query``).
    :param garbled_page: raw values the interview listing sends in place of its own
        (``VendorDouble.garbled_page``).
    """

    def __init__(
        self,
        world: World,
        zone: tzinfo,
        jobs: AsyncJobs,
        *,
        record_query: RecordQuery,
        garbled_page: dict[str, Any],
        apply_batch_size: int = 1000,
    ) -> None:
        self.world = world
        self.garbled_page = garbled_page  # VendorDouble.garbled_page, shared
        self.zone = zone
        self.jobs = jobs
        self.process = ProcessApi(world)
        self._record_query = record_query
        self.apply_batch_size = apply_batch_size

    def routes(self) -> dict[str, Route]:
        """Path → route (paths are exact; Beisen's v3 APIs have no path parameters)."""
        recruit_v6 = "/RecruitV6/api/v1/"
        table: dict[str, Route] = {
            "/OpenPlatform/api/AsyncApiExecInfo/GetByRequestId": Route(
                "GET", "AsyncApiExecInfo/GetByRequestId", False, self.async_exec_info
            ),
        }
        reads: dict[str, tuple[str, Handler]] = {
            "Apply/GetApplyListByModifiedTime": ("POST", self.applies_by_modified_time),
            "Apply/GetApplyListByApplyId": ("POST", self.applies_by_id),
            "Interview/GetInterviewsByDate": ("GET", self.interviews_by_date),
            "Interview/GetInterviewsByApplyId": ("GET", self.interviews_by_apply_id),
            "Interview/GetInterviewById": ("GET", self.interview_by_id),
            "Interview/GetInterviewsByIds": ("POST", self.interviews_by_ids),
        }
        for api, (method, handler) in reads.items():
            table[recruit_v6 + api] = Route(method, api, False, handler)
        table[recruit_v6 + "Setting/GetProcessConfigById"] = Route(
            "GET", "Setting/GetProcessConfigById", False, self.process.get_process_config
        )
        table[recruit_v6 + "Apply/TransferPhase"] = Route(
            "POST", "Apply/TransferPhase", True, self.process.transfer_phase
        )
        table[recruit_v6 + "Interview/CancelInterview"] = Route(
            "POST", "Interview/CancelInterview", True, self.cancel_interview
        )
        for verb in (Verb.PAUSE, Verb.RESUME, Verb.TERMINATE):
            name = _VERB_NAMES[verb][0]
            single, batch = f"Interview/{name}AIInterview", f"Interview/Batch{name}AIInterview"
            table[recruit_v6 + single] = Route("POST", single, True, self._single(verb))
            table[recruit_v6 + batch] = Route("POST", batch, True, self._batch(verb, batch))
        return table

    # -- reads -------------------------------------------------------------------------------

    async def applies_by_modified_time(self, request: httpx.Request, rid: str) -> httpx.Response:
        """Documented: ``startTime``/``endTime`` (local), ``batchId`` → 1000 per batch."""
        body = json_body(request)
        start = parse_local(body.get("startTime"), self.zone, field="startTime")
        end = parse_local(body.get("endTime"), self.zone, field="endTime")
        if start >= end:
            return recruit(code=400, message="开始时间不能大于等于结束时间")
        rows = sorted(
            (s for s in self.world.sessions.values() if start <= s.updated_at < end),
            key=lambda s: (s.updated_at, s.id),
        )
        page, next_batch = _page(rows, body.get("batchId"), self.apply_batch_size)
        items = [
            {"applyId": apply_id_of(s.id), "applicantId": s.candidate_id, "jobId": s.position.id}
            for s in page
        ]
        return recruit(_batch_data(len(rows), next_batch, items))

    async def applies_by_id(self, request: httpx.Request, rid: str) -> httpx.Response:
        """Documented: ``applyIds`` (≤ 100), optional ``fieldNames``."""
        body = json_body(request)
        apply_ids = _id_list(body, "applyIds")
        if len(apply_ids) > MAX_IDS:
            return recruit(code=400, message="一次最多允许查100个")
        names = body.get("fieldNames") or []
        if not isinstance(names, list):
            raise ValueError("fieldNames必须是字符串数组")
        by_apply = {apply_id_of(s.id): s for s in self.world.sessions.values()}
        found = [by_apply[a] for a in apply_ids if a in by_apply]
        return recruit([self._apply(s, [str(n) for n in names]) for s in found])

    def _apply(self, session: WorldSession, names: list[str]) -> dict[str, Any]:
        data = apply_json(session, self.zone, names)
        placed = self.process.placements.get(data["applyId"])
        if placed is not None:
            data["processPhaseId"], data["processStatusId"] = placed
        return data

    async def interviews_by_date(self, request: httpx.Request, rid: str) -> httpx.Response:
        """``startDate``/``endDate`` (local) on the interview time, ``batchId``, ``pageSize``."""
        params = request.url.params
        start = parse_local(params.get("startDate"), self.zone, field="startDate")
        end = parse_local(params.get("endDate"), self.zone, field="endDate")
        if start >= end:
            return recruit(code=400, message="开始时间不能大于等于结束时间")
        size_text = params.get("pageSize", "100")
        if not size_text.isdigit() or not 1 <= int(size_text) <= 200:
            raise ValueError("pageSize必须在1到200之间")
        rows = sorted(
            (s for s in self.world.sessions.values() if start <= s.scheduled_at < end),
            key=lambda s: (s.scheduled_at, s.id),
        )
        page, next_batch = _page(rows, params.get("batchId"), int(size_text))
        filters = {FilterField.START_FROM: start, FilterField.START_TO: end}
        self._record_query(filters, (s.id for s in page))
        items = [interview_json(s, self.zone) for s in page]
        return recruit(_batch_data(len(rows), next_batch, items) | self.garbled_page)

    async def interviews_by_apply_id(self, request: httpx.Request, rid: str) -> httpx.Response:
        apply_id = _guid(request.url.params.get("applyId"), "applyId")
        rows = [s for s in self.world.sessions.values() if apply_id_of(s.id) == apply_id]
        return recruit([interview_json(s, self.zone) for s in rows])

    async def interview_by_id(self, request: httpx.Request, rid: str) -> httpx.Response:
        interview_id = _guid(request.url.params.get("interviewId"), "interviewId")
        session = self.world.sessions.get(interview_id)
        if session is None:
            return recruit(code=404, message="根据ID未查询到面试")
        return recruit(interview_json(session, self.zone))

    async def interviews_by_ids(self, request: httpx.Request, rid: str) -> httpx.Response:
        """Extension: ``interviewIds`` (≤ 100); unknown ids are simply absent from ``data``."""
        ids = _id_list(json_body(request), "interviewIds")
        if len(ids) > MAX_IDS:
            return recruit(code=400, message="一次最多允许查100个")
        found = [self.world.sessions[i] for i in dict.fromkeys(ids) if i in self.world.sessions]
        return recruit([interview_json(s, self.zone) for s in found])

    async def async_exec_info(self, request: httpx.Request, rid: str) -> httpx.Response:
        """Documented: the state of an asynchronous write by its ``requestId``."""
        request_id = request.url.params.get("requestId", "")
        if not request_id:
            raise ValueError("requestId不能为空")
        job = self.jobs.poll(request_id)
        if job is None:
            return recruit(code=404, message="未查询到该请求ID的执行记录")
        return recruit(self._job_json(job))

    # -- writes ------------------------------------------------------------------------------

    async def cancel_interview(self, request: httpx.Request, rid: str) -> httpx.Response:
        """Documented by name: ``{"interviewId", "cancelReason"?}`` → ``data: null``.

        Its answer says nothing of the interview, so an interview already cancelled is refused
        (417, its status does not allow cancelling) rather than cancelled "again" in silence."""
        body = json_body(request)
        interview_id = _guid(body.get("interviewId"), "interviewId")
        if self._status(interview_id) == VENDOR_STATUS[SessionState.REVOKED]:
            return recruit(
                code=417, message=f"当前面试状态为「{_STATUS_TEXT['Cancelled']}」，不允许取消"
            )
        reason = reason_text(body.get("cancelReason"))
        refusal = self._change(interview_id, Verb.REVOKE, None, reason)
        return refusal or recruit(None, message="取消面试成功")

    def _single(self, verb: Verb) -> Handler:
        async def handler(request: httpx.Request, rid: str) -> httpx.Response:
            body = json_body(request)
            interview_id = _guid(body.get("interviewId"), "interviewId")
            deadline = self._deadline(body) if verb is Verb.PAUSE else None
            before = self._status(interview_id)
            reason = reason_text(body.get("reasonCode"), body.get("remark"))
            refusal = self._change(interview_id, verb, deadline, reason)
            if refusal is not None:
                return refusal
            data = {
                "interviewId": interview_id,
                "previousStatus": before,
                "interviewStatus": self._status(interview_id),
            }
            return recruit(data, message=f"{_VERB_NAMES[verb][1]}面试成功")

        return handler

    def _batch(self, verb: Verb, api: str) -> Handler:
        async def handler(request: httpx.Request, rid: str) -> httpx.Response:
            body = json_body(request)
            ids = _id_list(body, "interviewIds")
            if not ids:
                raise ValueError("interviewIds不能为空")
            if len(ids) > MAX_IDS:
                return recruit(code=400, message="一次最多允许操作100个")
            ids = [_guid(interview_id, "interviewIds") for interview_id in ids]
            deadline = self._deadline(body) if verb is Verb.PAUSE else None
            reason = reason_text(body.get("reasonCode"), body.get("remark"))
            job = self.jobs.submit(rid, api, verb, ids, deadline, reason=reason)
            return recruit(None, message="请求已受理", headers={REQUEST_ID_HEADER: job.request_id})

        return handler

    def _change(
        self, interview_id: str, verb: Verb, deadline: datetime | None, reason: str | None
    ) -> httpx.Response | None:
        """Apply ``verb``; the refusal to send, or None when it held (also when already so)."""
        verb_text = _VERB_NAMES[verb][1]
        try:
            session = self.world.get(interview_id)
            if session.vendor_state_override is not None:
                raise InvalidTransition("unmapped", from_state="unknown", verb=str(verb))
            self.world.apply(interview_id, verb, resume_deadline=deadline, reason=reason)
        except SessionNotFound:
            return recruit(code=404, message="面试不存在或已删除")
        except InvalidTransition:
            status = self._status(interview_id)
            if verb is Verb.RESUME and status == VENDOR_STATUS[SessionState.PAUSED]:
                return recruit(code=417, message="面试暂停已超过可恢复截止时间，不允许恢复")
            text = _STATUS_TEXT.get(status or "", status or "?")
            return recruit(code=417, message=f"当前面试状态为「{text}」，不允许{verb_text}")
        return None

    def _status(self, interview_id: str) -> str | None:
        session = self.world.sessions.get(interview_id)
        if session is None:
            return None
        return session.vendor_state_override or VENDOR_STATUS[session.state]

    def _deadline(self, body: dict[str, Any]) -> datetime | None:
        text = body.get("resumeDeadline")
        return None if text in (None, "") else parse_local(text, self.zone, field="resumeDeadline")

    def _job_json(self, job: AsyncJob) -> dict[str, Any]:
        return {
            "requestId": job.request_id,
            "apiName": job.api,
            "state": job.state,
            "message": job.message,
            "progress": None,
            "createTime": local_text(job.created_wall, self.zone),
            "finishTime": local_text(job.finished_wall, self.zone),
            "result": job.result,
        }


def _guid(value: Any, name: str) -> str:
    """A GUID in its canonical spelling. :raises ValueError: anything else (code 400)."""
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise ValueError(f"{name}格式不正确，应为GUID")


def _id_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name}必须是字符串数组")
    return value


def _page(rows: list[WorldSession], batch_id: Any, size: int) -> tuple[list[WorldSession], str]:
    """One batch of ``rows`` from the opaque ``batchId``; the next batch's id ('' at the end)."""
    offset = 0
    if batch_id:
        try:
            text = base64.urlsafe_b64decode(str(batch_id) + "=" * (-len(str(batch_id)) % 4))
            offset = int(text.decode().removeprefix("batch:"))
        except (ValueError, binascii.Error):
            raise ValueError("batchId无效") from None
    end = offset + size
    next_batch = ""
    if end < len(rows):
        next_batch = base64.urlsafe_b64encode(f"batch:{end}".encode()).decode().rstrip("=")
    return rows[offset:end], next_batch


def _batch_data(total: int, next_batch: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "total": total,
        "nextBatchId": next_batch,
        "isLastBatch": not next_batch,
        "items": items,
    }
