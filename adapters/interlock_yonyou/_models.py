"""Tolerant models of Yonyou payloads: unknown fields are ignored, vendor casing is aliased.

Codes and ids may arrive as strings or numbers (YonBIP's docs show both), so they are read as
strings. Business times stay strings here; ``_mapping`` reads them in the tenant's zone.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "AccessToken",
    "BatchFailure",
    "BatchResult",
    "GatewayAddress",
    "PushEnvelope",
    "PushEvent",
    "SessionPage",
    "SessionRecord",
]


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_as_text)]
"""A string that the vendor may also send as a number (ids, codes, statuses)."""


class _Vendor(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class GatewayAddress(_Vendor):
    """``data`` of ``getGatewayAddress``: this tenant's gateway and token hosts."""

    gateway_url: Annotated[str, Field(alias="gatewayUrl", pattern=r"^https?://")]
    token_url: Annotated[str, Field(alias="tokenUrl", pattern=r"^https?://")]


class AccessToken(_Vendor):
    """``data`` of ``getAccessToken``."""

    access_token: Annotated[str, Field(min_length=1)]
    expire: Annotated[int, Field(gt=0)]


class SessionRecord(_Vendor):
    """One interview session of the tenant API (raw personal data: masked by ``_mapping``)."""

    id: Text
    status: Text
    status_name: str | None = Field(default=None, alias="statusName")
    candidate_id: Text = Field(alias="candidateId")
    candidate_name: str = Field(default="", alias="candidateName")
    candidate_mobile: Text | None = Field(default=None, alias="candidateMobile")
    position_id: Text = Field(alias="positionId")
    position_name: str = Field(default="", alias="positionName")
    position_level: str | None = Field(default=None, alias="positionLevel")
    dept_code: str | None = Field(default=None, alias="deptCode")
    owner_ids: list[Text] = Field(default_factory=list, alias="ownerIds")
    batch_no: str | None = Field(default=None, alias="batchNo")
    begin_time: str | None = Field(default=None, alias="beginTime")
    start_time: str | None = Field(default=None, alias="startTime")
    progress: Annotated[float, Field(ge=0, le=100)] | None = None
    pause_deadline: str | None = Field(default=None, alias="pauseDeadline")
    pubts: str | None = None
    pre_status: Text | None = Field(default=None, alias="preStatus")
    """Only in write answers: the status before the write (equal to ``status``: no change)."""


class SessionPage(_Vendor):
    """``data`` of the list API (YonBIP paging)."""

    page_index: int = Field(alias="pageIndex")
    page_size: int = Field(alias="pageSize")
    record_count: int = Field(default=0, alias="recordCount")
    page_count: int = Field(default=0, alias="pageCount")
    record_list: list[SessionRecord] = Field(default_factory=list, alias="recordList")


class BatchFailure(_Vendor):
    """One entry of a batch answer's ``messages`` (objects here; plain strings are tolerated)."""

    id: Text | None = None
    code: Text | None = None
    display_code: str | None = Field(default=None, alias="displayCode")
    message: str = ""
    status: Text | None = None


class BatchResult(_Vendor):
    """``data`` of a batch write: ``code "200"`` even when some items failed."""

    count: int = 0
    success_count: int = Field(
        default=0, validation_alias=AliasChoices("sucessCount", "successCount")
    )
    fail_count: int = Field(default=0, alias="failCount")
    messages: list[BatchFailure | str] = Field(default_factory=list)
    infos: list[SessionRecord] = Field(default_factory=list)


class PushEnvelope(_Vendor):
    """What the open platform POSTs to the callback URL."""

    msg_signature: Annotated[str, Field(alias="msgSignature", min_length=1)]
    timestamp: Text
    nonce: Annotated[str, Field(min_length=1)]
    encrypt: Annotated[str, Field(min_length=1)]


class PushEvent(_Vendor):
    """A decrypted event: the official envelope plus the interview API's ids and status."""

    type: str
    event_id: str = Field(alias="eventId")
    timestamp: int | None = None
    tenant_id: str | None = Field(default=None, alias="tenantId")
    session_ids: list[Text] = Field(default_factory=list, alias="sessionId")
    status: Text | None = None
