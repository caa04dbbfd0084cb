"""The DingTalk adapter against its double through respx: reads, verbs, batches, errors."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from dingtalk_support import AdapterFactory, RecordingSleep, intercept, load_fixture

from interlock import errors
from interlock.doubles import Fault
from interlock.models import (
    OperationOutcome,
    Reason,
    SessionFilter,
    SessionState,
    Verb,
)
from interlock_dingtalk.adapter import DingTalkAdapter
from interlock_dingtalk.double import DingTalkDouble

S = SessionState


def mutations(double: DingTalkDouble, api_part: str = "") -> int:
    return sum(1 for r in double.requests if r.mutation and api_part in r.api)


def bodies(router: respx.MockRouter, path_part: str) -> list[dict[str, object]]:
    return [
        json.loads(call.request.content)
        for call in router.calls
        if path_part in call.request.url.path and call.request.content
    ]


# -- reads ----------------------------------------------------------------------------------


async def test_get_session_maps_the_vendor_session(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    raw = double.world.get(double.put_session(S.PAUSED))
    session = await adapter.get_session(raw.id)
    assert session.ref.name == f"accounts/dingtalk-hq/sessions/{raw.id}"
    assert session.state is S.PAUSED
    assert session.vendor_state == "PAUSED"
    assert session.candidate.id == raw.candidate_id
    assert raw.candidate_name not in session.model_dump_json()
    assert raw.candidate_phone not in session.model_dump_json()
    assert session.scheduled_at == raw.scheduled_at
    assert session.resume_deadline is not None
    assert raw.resume_deadline is not None
    assert abs(session.resume_deadline - raw.resume_deadline) < timedelta(milliseconds=1)
    assert session.position.owner_ids == raw.position.owners
    assert session.position.department == raw.position.department
    assert session.position.level == raw.position.level
    assert session.batch_no == raw.batch_no


async def test_job_info_is_fetched_once_per_job_and_cached(
    make_adapter: AdapterFactory, double: DingTalkDouble
) -> None:
    adapter = make_adapter()
    same_job = [
        s for s in double.world.sessions.values() if s.position == double.world.positions[0]
    ]
    await asyncio.gather(*(adapter.get_session(s.id) for s in same_job))
    assert sum(1 for r in double.requests if r.api == "GetJobInfoByJobId") == 1
    uncached = make_adapter(job_cache_ttl_s=0)
    await uncached.get_session(same_job[0].id)
    await uncached.get_session(same_job[0].id)
    assert sum(1 for r in double.requests if r.api == "GetJobInfoByJobId") == 3


async def test_a_deleted_job_leaves_the_position_without_owners(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    double.deleted_jobs.add(double.world.get(session_id).position.id)
    session = await adapter.get_session(session_id)
    assert session.position.owner_ids == ()
    assert session.position.title == double.world.get(session_id).position.title


async def test_missing_session_is_session_not_found(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    with pytest.raises(errors.SessionNotFound):
        await adapter.get_session(double.missing_session_id())


async def test_unmapped_vendor_state_is_unknown(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    session = await adapter.get_session(double.put_unmapped_session())
    assert session.state is S.UNKNOWN
    assert session.vendor_state == "ARCHIVED"


async def test_account_time_zone_reads_local_interview_dates(
    make_adapter: AdapterFactory, double: DingTalkDouble, router: respx.MockRouter
) -> None:
    body = load_fixture("session_get__local_date_only")["body"]
    intercept(router, "GET", rf".*/sessions/{body['sessionId']}$", httpx.Response(200, json=body))
    berlin = make_adapter(timezone=ZoneInfo("Europe/Berlin"))
    session = await berlin.get_session(body["sessionId"])
    assert session.scheduled_at == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    default = make_adapter(timezone=None)  # DingTalk's own zone when the account names none
    assert (await default.get_session(body["sessionId"])).scheduled_at == datetime(
        2026, 11, 24, 16, 0, tzinfo=UTC
    )


async def test_list_pages_through_everything_with_vendor_tokens(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = await adapter.list_sessions(SessionFilter(), page_size=7, page_token=token)
        seen += [s.ref.session_id for s in page.sessions]
        pages += 1
        token = page.next_page_token
        if token is None:
            break
    assert seen == list(double.world.sessions)
    assert pages == 4  # 24 sessions, 7 per page


@pytest.mark.parametrize(
    "make_filter",
    [
        lambda d: SessionFilter(states={S.PAUSED, S.SCHEDULED}),
        lambda d: SessionFilter(position=d.world.positions[1].id),
        lambda d: SessionFilter(position=d.world.positions[1].title.upper()),
        lambda d: SessionFilter(batch_no=next(iter(d.world.sessions.values())).batch_no),
        lambda d: SessionFilter(
            start_from=min(s.scheduled_at for s in d.world.sessions.values()) + timedelta(hours=3),
            start_to=min(s.scheduled_at for s in d.world.sessions.values()) + timedelta(hours=9),
        ),
        lambda d: SessionFilter(candidate=next(iter(d.world.sessions.values())).candidate_id),
        lambda d: SessionFilter(candidate="王"),
        lambda d: SessionFilter(states={S.UNKNOWN}),
    ],
    ids=[
        "states",
        "position",
        "position-title",
        "batch",
        "window",
        "candidate-id",
        "masked-name",
        "unknown",
    ],
)
async def test_filters_match_the_reference_semantics(
    adapter: DingTalkAdapter, double: DingTalkDouble, make_filter: object
) -> None:
    double.put_unmapped_session()
    session_filter: SessionFilter = make_filter(double)  # type: ignore[operator]
    everything = (await adapter.list_sessions(SessionFilter(), page_size=200)).sessions
    expected = [s.ref.session_id for s in everything if session_filter.matches(s)]
    got = (await adapter.list_sessions(session_filter, page_size=200)).sessions
    assert [s.ref.session_id for s in got] == expected
    assert expected  # every case selects something


async def test_server_side_filters_reach_the_vendor(
    adapter: DingTalkAdapter, double: DingTalkDouble, router: respx.MockRouter
) -> None:
    position = double.world.positions[0].id
    await adapter.list_sessions(SessionFilter(states={S.PAUSED}, position=position))
    # The position stays client-side: it may be a title, and jobId takes an id only.
    assert bodies(router, "/sessions/query")[-1] == {"statusList": ["PAUSED"]}


# -- verbs ----------------------------------------------------------------------------------


VERBS = [
    (Verb.PAUSE, S.IN_PROGRESS, S.PAUSED),
    (Verb.RESUME, S.PAUSED, S.IN_PROGRESS),
    (Verb.TERMINATE, S.SCHEDULED, S.TERMINATED),
    (Verb.REVOKE, S.PAUSED, S.REVOKED),
]


@pytest.mark.parametrize(("verb", "source", "target"), VERBS, ids=[str(v[0]) for v in VERBS])
async def test_each_verb_applies_once_and_then_is_already_in_state(
    adapter: DingTalkAdapter,
    double: DingTalkDouble,
    reason: Reason,
    verb: Verb,
    source: SessionState,
    target: SessionState,
) -> None:
    session_id = double.put_session(source)
    first = await adapter.perform(verb, session_id, reason, idempotency_key="op-1")
    assert first.outcome is OperationOutcome.APPLIED
    assert (first.state_before, first.state_after) == (source, target)
    assert first.vendor_request_id
    assert double.world.get(session_id).state is target
    second = await adapter.perform(verb, session_id, reason, idempotency_key="op-2")
    assert second.outcome is OperationOutcome.ALREADY_IN_STATE
    assert double.mutation_counts[session_id] == 1


async def test_the_idempotency_key_and_reason_travel_in_the_body(
    adapter: DingTalkAdapter, double: DingTalkDouble, router: respx.MockRouter
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    deadline = datetime.now(UTC) + timedelta(hours=2)
    reason = Reason(code="other", note="network outage in the exam hall")
    await adapter.pause(session_id, reason, idempotency_key="op-77", resume_deadline=deadline)
    sent = bodies(router, f"/{session_id}/pause")[-1]
    assert sent["clientToken"] == "op-77"
    assert sent["reasonCode"] == "other"
    assert sent["reasonNote"] == "network outage in the exam hall"
    stored = double.world.get(session_id).resume_deadline
    assert stored is not None
    assert abs(stored - deadline) < timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("state", "verb"),
    [(S.COMPLETED, Verb.PAUSE), (S.SCHEDULED, Verb.RESUME), (S.EXPIRED, Verb.TERMINATE)],
)
async def test_invalid_transition_names_both_states(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason, state: S, verb: Verb
) -> None:
    session_id = double.put_session(state)
    with pytest.raises(errors.InvalidTransition) as caught:
        await adapter.perform(verb, session_id, reason, idempotency_key="k")
    assert caught.value.from_state == str(state)
    assert caught.value.verb == str(verb)
    assert str(state) in str(caught.value)
    assert double.mutation_counts[session_id] == 0


async def test_a_verb_on_an_unknown_state_is_refused_naming_unknown(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    session_id = double.put_unmapped_session()
    with pytest.raises(errors.InvalidTransition) as caught:
        await adapter.pause(session_id, reason, idempotency_key="k")
    assert caught.value.from_state == "unknown"


async def test_resume_after_the_deadline_is_refused_with_the_vendors_reason(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    session_id = double.put_session(S.PAUSED)
    double.world.get(session_id).resume_deadline = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(errors.InvalidTransition) as caught:
        await adapter.resume(session_id, reason, idempotency_key="k")
    assert caught.value.from_state == "paused"
    assert "可恢复" in str(caught.value)


async def test_verb_on_a_missing_session_is_not_found(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    with pytest.raises(errors.SessionNotFound):
        await adapter.terminate(double.missing_session_id(), reason, idempotency_key="k")


@pytest.mark.parametrize("fault", [Fault.TIMEOUT_AFTER_SEND, Fault.CONNECTION_RESET])
async def test_an_ambiguous_verb_is_read_back_not_resent(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason, fault: Fault
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)  # token and job cache warm
    double.inject(fault, only_mutations=True)
    result = await adapter.terminate(session_id, reason, idempotency_key="k")
    assert result.outcome is OperationOutcome.APPLIED
    assert result.confirmed_by_read_back
    assert mutations(double, "Terminate") == 1
    assert double.mutation_counts[session_id] == 1


# -- native batch ---------------------------------------------------------------------------


async def test_batch_runs_in_chunks_of_50_with_one_result_per_id(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    ids = [double.put_session(S.IN_PROGRESS) for _ in range(118)]
    ids[5] = double.missing_session_id()
    ids[60] = double.put_session(S.COMPLETED)
    ids[100] = double.put_session(S.PAUSED)
    results = await adapter.batch(Verb.PAUSE, ids, reason, idempotency_key="b-1")
    assert [r.ref.session_id for r in results] == ids
    assert sum(1 for r in double.requests if r.api == "BatchPauseAiInterviewSessions") == 3
    outcomes = [r.outcome for r in results]
    assert outcomes.count(OperationOutcome.APPLIED) == 115
    assert results[5].error_code == "SESSION.NOT_FOUND"
    assert results[60].error_code == "SESSION.INVALID_TRANSITION"
    assert "completed" in (results[60].error_message or "")
    assert results[100].outcome is OperationOutcome.ALREADY_IN_STATE
    assert results[0].idempotency_key == f"b-1:{ids[0]}"


async def test_batch_chunk_size_follows_the_option(
    make_adapter: AdapterFactory, double: DingTalkDouble, reason: Reason, router: respx.MockRouter
) -> None:
    adapter = make_adapter(native_batch_size=10)
    ids = [double.put_session(S.SCHEDULED) for _ in range(25)]
    results = await adapter.batch(Verb.REVOKE, ids, reason, idempotency_key="b")
    assert all(r.outcome is OperationOutcome.APPLIED for r in results)
    sizes = sorted(len(b["sessionIds"]) for b in bodies(router, "/batch/cancel"))  # type: ignore[arg-type]
    assert sizes == [5, 10, 10]
    assert adapter.capabilities.native_batch_size == 10


async def test_without_native_batch_the_verbs_run_one_by_one(
    make_adapter: AdapterFactory, double: DingTalkDouble, reason: Reason
) -> None:
    adapter = make_adapter(native_batch_size=0)
    ids = [double.put_session(S.IN_PROGRESS) for _ in range(3)]
    results = await adapter.batch(Verb.TERMINATE, ids, reason, idempotency_key="b")
    assert [r.outcome for r in results] == [OperationOutcome.APPLIED] * 3
    assert not any("Batch" in r.api for r in double.requests)


async def test_an_ambiguous_batch_is_read_back_not_resent(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    ids = [double.put_session(S.IN_PROGRESS) for _ in range(3)]
    ids.append(double.put_session(S.COMPLETED))
    ids.append(double.missing_session_id())
    await adapter.get_session(ids[0])
    double.inject(Fault.TIMEOUT_AFTER_SEND, only_mutations=True)
    results = await adapter.batch(Verb.TERMINATE, ids, reason, idempotency_key="b")
    assert mutations(double, "Batch") == 1
    assert [r.outcome for r in results[:3]] == [OperationOutcome.APPLIED] * 3
    assert all(r.confirmed_by_read_back for r in results[:3])
    assert results[3].error_code == "SESSION.INVALID_TRANSITION"
    assert results[4].error_code == "SESSION.NOT_FOUND"


async def test_an_ambiguous_batch_that_changed_nothing_is_safely_resent(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    ids = [double.put_session(S.COMPLETED) for _ in range(2)]
    await adapter.get_session(ids[0])
    double.inject(Fault.CONNECTION_RESET, only_mutations=True)
    results = await adapter.batch(Verb.PAUSE, ids, reason, idempotency_key="b")
    assert [r.error_code for r in results] == ["SESSION.INVALID_TRANSITION"] * 2
    assert mutations(double, "Batch") == 2  # read back showed no change, so one resend


async def test_a_failed_batch_call_fails_each_item_without_raising(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    ids = [double.put_session(S.IN_PROGRESS) for _ in range(2)]
    double.quota.limit = 0
    results = await adapter.batch(Verb.PAUSE, ids, reason, idempotency_key="b")
    assert [r.error_code for r in results] == ["VENDOR.QUOTA_EXHAUSTED"] * 2
    assert [r.outcome for r in results] == [OperationOutcome.FAILED] * 2


# -- vendor errors --------------------------------------------------------------------------


async def test_throttle_is_retried_after_about_a_second(
    adapter: DingTalkAdapter, double: DingTalkDouble, retry_sleep: RecordingSleep
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.inject(Fault.RATE_LIMITED)
    assert (await adapter.get_session(session_id)).state is S.IN_PROGRESS
    assert len(retry_sleep.waits) == 1
    assert 1.0 <= retry_sleep.waits[0] <= 1.25


async def test_quota_exhausted_is_not_retried(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.quota.limit = double.quota.used("dingcorp5e1a9c3b7d20")
    before = len(double.requests)
    with pytest.raises(errors.VendorQuotaExhausted):
        await adapter.get_session(session_id)
    assert len(double.requests) == before + 1


async def test_expired_token_is_refreshed_once_and_replayed(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.expire_tokens()
    result = await adapter.pause(session_id, reason, idempotency_key="k")
    assert result.outcome is OperationOutcome.APPLIED
    assert double.token_requests == 2
    assert double.mutation_counts[session_id] == 1


async def test_fifty_concurrent_calls_after_expiry_fetch_one_token(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    ids = list(double.world.sessions)[:10]
    await asyncio.gather(*(adapter.get_session(i) for i in ids))
    double.expire_tokens()
    await asyncio.gather(*(adapter.get_session(ids[n % 10]) for n in range(50)))
    assert double.token_requests == 2


async def test_permission_denied_carries_the_required_scopes(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    double.revoke_scope()
    with pytest.raises(errors.VendorPermissionDenied) as caught:
        await adapter.list_sessions(SessionFilter())
    assert caught.value.required_scopes == ("qyapi_recruitment_plugin",)
    assert caught.value.vendor_request_id


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.ERROR_IN_200])
async def test_server_trouble_is_retried(
    adapter: DingTalkAdapter, double: DingTalkDouble, reason: Reason, fault: Fault
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    double.inject(fault, only_mutations=True)
    result = await adapter.pause(session_id, reason, idempotency_key="k")
    assert result.outcome is OperationOutcome.APPLIED
    assert mutations(double, "Pause") == 2


async def test_server_trouble_that_persists_is_vendor_unavailable(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    double.inject(Fault.SERVER_ERROR, times=10)
    with pytest.raises(errors.VendorUnavailable) as caught:
        await adapter.list_sessions(SessionFilter())
    assert caught.value.vendor_code == "systemError"


async def test_a_malformed_body_is_a_protocol_error(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    double.inject(Fault.MALFORMED_BODY, times=5)
    with pytest.raises(errors.VendorProtocolError) as caught:
        await adapter.list_sessions(SessionFilter())
    assert caught.value.field == "body"


async def test_a_malformed_field_is_a_protocol_error_naming_it(
    adapter: DingTalkAdapter, double: DingTalkDouble, router: respx.MockRouter
) -> None:
    body = load_fixture("session_get__missing_status")["body"]
    intercept(router, "GET", rf".*/sessions/{body['sessionId']}$", httpx.Response(200, json=body))
    with pytest.raises(errors.VendorProtocolError) as caught:
        await adapter.get_session(body["sessionId"])
    assert caught.value.field == "status"


async def test_wrong_credentials_are_auth_failed_without_retry(
    make_adapter: AdapterFactory, double: DingTalkDouble
) -> None:
    adapter = make_adapter(app_secret="not-the-secret")
    with pytest.raises(errors.VendorAuthFailed) as caught:
        await adapter.list_sessions(SessionFilter())
    assert caught.value.vendor_code == "invalidClientIdOrSecret"
    assert double.token_requests == 1


async def test_isv_app_uses_the_corp_token(
    make_adapter: AdapterFactory, double: DingTalkDouble
) -> None:
    adapter = make_adapter(isv=True)
    page = await adapter.list_sessions(SessionFilter(), page_size=3)
    assert len(page.sessions) == 3
    assert next(r.api for r in double.requests) == "GetCorpAccessToken"


async def test_client_side_limiter_stays_under_the_vendor_limit(
    make_adapter: AdapterFactory, double: DingTalkDouble
) -> None:
    double.app_limit.limit = 10
    adapter = make_adapter(vendor_qps=10)  # 80 %: 8 calls per second per API
    ids = list(double.world.sessions)[:12]  # without the limiter, 2 of them would be throttled
    await asyncio.gather(*(adapter.read_raw(i) for i in ids))
    assert double.throttle_rejections == 0
    assert double.max_calls_in_any_second("GetAiInterviewSession") <= 10


# -- description and secrets ----------------------------------------------------------------


async def test_capabilities_follow_the_options(make_adapter: AdapterFactory) -> None:
    with_push = make_adapter().capabilities
    assert with_push.push_events
    assert str(with_push.change_observation) == "push"
    assert not with_push.restore
    assert with_push.native_batch_size == 50
    without = make_adapter(callback_token=None, callback_aes_key=None).capabilities
    assert not without.push_events
    assert str(without.change_observation) == "polling"


async def test_credentials_never_reach_logs_errors_or_reprs(
    make_adapter: AdapterFactory,
    double: DingTalkDouble,
    reason: Reason,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    adapter = make_adapter()
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.pause(session_id, reason, idempotency_key="k")
    double.expire_tokens()
    await adapter.get_session(session_id)
    seen: list[str] = [repr(adapter), repr(adapter.options), str(adapter.options)]
    seen.append(repr(adapter.client))
    for broken in (
        make_adapter(app_secret="wrong-secret-value"),
        make_adapter(callback_aes_key="A" * 43),
    ):
        try:
            await broken.list_sessions(SessionFilter())
        except errors.InterlockError as error:
            seen += [str(error), repr(error), json.dumps(error.to_dict(), default=str)]
    seen.append(caplog.text)
    text = "\n".join(seen)
    for secret in (*double.secrets, "wrong-secret-value"):
        assert secret not in text
