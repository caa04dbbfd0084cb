"""Tolerant models of Beisen's payloads: camelCase aliases, unknown fields ignored.

Times are Beisen's zone-less local date-times (``"2021-08-31T21:00:00"``); they are parsed here
to *naive* datetimes and given their zone by :mod:`interlock_beisen._mapping`, from the
account's configured time zone. A time in any other shape fails validation, which the client
turns into ``VENDOR.PROTOCOL_ERROR`` naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "BatchResult",
    "ControlReply",
    "Interview",
    "InterviewBatch",
    "JobRecord",
    "LocalDateTime",
    "OAuthTokenReply",
    "TokenReply",
]

_LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$")


def _local(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _LOCAL_RE.match(value):
        raise ValueError("expected a zone-less local date-time yyyy-MM-ddTHH:mm:ss")
    return datetime.fromisoformat(value[:26])


LocalDateTime = Annotated[datetime | None, BeforeValidator(_local)]
"""A Beisen local date-time, naive (its zone is the account's)."""


class _Vendor(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class TokenReply(BaseModel):
    """``POST /token``: ``expires_in`` is a number of seconds."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: Annotated[str, Field(min_length=1)]
    token_type: str | None = None
    expires_in: Annotated[int, Field(gt=0)]
    refresh_token: str | None = None


class OAuthTokenReply(BaseModel):
    """``POST /OAuth/Token``: every value a string; ``expires_in`` seconds *or* an epoch."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: Annotated[str, Field(min_length=1)]
    expires_in: Annotated[int, Field(gt=0)]  # lax mode reads "7200" as 7200
    tenant_id: str | None = None
    user_id: str | None = None


class Interview(_Vendor):
    """One AI interview (``Interview/GetInterviewById`` and the list endpoints)."""

    interview_id: Annotated[str, Field(min_length=1)]
    apply_id: str | None = None
    applicant_id: str
    applicant_name: str = ""
    applicant_mobile: str | None = None
    job_id: str
    job_name: str = ""
    job_level: str | None = None
    org_name: str | None = None
    job_duty_user_ids: list[str] = []
    interview_type: str | None = None
    arrange_batch_no: str | None = None
    interview_time: LocalDateTime = None
    actual_start_time: LocalDateTime = None
    interview_status: Annotated[str, Field(min_length=1)]
    completion_rate: Annotated[float, Field(ge=0, le=100)] | None = None
    resume_deadline: LocalDateTime = None
    modified_time: LocalDateTime = None


class InterviewBatch(_Vendor):
    """One batch of ``Interview/GetInterviewsByDate`` (``batchId`` → ``nextBatchId``)."""

    total: int = 0
    next_batch_id: str | None = None
    is_last_batch: bool
    items: list[Interview]


class ControlReply(_Vendor):
    """``data`` of a single suspend/resume/terminate."""

    interview_id: str
    previous_status: str | None = None
    interview_status: Annotated[str, Field(min_length=1)]


class BatchResult(_Vendor):
    """A batch write's outcome, in the shape of ``Apply/TransferPhase``."""

    total_count: int
    interview_deleted_ids: list[str] = []
    interview_status_not_allowed_ids: list[str] = []
    interview_resume_deadline_passed_ids: list[str] = []
    interview_already_in_target_status_ids: list[str] = []


class JobRecord(_Vendor):
    """``data`` of ``AsyncApiExecInfo/GetByRequestId``."""

    request_id: str | None = None
    state: Annotated[str, Field(min_length=1)]
    message: str | None = None
    result: BatchResult | None = None
