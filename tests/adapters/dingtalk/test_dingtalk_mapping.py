"""Recorded DingTalk payloads → neutral models, without HTTP (interpret + mapping)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from dingtalk_support import load_fixture, response_of

from interlock import errors
from interlock.models import SessionFilter, SessionState
from interlock_dingtalk._interpret import expect, interpret
from interlock_dingtalk._mapping import (
    STATE_TABLE,
    VENDOR_STATUS_OF,
    query_body,
    to_millis_ceil,
    to_session,
    to_state,
)
from interlock_dingtalk._models import (
    VendorBatch,
    VendorChange,
    VendorJob,
    VendorSession,
    VendorSessionPage,
    VendorToken,
)
from interlock_dingtalk.double._render import VENDOR_STATUS

SHANGHAI = ZoneInfo("Asia/Shanghai")


def session(name: str) -> VendorSession:
    return expect(VendorSession)(response_of(name))


def job() -> VendorJob:
    return expect(VendorJob)(response_of("job_info__two_owners"))


def test_every_neutral_state_but_unknown_has_a_vendor_status() -> None:
    assert set(VENDOR_STATUS_OF) == set(SessionState) - {SessionState.UNKNOWN}
    # The double renders exactly the statuses the table maps (no drift between the two).
    assert {s: VENDOR_STATUS[s] for s in VENDOR_STATUS} == VENDOR_STATUS_OF


@pytest.mark.parametrize("status", [*STATE_TABLE, "ARCHIVED", "", "paused"])
def test_state_table_maps_known_statuses_and_nothing_else(status: str) -> None:
    expected = STATE_TABLE.get(status, SessionState.UNKNOWN)
    assert to_state(status) is expected
    if status not in STATE_TABLE:
        assert to_state(status) is SessionState.UNKNOWN  # never a guess, not even by case


def test_session_maps_times_ownership_and_masks_pii() -> None:
    raw = session("session_get__in_progress")
    result = to_session("dingtalk-hq", raw, job(), SHANGHAI)
    body = load_fixture("session_get__in_progress")["body"]
    assert result.ref.name == f"accounts/dingtalk-hq/sessions/{body['sessionId']}"
    assert result.state is SessionState.IN_PROGRESS
    assert result.vendor_state == "IN_PROGRESS"
    assert result.scheduled_at == datetime.fromtimestamp(body["startTimeMillis"] / 1000, UTC)
    assert result.started_at == datetime.fromtimestamp(body["actualStartTimeMillis"] / 1000, UTC)
    assert result.scheduled_at is not None
    assert result.scheduled_at.tzinfo is UTC
    assert result.progress == pytest.approx(body["progress"] / 100)
    assert result.candidate.masked_name == "王*"
    assert result.candidate.masked_phone is not None
    assert "****" in result.candidate.masked_phone
    dumped = result.model_dump_json()
    assert body["candidatePhone"] not in dumped
    assert body["candidateName"] not in dumped


def test_position_ownership_and_department_come_from_job_info() -> None:
    info = load_fixture("job_info__two_owners")["body"]
    position = to_session("a", session("session_get__in_progress"), job(), SHANGHAI).position
    assert position.owner_ids == tuple(o["userId"] for o in info["jobOwners"])
    assert position.department == info["mainDeptName"]
    assert position.title == info["name"]


def test_without_job_info_the_position_has_no_owners() -> None:
    position = to_session("a", session("session_get__in_progress"), None, SHANGHAI).position
    assert position.owner_ids == ()
    assert position.department is None


def test_a_job_without_department_name_has_no_department() -> None:
    # Permission policies name departments, never DingTalk's numeric ids: the id is not
    # passed off as a department, and stays in vendor_data.
    info = {**load_fixture("job_info__two_owners")["body"], "mainDeptName": None}
    result = to_session(
        "a", session("session_get__in_progress"), VendorJob.model_validate(info), SHANGHAI
    )
    assert result.position.department is None
    assert result.vendor_data["mainDeptId"] == info["mainDeptId"]


def test_paused_session_has_its_resume_deadline() -> None:
    raw = session("session_get__paused_with_deadline")
    result = to_session("a", raw, None, SHANGHAI)
    body = load_fixture("session_get__paused_with_deadline")["body"]
    assert result.state is SessionState.PAUSED
    assert result.resume_deadline == datetime.fromtimestamp(
        body["resumeDeadlineMillis"] / 1000, UTC
    )


def test_unmapped_status_is_unknown_and_kept_for_diagnosis() -> None:
    result = to_session("a", session("session_get__unmapped_status"), None, SHANGHAI)
    assert result.state is SessionState.UNKNOWN
    assert result.vendor_state == "ARCHIVED"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Shanghai", datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 11, 24, 23, 0, tzinfo=UTC)),
        ("UTC", datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_local_interview_date_is_read_in_the_account_time_zone(
    zone: str, expected: datetime
) -> None:
    result = to_session("a", session("session_get__local_date_only"), None, ZoneInfo(zone))
    assert result.scheduled_at == expected
    assert result.vendor_data["interviewDate"] == "2026-11-25"


def test_ids_sent_as_numbers_and_unknown_fields_are_tolerated() -> None:
    raw = session("session_get__numeric_ids")
    assert raw.session_id == "220932755597"
    assert raw.candidate_id == "616992915839"


@pytest.mark.parametrize(
    ("fixture", "field"),
    [("session_get__missing_status", "status"), ("session_get__bad_progress", "progress")],
)
def test_malformed_session_is_a_protocol_error_naming_the_field(fixture: str, field: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        session(fixture)
    # The toolkit turns this into VENDOR.PROTOCOL_ERROR with the first error's location.
    assert caught.value.errors()[0]["loc"] == (field,)


def test_documented_interviews_query_example_is_a_page() -> None:
    page = interpret(response_of("interviews_query__documented_example"))
    assert page["hasMore"] is True
    assert page["nextToken"] == "100"
    assert page["list"][0]["startTimeMillis"] == 1626858000000


def test_sessions_query_pages_carry_an_opaque_next_token_until_the_last() -> None:
    first = expect(VendorSessionPage)(response_of("sessions_query__two_pages_first"))
    last = expect(VendorSessionPage)(response_of("sessions_query__two_pages_last"))
    assert first.has_more
    assert first.next_token
    assert len(first.items) == 2
    assert not last.has_more
    assert last.next_token is None
    assert {to_state(s.status) for s in first.items + last.items} <= {
        SessionState.IN_PROGRESS,
        SessionState.PAUSED,
    }


def test_change_answers_distinguish_applied_from_already_in_state() -> None:
    applied = expect(VendorChange)(response_of("session_pause__applied"))
    already = expect(VendorChange)(response_of("session_pause__already_paused"))
    assert (applied.status_changed, to_state(applied.previous_status)) == (
        True,
        SessionState.IN_PROGRESS,
    )
    assert (already.status_changed, to_state(already.status)) == (False, SessionState.PAUSED)


def test_batch_answer_has_one_result_per_id() -> None:
    batch = expect(VendorBatch)(response_of("sessions_batch__mixed"))
    assert [r.success for r in batch.results] == [True, True, False, False]
    assert batch.results[2].error_code == "resource.not.found"
    assert batch.results[3].status == "FINISHED"


def test_token_answer() -> None:
    token = expect(VendorToken)(response_of("token__ok"))
    assert token.expire_in == 7200
    assert token.access_token not in repr(token)


def test_sign_in_answers_an_empty_200() -> None:
    import httpx

    assert interpret(httpx.Response(200)) == {}


def test_query_body_sends_only_filters_with_identical_semantics() -> None:
    start = datetime(2026, 11, 25, 8, 0, 0, 1, tzinfo=UTC)  # one microsecond past a ms
    body = query_body(
        SessionFilter(
            states={SessionState.PAUSED, SessionState.SCHEDULED},
            candidate="张",
            position="42",
            batch_no="B1",
            start_from=start,
            start_to=start,
        )
    )
    assert body == {
        "statusList": ["NOT_STARTED", "PAUSED"],
        "batchNo": "B1",
        "startTimeBeginMillis": to_millis_ceil(start),
        "startTimeEndMillis": to_millis_ceil(start),
    }
    assert "candidateId" not in body  # candidate also matches masked names: client side only
    assert "jobId" not in body  # position also matches titles: client side only


def test_a_state_filter_with_unknown_stays_client_side() -> None:
    body = query_body(SessionFilter(states={SessionState.UNKNOWN, SessionState.PAUSED}))
    assert "statusList" not in body


@pytest.mark.parametrize(
    ("micros", "millis"),
    [(0, 1_764_000_000_000), (1, 1_764_000_000_001), (999, 1_764_000_000_001)],
)
def test_millisecond_rounding_keeps_filter_semantics(micros: int, millis: int) -> None:
    value = datetime.fromtimestamp(1_764_000_000, UTC).replace(microsecond=micros)
    assert to_millis_ceil(value) == millis


def test_interpret_rejects_a_non_object_error_body() -> None:
    import httpx

    with pytest.raises(errors.VendorProtocolError):
        interpret(httpx.Response(400, json=["not", "an", "object"]))
