"""The tenant-published interview API (``/yonbip/hrcloud/aiinterview/...``), Yonyou-style.

YonBIP itself publishes no interview API; a tenant that stops AI interviews from YonBIP
publishes its own API on the gateway. This one follows the platform's conventions: POST JSON
bodies, single writes wrapped in ``{"data":{…}}`` with the MDD idempotency key
``resubmitCheckKey`` (≤ 32 characters, results replayed for one hour, then ``100004``), batch
writes as ``{"data":[…]}`` answered with ``count/sucessCount/failCount/messages/infos``, paging by
``pageIndex/pageSize``, business failures as ``999`` with a ``displayCode``. It offers terminate
and revoke only: there is no pause and no resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import httpx

from interlock.doubles import World, WorldSession, reason_text
from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import FilterField, SessionState, Verb
from interlock_yonyou.double._catalogue import DISPLAY_CODES, DUPLICATE_SUBMISSION
from interlock_yonyou.double._render import (
    STATUS,
    STATUS_NAME,
    business_error,
    ok,
    platform_answer,
    session_record,
    status_of,
)

__all__ = ["API_PREFIX", "MAX_BATCH", "MAX_PAGE_SIZE", "ROUTES", "BadRequest", "InterviewApi"]

API_PREFIX = "/yonbip/hrcloud/aiinterview"
MAX_BATCH = 100
MAX_PAGE_SIZE = 500
REPLAY_WINDOW_S = 3600.0
ACTION_NAME = {Verb.TERMINATE: "终止", Verb.REVOKE: "撤销"}

ROUTES: dict[str, tuple[str, str]] = {
    f"{API_PREFIX}/session/list": ("POST", "list"),
    f"{API_PREFIX}/session/detail": ("GET", "detail"),
    f"{API_PREFIX}/session/terminate": ("POST", "terminate"),
    f"{API_PREFIX}/session/revoke": ("POST", "revoke"),
    f"{API_PREFIX}/session/batchterminate": ("POST", "batchterminate"),
    f"{API_PREFIX}/session/batchrevoke": ("POST", "batchrevoke"),
}
"""Registered path → (method, operation)."""
WRITES = frozenset({"terminate", "revoke", "batchterminate", "batchrevoke"})

OnChange = Callable[[WorldSession], None]
RecordQuery = Callable[[Mapping[FilterField, Any], Iterable[str]], None]
Shuffle = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


_STATE_OF = {status: state for state, status in STATUS.items()}


class BadRequest(ValueError):
    """A parameter the API cannot accept (→ ``999`` / ``HRC-AIV-100400``)."""


@dataclass
class _Replay:
    body: httpx.Response
    at: float
    session_id: str


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadRequest(f"{name}必须是字符串")
    return str(value)


class InterviewApi:
    """Serves the interview operations on a :class:`World` in the tenant's time zone."""

    def __init__(
        self,
        world: World,
        zone: tzinfo,
        *,
        on_change: OnChange,
        record_query: RecordQuery = lambda filters, ids: None,
        shuffled: Shuffle = list,
        clock: Callable[[], float] = time.monotonic,
        left_out: Collection[str] = frozenset(),
    ) -> None:
        self.world = world
        self._left_out = left_out
        """Ids batch answers do not mention though the platform acted on them."""
        self.zone = zone
        self._on_change = on_change
        self._record_query = record_query
        self._shuffled = shuffled
        self._clock = clock
        self._replays: dict[tuple[str, str], _Replay] = {}

    def handle(self, operation: str, request: httpx.Request, body: Any) -> httpx.Response:
        """Run ``operation``; business failures become ``999`` answers with a displayCode."""
        try:
            if operation == "list":
                return self._list(body if isinstance(body, dict) else {})
            if operation == "detail":
                return self._detail(request.url.params.get("id", ""))
            if operation in ("terminate", "revoke"):
                return self._single(operation, body)
            return self._batch(Verb(operation.removeprefix("batch")), body)
        except SessionNotFound as exc:
            return business_error("HRC-AIV-100404", id=str(exc.details.get("id", "")))
        except BadRequest as exc:
            return business_error("HRC-AIV-100400", detail=str(exc))

    # -- reads -------------------------------------------------------------------------------

    def _get(self, session_id: str) -> WorldSession:
        try:
            return self.world.get(session_id)
        except SessionNotFound:
            raise SessionNotFound("no such session", id=session_id) from None

    def _detail(self, session_id: str) -> httpx.Response:
        if not session_id:
            raise BadRequest("id不能为空")
        return ok(session_record(self._get(session_id), self.zone))

    def _list(self, body: dict[str, Any]) -> httpx.Response:
        page_index = _bounded(body.get("pageIndex", 1), "pageIndex", 1, 1_000_000)
        page_size = _bounded(body.get("pageSize", 10), "pageSize", 1, MAX_PAGE_SIZE)
        keep = self._matcher(body)
        rows = [s for s in self.world.sessions.values() if keep(s)]
        start = (page_index - 1) * page_size
        page = rows[start : start + page_size]
        self._record_query(self._filters_of(body), (s.id for s in page))
        data = {
            "pageIndex": page_index,
            "pageSize": page_size,
            "recordCount": len(rows),
            "pageCount": -(-len(rows) // page_size),
            "recordList": [session_record(s, self.zone) for s in page],
        }
        return ok(data)

    def _matcher(self, body: dict[str, Any]) -> Callable[[WorldSession], bool]:
        statuses = body.get("status")
        if isinstance(statuses, str):
            statuses = [statuses]
        if statuses is not None and not isinstance(statuses, list):
            raise BadRequest("status必须是字符串或字符串数组")
        candidate = _text(body.get("candidateId"), "candidateId")
        position = _text(body.get("positionId"), "positionId")
        batch_no = _text(body.get("batchNo"), "batchNo")
        begin_from = self._time(body.get("beginTimeStart"), "beginTimeStart")
        begin_to = self._time(body.get("beginTimeEnd"), "beginTimeEnd")

        def keep(s: WorldSession) -> bool:
            return (
                (not statuses or status_of(s) in statuses)
                and (candidate is None or s.candidate_id == candidate)
                and (position is None or s.position.id == position)
                and (batch_no is None or s.batch_no == batch_no)
                and (begin_from is None or s.scheduled_at >= begin_from)
                and (begin_to is None or s.scheduled_at < begin_to)
            )

        return keep

    def _filters_of(self, body: dict[str, Any]) -> dict[FilterField, Any]:
        """The filters this listing evaluated, as neutral fields and values (validated)."""
        found: dict[FilterField, Any] = {}
        statuses = body.get("status")
        if statuses:
            listed = [statuses] if isinstance(statuses, str) else statuses
            found[FilterField.STATE] = frozenset(
                _STATE_OF.get(str(s), SessionState.UNKNOWN) for s in listed
            )
        for name, field in (
            ("candidateId", FilterField.CANDIDATE),
            ("positionId", FilterField.POSITION),
            ("batchNo", FilterField.BATCH_NO),
        ):
            if body.get(name) is not None:
                found[field] = str(body[name])
        for name, field in (
            ("beginTimeStart", FilterField.START_FROM),
            ("beginTimeEnd", FilterField.START_TO),
        ):
            moment = self._time(body.get(name), name)
            if moment is not None:
                found[field] = moment
        return found

    def _time(self, value: Any, name: str) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            local = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise BadRequest(f"{name}格式应为yyyy-MM-dd HH:mm:ss") from None
        return local.replace(tzinfo=self.zone)

    # -- writes ------------------------------------------------------------------------------

    def _single(self, operation: str, body: Any) -> httpx.Response:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise BadRequest('请求体应为{"data":{…}}')
        session_id = _text(data.get("id"), "id") or ""
        key = _text(data.get("resubmitCheckKey"), "resubmitCheckKey")
        if key is not None and not 0 < len(key) <= 32:
            raise BadRequest("resubmitCheckKey长度应为1-32位")
        if key is not None and (replayed := self._replayed(operation, key)) is not None:
            return replayed
        verb = Verb(operation)
        try:
            record = self._apply(verb, session_id, _reason(data))
        except InvalidTransition:
            return self._refusal(verb, session_id)
        answer = ok(record)
        if key is not None:
            self._replays[(operation, key)] = _Replay(answer, self._clock(), session_id)
        return answer

    def _replayed(self, operation: str, key: str) -> httpx.Response | None:
        replay = self._replays.get((operation, key))
        if replay is None:
            return None
        if self._clock() - replay.at <= REPLAY_WINDOW_S:
            return replay.body
        # After the replay window the platform only confirms the duplicate and names the id.
        return platform_answer(
            DUPLICATE_SUBMISSION, "幂等接口，重复提交请求", {"id": replay.session_id}
        )

    def _apply(self, verb: Verb, session_id: str, reason: str | None) -> dict[str, Any]:
        session = self._get(session_id)
        before = status_of(session)
        if session.vendor_state_override is not None:
            raise InvalidTransition("archived", from_state="unknown", verb=str(verb))
        transition = self.world.apply(session_id, verb, reason=reason)
        if not transition.already_in_state:
            self._on_change(session)
        return session_record(session, self.zone) | {"preStatus": before}

    def _refusal(self, verb: Verb, session_id: str) -> httpx.Response:
        status = status_of(self._get(session_id))
        name = STATUS_NAME.get(status, status)
        return business_error("HRC-AIV-100409", status_name=name, action=ACTION_NAME[verb])

    def _batch(self, verb: Verb, body: Any) -> httpx.Response:
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise BadRequest('请求体应为{"data":[…]}')
        if len(items) > MAX_BATCH:
            raise BadRequest(f"单次最多{MAX_BATCH}条")
        infos: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for item in items:
            session_id = _text(item.get("id") if isinstance(item, dict) else None, "id") or ""
            try:
                infos.append(self._apply(verb, session_id, _reason(item)))
            except SessionNotFound:
                messages.append(_item_failure(session_id, "HRC-AIV-100404", id=session_id))
            except InvalidTransition:
                status = status_of(self.world.get(session_id))
                failure = _item_failure(
                    session_id,
                    "HRC-AIV-100409",
                    status_name=STATUS_NAME.get(status, status),
                    action=ACTION_NAME[verb],
                )
                messages.append(failure | {"status": status})
        data = {
            "count": len(items),
            "sucessCount": len(infos),  # sic: the platform's own spelling
            "failCount": len(messages),
            "messages": self._shuffled(self._mentioned(messages)),  # no documented order
            "infos": self._shuffled(self._mentioned(infos)),
        }
        return ok(data)

    def _mentioned(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The batch answer's records and failures, less those it is told to leave out."""
        return [i for i in items if i.get("id") not in self._left_out]


def _reason(item: dict[str, Any]) -> str | None:
    """The reason the tenant API records with a change: ``reasonCode`` and ``reasonNote``."""
    return reason_text(
        _text(item.get("reasonCode"), "reasonCode"), _text(item.get("reasonNote"), "reasonNote")
    )


def _item_failure(session_id: str, display_code: str, **fields: str) -> dict[str, Any]:
    message = DISPLAY_CODES[display_code].format(**fields)
    return {"id": session_id, "code": "999", "displayCode": display_code, "message": message}


def _bounded(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{name}应为{low}-{high}之间的整数")
    return value
