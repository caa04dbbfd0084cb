"""Neutral models: strict, frozen, aware UTC; names that parse; the filter's reference semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from interlock.models import (
    Candidate,
    FilterField,
    OperationOutcome,
    OperationResult,
    Position,
    Reason,
    ReasonCode,
    Session,
    SessionFilter,
    SessionPage,
    SessionRef,
    SessionState,
    Verb,
    utc_now,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REF = SessionRef(account="dingtalk-hq", session_id="s-001")


def session(**overrides: Any) -> Session:
    fields: dict[str, Any] = {
        "ref": REF,
        "state": SessionState.IN_PROGRESS,
        "vendor_state": "RUNNING",
        "candidate": Candidate(id="cand-9", masked_name="张*", masked_phone="138****1234"),
        "position": Position(id="pos-1", title="Backend Engineer", level="senior"),
        "batch_no": "B20260301-01",
        "scheduled_at": T0,
    }
    fields.update(overrides)
    return Session(**fields)


# -- strictness -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        pytest.param(SessionRef, {"account": "a", "session_id": "b"}, id="ref"),
        pytest.param(Reason, {"code": "operator_error"}, id="reason"),
        pytest.param(Candidate, {"id": "c", "masked_name": "张*"}, id="candidate"),
        pytest.param(Position, {"id": "p", "title": "t"}, id="position"),
        pytest.param(SessionFilter, {}, id="filter"),
        pytest.param(
            OperationResult, {"ref": REF, "verb": "pause", "outcome": "applied"}, id="result"
        ),
    ],
)
def test_unknown_fields_are_rejected(model: Any, fields: dict[str, Any]) -> None:
    model(**fields)  # valid as given
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model(**fields, surprise=1)


def test_session_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="extra"):
        session(vendor_extra="x")


@pytest.mark.parametrize(
    "instance",
    [
        pytest.param(REF, id="ref"),
        pytest.param(Reason(code=ReasonCode.SYSTEM_FAULT), id="reason"),
        pytest.param(session(), id="session"),
        pytest.param(SessionFilter(), id="filter"),
    ],
)
def test_models_are_frozen(instance: Any) -> None:
    name = next(iter(type(instance).model_fields))
    with pytest.raises(ValidationError, match="frozen"):
        setattr(instance, name, getattr(instance, name))


@pytest.mark.parametrize("field", ["scheduled_at", "started_at", "resume_deadline"], ids=str)
def test_naive_datetimes_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        session(**{field: datetime(2026, 3, 1, 9, 0)})


def test_aware_datetimes_are_normalised_to_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    got = session(scheduled_at=datetime(2026, 3, 1, 17, 0, tzinfo=shanghai))

    assert got.scheduled_at == T0
    assert got.scheduled_at is not None
    assert got.scheduled_at.utcoffset() == timedelta(0)


def test_filter_rejects_naive_datetimes() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        SessionFilter(start_from=datetime(2026, 3, 1))


def test_utc_now_is_aware() -> None:
    assert utc_now().tzinfo is UTC


def test_session_state_is_strict_in_python_mode() -> None:
    with pytest.raises(ValidationError):
        session(state="in_progress")  # strict: the enum, not its string
    assert session(state=SessionState.PAUSED).state is SessionState.PAUSED


def test_session_round_trips_through_json() -> None:
    original = session(vendor_data={"raw": {"status": 3}}, progress=0.5)

    assert Session.model_validate_json(original.model_dump_json()) == original


@pytest.mark.parametrize("progress", [-0.1, 1.01], ids=["negative", "over-one"])
def test_progress_is_a_fraction(progress: float) -> None:
    with pytest.raises(ValidationError):
        session(progress=progress)


# -- reasons --------------------------------------------------------------------------------


@pytest.mark.parametrize("note", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_reason_other_needs_a_note(note: str | None) -> None:
    with pytest.raises(ValidationError, match="note"):
        Reason(code=ReasonCode.OTHER, note=note)


def test_reason_other_with_a_note_is_fine() -> None:
    assert Reason(code="other", note="candidate asked to stop").code is ReasonCode.OTHER


def test_reason_note_is_optional_for_other_codes_and_bounded() -> None:
    assert Reason(code=ReasonCode.OPERATOR_ERROR).note is None
    with pytest.raises(ValidationError):
        Reason(code=ReasonCode.OPERATOR_ERROR, note="x" * 501)


def test_reason_codes_are_the_design_codes() -> None:
    assert {c.value for c in ReasonCode} == {
        "operator_error",
        "candidate_network",
        "candidate_device",
        "candidate_emergency",
        "process_change",
        "system_fault",
        "pause_expired",
        "other",
    }


# -- session names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "session_id"),
    [("dingtalk-hq", "s-001"), ("beisen_cn", "7f3e.42~x"), ("a", "0"), ("A1", "B" * 128)],
)
def test_session_name_round_trips(account: str, session_id: str) -> None:
    ref = SessionRef(account=account, session_id=session_id)

    assert ref.name == f"accounts/{account}/sessions/{session_id}"
    assert str(ref) == ref.name
    assert SessionRef.parse(ref.name) == ref


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("accounts/a/sessions/", id="no-id"),
        pytest.param("accounts//sessions/b", id="no-account"),
        pytest.param("account/a/sessions/b", id="wrong-collection"),
        pytest.param("accounts/a/sessions/b/extra", id="extra-segment"),
        pytest.param("accounts/a b/sessions/c", id="space"),
        pytest.param("accounts/a/sessions/b%2F", id="percent"),
        pytest.param("accounts/-a/sessions/b", id="leading-dash"),
        pytest.param("accounts/a/sessions/" + "b" * 129, id="too-long"),
        pytest.param("accounts/a/sessions/b\n", id="trailing-newline"),
        pytest.param("/accounts/a/sessions/b", id="leading-slash"),
    ],
)
def test_bad_session_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="accounts/ACCOUNT/sessions/ID"):
        SessionRef.parse(name)


@pytest.mark.parametrize("session_id", ["a/b", "", "x y", "-x"], ids=repr)
def test_session_ref_validates_its_segments(session_id: str) -> None:
    with pytest.raises(ValidationError):
        SessionRef(account="acme", session_id=session_id)


def test_session_ref_is_hashable() -> None:
    assert len({REF, SessionRef.parse(REF.name)}) == 1


# -- the filter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("session_filter", "expected"),
    [
        pytest.param(SessionFilter(), True, id="empty-matches-all"),
        pytest.param(SessionFilter(states={"in_progress", "paused"}), True, id="state-in"),
        pytest.param(SessionFilter(states={SessionState.PAUSED}), False, id="state-out"),
        pytest.param(SessionFilter(candidate="cand-9"), True, id="candidate-id"),
        pytest.param(SessionFilter(candidate="cand"), False, id="candidate-id-prefix"),
        pytest.param(SessionFilter(candidate="张"), True, id="candidate-masked-name"),
        pytest.param(SessionFilter(candidate="李"), False, id="candidate-other-name"),
        pytest.param(SessionFilter(position="pos-1"), True, id="position"),
        pytest.param(SessionFilter(position="pos-2"), False, id="other-position"),
        pytest.param(SessionFilter(batch_no="B20260301-01"), True, id="batch"),
        pytest.param(SessionFilter(batch_no="B20260301-02"), False, id="other-batch"),
        pytest.param(SessionFilter(start_from=T0), True, id="from-inclusive"),
        pytest.param(SessionFilter(start_to=T0), False, id="to-exclusive"),
        pytest.param(
            SessionFilter(start_from=T0 - timedelta(hours=1), start_to=T0 + timedelta(hours=1)),
            True,
            id="inside-window",
        ),
        pytest.param(
            SessionFilter(start_from=T0 + timedelta(seconds=1)), False, id="before-window"
        ),
        pytest.param(
            SessionFilter(states={SessionState.IN_PROGRESS}, position="pos-2"),
            False,
            id="all-fields-must-match",
        ),
    ],
)
def test_filter_matches(session_filter: SessionFilter, expected: bool) -> None:
    assert session_filter.matches(session()) is expected


def test_time_filters_never_match_an_unscheduled_session() -> None:
    unscheduled = session(scheduled_at=None)

    assert not SessionFilter(start_from=T0).matches(unscheduled)
    assert not SessionFilter(start_to=T0).matches(unscheduled)
    assert SessionFilter().matches(unscheduled)


def test_active_fields_name_what_narrows() -> None:
    assert SessionFilter().active_fields() == frozenset()
    assert SessionFilter(
        states={SessionState.PAUSED}, batch_no="B1", start_to=T0
    ).active_fields() == {FilterField.STATE, FilterField.BATCH_NO, FilterField.START_TO}


def test_filter_is_hashable_and_parses_json() -> None:
    parsed = SessionFilter.model_validate_json(
        '{"states": ["paused"], "start_from": "2026-03-01T17:00:00+08:00"}'
    )

    assert parsed.states == frozenset({SessionState.PAUSED})
    assert parsed.start_from == T0
    assert hash(parsed) == hash(SessionFilter(states={"paused"}, start_from=T0))


# -- results and pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "ok"),
    [
        (o, o in (OperationOutcome.APPLIED, OperationOutcome.ALREADY_IN_STATE))
        for o in OperationOutcome
    ],
    ids=str,
)
def test_operation_result_ok(outcome: OperationOutcome, ok: bool) -> None:
    assert OperationResult(ref=REF, verb=Verb.PAUSE, outcome=outcome).ok is ok


def test_session_page_holds_sessions_and_a_token() -> None:
    page = SessionPage(sessions=(session(),), next_page_token="p2")

    assert page.sessions[0].ref == REF
    assert SessionPage(sessions=()).next_page_token is None


def test_final_states() -> None:
    assert {s for s in SessionState if s.is_final} == {
        SessionState.COMPLETED,
        SessionState.TERMINATED,
        SessionState.REVOKED,
        SessionState.EXPIRED,
    }
