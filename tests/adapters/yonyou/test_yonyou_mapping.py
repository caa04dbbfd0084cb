"""Recorded YonBIP payloads → neutral models and errors, without any HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError
from yonyou_helpers import SHANGHAI, load

from interlock import errors
from interlock.models import SessionFilter, SessionState
from interlock_yonyou._interpret import DuplicateSubmission, interpret_auth, interpret_business
from interlock_yonyou._mapping import (
    STATE_TABLE,
    decode_page_token,
    encode_page_token,
    format_local,
    list_body,
    parse_local,
    to_session,
    to_state,
)
from interlock_yonyou._models import (
    AccessToken,
    BatchFailure,
    BatchResult,
    GatewayAddress,
    SessionPage,
    SessionRecord,
)


def response(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def record(name: str) -> SessionRecord:
    return SessionRecord.model_validate(interpret_business(response(load(name))))


# -- sessions ---------------------------------------------------------------------------------


def test_detail_maps_to_a_neutral_session_with_masked_pii_and_utc_times() -> None:
    session = to_session("yy", record("session_detail__in_progress.json"), SHANGHAI)

    assert session.ref.name == "accounts/yy/sessions/5341482064376770"
    assert session.state is SessionState.IN_PROGRESS
    assert session.vendor_state == "1"
    assert session.candidate.masked_name == "李*"
    assert session.candidate.masked_phone == "135****3552"
    assert session.position.owner_ids == ("user01", "hr-admin")
    assert session.position.department == "rnd"
    # "2026-11-26 13:00:00" in Asia/Shanghai (UTC+8) is 05:00 UTC.
    assert session.scheduled_at == datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    assert session.started_at == datetime(2026, 11, 26, 5, 5, tzinfo=UTC)
    assert session.progress == pytest.approx(0.09)
    assert session.vendor_data == {"statusName": "进行中", "pubts": "2026-11-26 19:39:12"}
    dumped = session.model_dump_json()
    assert "李娜" not in dumped
    assert "13519163552" not in dumped


def test_the_same_local_time_means_another_instant_in_another_tenant_zone() -> None:
    raw = record("session_detail__in_progress.json")
    in_berlin = to_session("yy", raw, ZoneInfo("Europe/Berlin"))
    assert in_berlin.scheduled_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_an_unmapped_status_is_unknown_never_a_guess() -> None:
    session = to_session("yy", record("session_detail__unmapped_status.json"), SHANGHAI)
    assert session.state is SessionState.UNKNOWN
    assert session.vendor_state == "9"


def test_numeric_ids_and_statuses_are_read_as_strings_and_extras_are_ignored() -> None:
    session = to_session("yy", record("session_detail__numeric_id_and_status.json"), SHANGHAI)
    assert session.ref.session_id == "5341482064376770"
    assert session.state is SessionState.IN_PROGRESS


def test_a_malformed_time_is_a_protocol_error_naming_the_field() -> None:
    raw = record("session_detail__bad_begin_time.json")
    with pytest.raises(errors.VendorProtocolError) as caught:
        to_session("yy", raw, SHANGHAI)
    assert caught.value.field == "beginTime"


def test_a_record_without_status_fails_validation_on_that_field() -> None:
    with pytest.raises(ValidationError) as caught:
        record("session_detail__missing_status.json")
    assert caught.value.errors()[0]["loc"] == ("status",)


@pytest.mark.parametrize(("status", "state"), sorted(STATE_TABLE.items()), ids=sorted(STATE_TABLE))
def test_state_table(status: str, state: SessionState) -> None:
    assert to_state(status) is state


def test_date_only_values_are_midnight_local() -> None:
    assert parse_local("2026-11-26", SHANGHAI, "x") == datetime(2026, 11, 25, 16, tzinfo=UTC)
    assert parse_local(None, SHANGHAI, "x") is None


def test_an_empty_time_is_a_protocol_error_naming_its_field() -> None:
    # The tenant API omits an absent time; an empty string is a shape it does not document.
    with pytest.raises(errors.VendorProtocolError) as raised:
        parse_local("", SHANGHAI, "beginTime")
    assert raised.value.field == "beginTime"


def test_format_local_rounds_an_exclusive_upper_bound_up() -> None:
    instant = datetime(2026, 11, 26, 5, 0, 0, 500_000, tzinfo=UTC)
    assert format_local(instant, SHANGHAI) == "2026-11-26 13:00:00"
    assert format_local(instant, SHANGHAI, round_up=True) == "2026-11-26 13:00:01"


# -- pages and filters ------------------------------------------------------------------------


def test_a_page_carries_yonyou_paging_fields() -> None:
    page = SessionPage.model_validate(
        interpret_business(response(load("session_list__page_1_of_8.json")))
    )
    assert (page.page_index, page.page_size, page.record_count, page.page_count) == (1, 3, 24, 8)
    assert len(page.record_list) == 3


def test_numeric_success_code_200_is_accepted() -> None:
    data = interpret_business(response(load("session_list__last_page_numeric_code.json")))
    assert SessionPage.model_validate(data).page_index == 8


def test_list_body_sends_server_side_filters_in_tenant_local_time() -> None:
    session_filter = SessionFilter(
        states={SessionState.IN_PROGRESS, SessionState.SCHEDULED},
        position="6338035485622269",
        batch_no="B20261126-01",
        start_from=datetime(2026, 11, 26, 0, 0, tzinfo=UTC),
        start_to=datetime(2026, 11, 27, 0, 0, tzinfo=UTC),
    )
    assert list_body(session_filter, SHANGHAI, 2, 50) == {
        "pageIndex": 2,
        "pageSize": 50,
        "status": ["0", "1"],
        "batchNo": "B20261126-01",
        "beginTimeStart": "2026-11-26 08:00:00",
        "beginTimeEnd": "2026-11-27 08:00:00",
    }


def test_a_state_filter_with_unknown_is_left_to_the_adapter() -> None:
    body = list_body(SessionFilter(states={SessionState.UNKNOWN}), SHANGHAI, 1, 10)
    assert "status" not in body


def test_page_tokens_round_trip_and_foreign_tokens_are_refused() -> None:
    assert decode_page_token(None, 50) == (1, 50)
    assert decode_page_token(None, 10_000) == (1, 500)
    assert decode_page_token(encode_page_token(3, 20), 50) == (3, 20)
    for bad in ("abc", "0.20", "3.0", "3.100000", "3"):
        with pytest.raises(errors.InvalidRequest):
            decode_page_token(bad, 50)


# -- writes -----------------------------------------------------------------------------------


def test_a_write_answer_carries_the_status_before_and_after() -> None:
    applied = record("session_terminate__applied.json")
    assert (applied.pre_status, applied.status) == ("1", "4")
    again = record("session_terminate__already_terminated.json")
    assert again.pre_status == again.status == "4"


def test_a_duplicate_submission_is_a_success_not_an_error() -> None:
    data = interpret_business(response(load("session_terminate__duplicate_after_an_hour.json")))
    assert data == DuplicateSubmission()


def test_a_batch_partial_failure_is_code_200_with_per_item_messages() -> None:
    batch = BatchResult.model_validate(
        interpret_business(response(load("session_batchrevoke__partial_failure.json")))
    )
    assert (batch.count, batch.success_count, batch.fail_count) == (4, 2, 2)
    failures = [m for m in batch.messages if isinstance(m, BatchFailure)]
    assert [f.display_code for f in failures] == ["HRC-AIV-100404", "HRC-AIV-100409"]
    assert failures[1].status == "6"


def test_batch_messages_may_be_plain_strings() -> None:
    batch = BatchResult.model_validate(
        interpret_business(response(load("session_batchrevoke__string_messages.json")))
    )
    assert all(isinstance(m, str) for m in batch.messages)


# -- platform answers -------------------------------------------------------------------------


def test_discovery_and_token_answers() -> None:
    address = GatewayAddress.model_validate(interpret_auth(response(load("data_center__ok.json"))))
    assert address.gateway_url.endswith("/iuap-api-gateway")
    assert address.token_url.endswith("/iuap-api-auth")
    token = AccessToken.model_validate(interpret_auth(response(load("token__ok.json"))))
    assert token.expire == 7200


@pytest.mark.parametrize(
    ("fixture", "fix"),
    [
        ("data_center__unknown_tenant.json", "tenant_id"),
        ("token__unknown_app_key.json", "app_key"),
        ("token__signature_rejected.json", "app_secret"),
        ("token__clock_skew.json", "clock"),
    ],
)
def test_auth_refusals_are_non_retryable_and_say_what_to_fix(fixture: str, fix: str) -> None:
    with pytest.raises(errors.VendorAuthFailed) as caught:
        interpret_auth(response(load(fixture)))
    error = caught.value
    assert not isinstance(error, errors.VendorTokenExpired)
    assert not error.retryable
    assert fix in (error.hint or "")
    assert load(fixture)["code"] in (error.vendor_code or "")


@pytest.mark.parametrize(
    ("fixture", "status", "expected"),
    [
        ("gateway__token_missing.json", 200, errors.VendorAuthFailed),
        ("gateway__token_invalid.json", 200, errors.VendorTokenExpired),
        ("gateway__not_registered.json", 404, errors.VendorProtocolError),
        ("gateway__method_not_allowed.json", 405, errors.VendorProtocolError),
        ("gateway__not_granted.json", 200, errors.VendorPermissionDenied),
        ("gateway__throttled_api_level.json", 200, errors.VendorRateLimited),
        ("gateway__server_logic_error.json", 200, errors.VendorUnavailable),
        ("session_detail__not_found.json", 200, errors.SessionNotFound),
        ("session_terminate__refused_completed.json", 200, errors.InvalidTransition),
    ],
)
def test_gateway_answers_translate_on_the_body_code(
    fixture: str, status: int, expected: type[errors.InterlockError]
) -> None:
    with pytest.raises(expected):
        interpret_business(response(load(fixture), status))


def test_throttles_carry_a_one_second_wait_because_yonyou_sends_none() -> None:
    with pytest.raises(errors.VendorRateLimited) as caught:
        interpret_business(response(load("gateway__throttled_api_level.json")))
    assert caught.value.retry_after == 1.0
    assert caught.value.retryable


def test_plain_text_illegal_token_is_the_expired_token_signal() -> None:
    headers = {"content-type": "text/plain; charset=utf-8"}
    plain = httpx.Response(200, content="非法token".encode(), headers=headers)
    with pytest.raises(errors.VendorTokenExpired):
        interpret_business(plain)


@pytest.mark.parametrize(
    ("content", "status", "expected", "field"),
    [
        (b"<html>502 Bad Gateway</html>", 502, errors.VendorUnavailable, None),
        (b'{"code":"200","data":{"recordList":[', 200, errors.VendorProtocolError, "body"),
        (json.dumps({"message": "no code"}).encode(), 200, errors.VendorProtocolError, "code"),
        (json.dumps({"code": "777777"}).encode(), 200, errors.VendorProtocolError, "code"),
    ],
    ids=["html-502", "truncated-json", "no-code", "unknown-code"],
)
def test_unreadable_answers(
    content: bytes, status: int, expected: type[errors.VendorError], field: str | None
) -> None:
    with pytest.raises(expected) as caught:
        interpret_business(httpx.Response(status, content=content))
    assert getattr(caught.value, "field", None) == field
