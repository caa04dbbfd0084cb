"""Pure functions between Yonyou's shapes and Interlock's neutral models.

YonBIP business times are ``yyyy-MM-dd HH:mm:ss`` strings without a zone: they are the tenant's
local time, so every conversion here takes the account's zone explicitly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from interlock import errors
from interlock.adapter import invalid_page_token
from interlock.models import (
    Candidate,
    OperationOutcome,
    OperationResult,
    Position,
    Reason,
    Session,
    SessionFilter,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.privacy import mask_name, mask_phone
from interlock_yonyou._models import SessionRecord

__all__ = [
    "MAX_PAGE_SIZE",
    "STATE_TABLE",
    "VENDOR_STATUS_OF",
    "decode_page_token",
    "encode_page_token",
    "format_local",
    "list_body",
    "parse_local",
    "reason_item",
    "result_from_record",
    "to_session",
    "to_state",
]

STATE_TABLE: dict[str, SessionState] = {
    "0": SessionState.SCHEDULED,  # 待开始
    "1": SessionState.IN_PROGRESS,  # 进行中
    "2": SessionState.PAUSED,  # 已暂停 (set in the tenant's own console; no API for it)
    "3": SessionState.COMPLETED,  # 已完成
    "4": SessionState.TERMINATED,  # 已终止
    "5": SessionState.REVOKED,  # 已撤销
    "6": SessionState.EXPIRED,  # 已过期
}
VENDOR_STATUS_OF = {state: status for status, state in STATE_TABLE.items()}
MAX_PAGE_SIZE = 500
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def to_state(status: str) -> SessionState:
    """A status we do not know is ``unknown`` — never a guess."""
    return STATE_TABLE.get(status, SessionState.UNKNOWN)


def parse_local(value: str | None, zone: tzinfo, field: str) -> datetime | None:
    """A tenant-local ``yyyy-MM-dd[ HH:mm:ss]`` string as an aware UTC datetime.

    :raises VendorProtocolError: naming ``field`` when the string has another shape (an empty
        one too: the tenant API omits an absent time, see ``VENDOR_API.md``).
    """
    if value is None:
        return None
    for fmt in _FORMATS:
        try:
            local = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=zone).astimezone(UTC)
    raise errors.VendorProtocolError(
        f"yonyou: {field} is not a 'yyyy-MM-dd HH:mm:ss' time", field=field
    )


def format_local(value: datetime, zone: tzinfo, *, round_up: bool = False) -> str:
    """``value`` as the tenant's local ``yyyy-MM-dd HH:mm:ss`` (whole seconds).

    ``round_up`` rounds a fractional second up, so that an exclusive upper bound never drops a
    session the neutral filter would keep (the adapter re-checks every row anyway).
    """
    local = value.astimezone(zone)
    if round_up and local.microsecond:
        local += timedelta(seconds=1)
    return local.strftime("%Y-%m-%d %H:%M:%S")


def to_session(account: str, raw: SessionRecord, zone: tzinfo) -> Session:
    """The neutral session; the name and phone are masked here and go no further raw."""
    return Session(
        ref=SessionRef(account=account, session_id=raw.id),
        state=to_state(raw.status),
        vendor_state=raw.status,
        candidate=Candidate(
            id=raw.candidate_id,
            masked_name=mask_name(raw.candidate_name),
            full_name=raw.candidate_name or None,  # in memory only: for search (see Candidate)
            masked_phone=mask_phone(raw.candidate_mobile) if raw.candidate_mobile else None,
        ),
        position=Position(
            id=raw.position_id,
            title=raw.position_name,
            level=raw.position_level,
            department=raw.dept_code,
            owner_ids=tuple(raw.owner_ids),
        ),
        batch_no=raw.batch_no,
        scheduled_at=parse_local(raw.begin_time, zone, "beginTime"),
        started_at=parse_local(raw.start_time, zone, "startTime"),
        progress=None if raw.progress is None else raw.progress / 100,
        resume_deadline=parse_local(raw.pause_deadline, zone, "pauseDeadline"),
        vendor_data=_vendor_data(raw),
    )


def _vendor_data(raw: SessionRecord) -> dict[str, Any]:
    extras = {"statusName": raw.status_name, "pubts": raw.pubts}
    return {k: v for k, v in extras.items() if v is not None}


def list_body(
    session_filter: SessionFilter, zone: tzinfo, page_index: int, page_size: int
) -> dict[str, Any]:
    """The list API's body: paging plus the filters the tenant API evaluates itself."""
    body: dict[str, Any] = {"pageIndex": page_index, "pageSize": page_size}
    states = session_filter.states
    if states and all(s in VENDOR_STATUS_OF for s in states):
        body["status"] = sorted(VENDOR_STATUS_OF[s] for s in states)
    if session_filter.batch_no is not None:
        body["batchNo"] = session_filter.batch_no
    if session_filter.start_from is not None:
        body["beginTimeStart"] = format_local(session_filter.start_from, zone)
    if session_filter.start_to is not None:
        body["beginTimeEnd"] = format_local(session_filter.start_to, zone, round_up=True)
    return body


def encode_page_token(page_index: int, page_size: int) -> str:
    """The next page, as an opaque token (the page size travels with it so pages line up)."""
    return f"{page_index}.{page_size}"


def decode_page_token(token: str | None, page_size: int) -> tuple[int, int]:
    """``(pageIndex, pageSize)`` for a token of :func:`encode_page_token` (first page: None).

    :raises InvalidRequest: the token did not come from this adapter.
    """
    if not token:
        return 1, max(1, min(page_size, MAX_PAGE_SIZE))
    index_text, _, size_text = token.partition(".")
    if index_text.isdigit() and size_text.isdigit():
        index, size = int(index_text), int(size_text)
        if index >= 1 and 1 <= size <= MAX_PAGE_SIZE:
            return index, size
    raise invalid_page_token("yonyou")


def reason_item(session_id: str, reason: Reason) -> dict[str, Any]:
    """One ``data`` item of a write: the id and the reason (absent note omitted, not null)."""
    item: dict[str, Any] = {"id": session_id, "reasonCode": str(reason.code)}
    if reason.note:
        item["reasonNote"] = reason.note
    return item


def result_from_record(
    ref: SessionRef, verb: Verb, record: SessionRecord, key: str
) -> OperationResult:
    """The result of a write, from the record the vendor returned (``preStatus``)."""
    before = to_state(record.pre_status) if record.pre_status is not None else None
    changed = record.pre_status is None or record.pre_status != record.status
    return OperationResult(
        ref=ref,
        verb=verb,
        outcome=OperationOutcome.APPLIED if changed else OperationOutcome.ALREADY_IN_STATE,
        state_before=before,
        state_after=to_state(record.status),
        idempotency_key=key,
    )
