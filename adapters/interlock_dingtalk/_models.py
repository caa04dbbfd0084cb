"""Tolerant models of DingTalk's payloads: camelCase aliases, unknown fields ignored.

They are validated inside the response interpreter, so a payload that does not fit becomes
``VENDOR.PROTOCOL_ERROR`` naming the field (``list.3.status``), never a crash.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "Millis",
    "VendorBatch",
    "VendorBatchItem",
    "VendorChange",
    "VendorJob",
    "VendorJobOwner",
    "VendorPushEnvelope",
    "VendorPushEvent",
    "VendorSession",
    "VendorSessionPage",
    "VendorToken",
]

Millis = Annotated[int, Field(ge=0, le=253_402_300_799_999)]
"""Epoch milliseconds, DingTalk's only time format (bounded to years 1970..9999)."""


class _Vendor(BaseModel):
    # DingTalk ids are strings, but a tolerant reader accepts a number where a string belongs.
    # Errors never echo the input: payloads carry candidates' names and phones, and tokens.
    model_config = ConfigDict(
        extra="ignore",
        hide_input_in_errors=True,
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
        coerce_numbers_to_str=True,
    )


class VendorToken(_Vendor):
    """``POST /v1.0/oauth2/accessToken`` and ``/corpAccessToken``."""

    access_token: Annotated[str, Field(min_length=1, repr=False)]
    expire_in: Annotated[int, Field(gt=0)]


class VendorSession(_Vendor):
    """One AI-interview session (DingTalk-style extension; raw PII stays in here)."""

    session_id: Annotated[str, Field(min_length=1)]
    interview_id: str | None = None
    status: Annotated[str, Field(min_length=1)]
    candidate_id: Annotated[str, Field(min_length=1)]
    candidate_name: str = Field(default="", repr=False)
    candidate_phone: str | None = Field(default=None, repr=False)
    job_id: Annotated[str, Field(min_length=1)]
    job_name: str | None = None
    job_level: str | None = None
    batch_no: str | None = None
    start_time_millis: Millis | None = None
    end_time_millis: Millis | None = None
    interview_date: date | None = None
    actual_start_time_millis: Millis | None = None
    progress: Annotated[float, Field(ge=0, le=100)] | None = None
    resume_deadline_millis: Millis | None = None
    gmt_modified_millis: Millis | None = None


class VendorSessionPage(_Vendor):
    """The page shape DingTalk uses for ``interviews/query`` (and so for our extension)."""

    total_count: int | None = None
    has_more: bool = False
    next_token: str | None = None
    items: list[VendorSession] = Field(default_factory=list, alias="list")


class VendorChange(_Vendor):
    """The answer to a single pause/resume/terminate/cancel (also when nothing changed)."""

    session_id: Annotated[str, Field(min_length=1)]
    previous_status: Annotated[str, Field(min_length=1)]
    status: Annotated[str, Field(min_length=1)]
    status_changed: bool
    request_id: str | None = None


class VendorBatchItem(_Vendor):
    session_id: Annotated[str, Field(min_length=1)]
    success: bool
    previous_status: str | None = None
    status: str | None = None
    status_changed: bool = False
    error_code: str | None = None
    error_message: str | None = None


class VendorBatch(_Vendor):
    total_count: int | None = None
    success_count: int | None = None
    failed_count: int | None = None
    results: list[VendorBatchItem]


class VendorJobOwner(_Vendor):
    user_id: Annotated[str, Field(min_length=1)]
    name: str | None = Field(default=None, repr=False)


class VendorJob(_Vendor):
    """``GET /v1.0/ats/jobs/{jobId}/info`` (documented): the source of position ownership."""

    job_id: Annotated[str, Field(min_length=1)]
    name: str = ""
    head_count: int | None = None
    main_dept_id: int | None = None
    main_dept_name: str | None = None
    create_time: Millis | None = None
    job_owners: list[VendorJobOwner] = Field(default_factory=list)


class VendorPushEnvelope(_Vendor):
    """The body of an HTTP event push."""

    encrypt: Annotated[str, Field(min_length=1)]


class VendorPushEvent(_Vendor):
    """A decrypted push. ``EventType`` is PascalCase on the wire, the rest camelCase."""

    event_type: str = Field(alias="EventType")
    event_id: str | None = None
    corp_id: str | None = None
    session_id: str | None = None
    status: str | None = None
    previous_status: str | None = None
    change_time_millis: Millis | None = None
