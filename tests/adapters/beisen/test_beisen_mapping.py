"""Recorded Beisen JSON → neutral models and errors, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from beisen_support import SHANGHAI, recorded, recorded_body

from interlock import errors
from interlock.models import SessionState
from interlock_beisen._interpret import interpret, interpret_as, interpret_token
from interlock_beisen._jobs import item_causes
from interlock_beisen._mapping import from_local, to_local_text, to_session, to_state
from interlock_beisen._models import (
    Interview,
    InterviewBatch,
    JobRecord,
    OAuthTokenReply,
    TokenReply,
)

# -- every error layer, read from recorded responses -------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "error", "code"),
    [
        ("gateway__unauthorized", errors.VendorTokenExpired, "VENDOR.AUTH_FAILED"),
        ("gateway__authorization_empty", errors.VendorAuthFailed, "VENDOR.AUTH_FAILED"),
        ("gateway__ip_not_trusted", errors.VendorPermissionDenied, "VENDOR.PERMISSION_DENIED"),
        ("gateway__rate_limited", errors.VendorRateLimited, "VENDOR.RATE_LIMITED"),
        ("gateway__daily_quota", errors.VendorQuotaExhausted, "VENDOR.QUOTA_EXHAUSTED"),
        ("gateway__not_found", errors.VendorProtocolError, "VENDOR.PROTOCOL_ERROR"),
        ("gateway__server_error", errors.VendorUnavailable, "VENDOR.UNAVAILABLE"),
        ("business__server_busy", errors.VendorUnavailable, "VENDOR.UNAVAILABLE"),
        ("interview_get__not_found", errors.SessionNotFound, "SESSION.NOT_FOUND"),
        ("job__not_found", errors.SessionNotFound, "SESSION.NOT_FOUND"),
        (
            "interview_terminate__status_refused",
            errors.InvalidTransition,
            "SESSION.INVALID_TRANSITION",
        ),
        (
            "interviews_by_date__start_not_before_end",
            errors.VendorProtocolError,
            "VENDOR.PROTOCOL_ERROR",
        ),
        ("applies_by_apply_id__too_many", errors.VendorProtocolError, "VENDOR.PROTOCOL_ERROR"),
    ],
)
def test_business_and_gateway_errors_translate(
    fixture: str, error: type[errors.InterlockError], code: str
) -> None:
    with pytest.raises(error) as caught:
        interpret(recorded(fixture))
    assert type(caught.value) is error
    assert caught.value.code == code


def test_business_errors_inside_http_200_quote_beisen() -> None:
    response = recorded("interviews_by_date__start_not_before_end")
    assert response.status_code == 200
    with pytest.raises(errors.VendorProtocolError, match="开始时间不能大于等于结束时间"):
        interpret(response)
    with pytest.raises(errors.VendorProtocolError, match="一次最多允许查100个"):
        interpret(recorded("applies_by_apply_id__too_many"))


def test_the_ip_refusal_is_quoted_whole() -> None:
    with pytest.raises(errors.VendorPermissionDenied) as caught:
        interpret(recorded("gateway__ip_not_trusted"))
    assert "当前调用端的IP不在受信IP范围内...当前请求IP：113.110.144.78" in str(caught.value)
    assert "trusted-IP" in (caught.value.hint or "")


def test_rate_limit_without_retry_after_waits_the_window_out() -> None:
    with pytest.raises(errors.VendorRateLimited) as caught:
        interpret(recorded("gateway__rate_limited"))
    assert caught.value.retry_after == 1.0


def test_rate_limit_with_retry_after_says_so() -> None:
    with pytest.raises(errors.VendorRateLimited) as caught:
        interpret(recorded("gateway__rate_limited__retry_after"))
    assert caught.value.retry_after == 37.0


def test_the_vendor_request_id_travels_with_errors() -> None:
    response = recorded("interview_get__not_found")
    with pytest.raises(errors.SessionNotFound) as caught:
        interpret(response)
    assert caught.value.details["vendor_request_id"] == response.headers["x-paas-request-id"]


@pytest.mark.parametrize(
    ("fixture", "error", "vendor_code"),
    [
        ("token__no_content_type", errors.VendorProtocolError, "400006"),
        ("token__unsupported_grant_type", errors.VendorProtocolError, "400002"),
        ("token__invalid_client", errors.VendorAuthFailed, "400003"),
        ("token__invalid_grant", errors.VendorAuthFailed, "400004"),
        ("oauth_token__invalid_tenantid", errors.VendorAuthFailed, "invalid_tenantid"),
    ],
)
def test_token_endpoint_errors_are_oauth_style(
    fixture: str, error: type[errors.VendorError], vendor_code: str
) -> None:
    with pytest.raises(error) as caught:
        interpret_token(TokenReply)(recorded(fixture))
    assert type(caught.value) is error
    assert caught.value.vendor_code == vendor_code


def test_missing_content_type_quotes_beisen() -> None:
    with pytest.raises(errors.VendorProtocolError, match="找不到 Content-Type"):
        interpret_token(TokenReply)(recorded("token__no_content_type"))


# -- tokens ------------------------------------------------------------------------------------


def test_token_reply() -> None:
    token = interpret_token(TokenReply)(recorded("token__client_credentials"))
    assert token.token_type == "bearer"
    assert token.expires_in == 7200
    assert token.refresh_token


@pytest.mark.parametrize(
    ("fixture", "expires_in"),
    [("oauth_token__seconds", 7200), ("oauth_token__documented_demo", 1479202744)],
)
def test_oauth_token_reply_has_string_values(fixture: str, expires_in: int) -> None:
    assert isinstance(recorded_body(fixture)["expires_in"], str)
    token = interpret_token(OAuthTokenReply)(recorded(fixture))
    assert token.expires_in == expires_in
    assert token.tenant_id == "204402"


# -- interviews --------------------------------------------------------------------------------


def test_an_interview_maps_with_pii_masked_and_times_in_utc() -> None:
    raw = interpret_as(Interview)(recorded("interview_get__in_progress"))
    session = to_session("beisen-cn", raw, SHANGHAI)
    assert session.ref.name == f"accounts/beisen-cn/sessions/{raw.interview_id}"
    assert session.state is SessionState.IN_PROGRESS
    assert session.vendor_state == "InProgress"
    assert session.candidate.masked_name == "王*"
    assert session.candidate.masked_phone == "138****9391"
    assert session.position.title == "Frontend Engineer"
    assert session.position.owner_ids == ("user02", "hr-admin")
    assert session.batch_no == "B20261126-02"
    assert session.progress == pytest.approx(0.06)
    # "2026-11-25T20:00:00" is Shanghai wall-clock time (UTC+8).
    assert session.scheduled_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert session.started_at == datetime(2026, 11, 25, 12, 5, tzinfo=UTC)
    dumped = session.model_dump_json()
    assert "王芳" not in dumped
    assert "13834549391" not in dumped


def test_the_account_time_zone_gives_zone_less_times_their_meaning() -> None:
    raw = interpret_as(Interview)(recorded("interview_get__in_progress"))
    in_utc = to_session("a", raw, ZoneInfo("UTC"))
    in_shanghai = to_session("a", raw, SHANGHAI)
    assert in_utc.scheduled_at == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert in_utc.scheduled_at != in_shanghai.scheduled_at


def test_a_paused_interview_carries_its_resume_deadline() -> None:
    raw = interpret_as(Interview)(recorded("interview_get__paused"))
    session = to_session("a", raw, SHANGHAI)
    assert session.state is SessionState.PAUSED
    assert session.resume_deadline is not None
    assert session.resume_deadline.tzinfo is not None


def test_an_unknown_status_is_unknown_not_a_guess() -> None:
    raw = interpret_as(Interview)(recorded("interview_get__unknown_status"))
    session = to_session("a", raw, SHANGHAI)
    assert session.state is SessionState.UNKNOWN
    assert session.vendor_state == "Archived"
    assert to_state("Paused") is SessionState.UNKNOWN  # close is not equal


@pytest.mark.parametrize(
    ("fixture", "field"),
    [
        ("interview_get__malformed_time", "data.interviewTime"),
        ("interview_get__missing_status", "data.interviewStatus"),
    ],
)
def test_a_malformed_payload_names_the_field(fixture: str, field: str) -> None:
    with pytest.raises(errors.VendorProtocolError) as caught:
        interpret_as(Interview)(recorded(fixture))
    assert caught.value.field == field
    assert field in str(caught.value)
    assert "2026/11/25" not in str(caught.value)  # never the offending value (it may be PII)


def test_a_string_code_is_accepted_like_other_beisen_product_lines() -> None:
    raw = interpret_as(Interview)(recorded("interview_get__string_code"))
    assert raw.interview_status == "InProgress"


def test_a_batch_of_interviews() -> None:
    batch = interpret_as(InterviewBatch)(recorded("interviews_by_date__first_batch"))
    assert len(batch.items) == 3
    assert batch.is_last_batch is False
    assert batch.next_batch_id
    assert batch.total > 3


# -- local times -------------------------------------------------------------------------------


def test_local_text_rounds_only_when_asked() -> None:
    instant = datetime(2026, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)
    assert to_local_text(instant, SHANGHAI, round_up=False) == "2026-01-01T08:00:00"
    assert to_local_text(instant, SHANGHAI, round_up=True) == "2026-01-01T08:00:01"


def test_from_local_reads_in_the_zone() -> None:
    naive = datetime(2026, 7, 1, 9, 0)
    assert from_local(naive, SHANGHAI) == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    assert from_local(None, SHANGHAI) is None


# -- asynchronous jobs -------------------------------------------------------------------------

JOB_ID = "5f0c1d5e-8d8e-4a43-9d0e-2f4b7e0c9a11"


def test_a_partial_job_names_each_failed_item() -> None:
    record = interpret_as(JobRecord)(recorded("job__partial_success"))
    assert record.state == "PartialSuccess"
    result = recorded_body("job__partial_success")["data"]["result"]
    sent = [
        *result["interviewDeletedIds"],
        *result["interviewStatusNotAllowedIds"],
        *result["interviewAlreadyInTargetStatusIds"],
        "00000000-0000-4000-8000-000000000001",
    ]
    causes = item_causes(record, sent, JOB_ID)
    assert causes[result["interviewDeletedIds"][0]] == "interviewDeletedIds"
    assert "00000000-0000-4000-8000-000000000001" not in causes


def test_a_job_whose_count_disagrees_is_not_trusted() -> None:
    record = interpret_as(JobRecord)(recorded("job__partial_success"))
    with pytest.raises(errors.VendorProtocolError) as caught:
        item_causes(record, ["only-one"], JOB_ID)
    assert caught.value.field == "data.result.totalCount"
    assert caught.value.vendor_request_id == JOB_ID


@pytest.mark.parametrize(
    ("fixture", "state"), [("job__running", "Running"), ("job__overtime", "Overtime")]
)
def test_job_states(fixture: str, state: str) -> None:
    assert interpret_as(JobRecord)(recorded(fixture)).state == state
