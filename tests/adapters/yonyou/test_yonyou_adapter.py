"""The Yonyou adapter against its double behind respx: reads, verbs, auth, errors, secrets."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import respx
from pydantic import ValidationError
from yonyou_helpers import REASON, SHANGHAI, AdapterFactory, RecordingSleep

from interlock import Interlock, errors
from interlock.capabilities import CapabilityLevel, ChangeObservation
from interlock.doubles import Fault
from interlock.models import (
    FilterField,
    OperationOutcome,
    SessionFilter,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.plugins import get_plugin_manager
from interlock_yonyou.adapter import YonyouAdapter, resubmit_check_key
from interlock_yonyou.double import APP_SECRET, YonyouDouble
from interlock_yonyou.double._render import ok
from interlock_yonyou.options import YonyouOptions

S = SessionState


def writes(double: YonyouDouble) -> list[str]:
    return [r.api for r in double.requests if r.mutation]


# -- registration and capabilities ------------------------------------------------------------


def test_the_plugin_registers_adapter_and_double() -> None:
    spec = get_plugin_manager().adapter("yonyou")
    assert (spec.vendor, spec.factory, spec.double_factory) == (
        "yonyou",
        YonyouAdapter,
        YonyouDouble,
    )
    assert spec.needs_timezone


def test_capabilities_say_what_the_tenant_api_can_do(adapter: YonyouAdapter) -> None:
    caps = adapter.capabilities
    assert (caps.pause, caps.resume) == (CapabilityLevel.UNSUPPORTED,) * 2
    assert (caps.terminate, caps.revoke) == (CapabilityLevel.NATIVE,) * 2
    assert caps.native_batch_size == 100
    assert not caps.restore
    assert caps.push_events
    assert caps.change_observation is ChangeObservation.PUSH
    assert FilterField.CANDIDATE not in caps.server_side_filters
    assert "pause" in (caps.notes or "")


def test_an_account_without_a_timezone_is_a_configuration_error(double: YonyouDouble) -> None:
    from interlock.adapter import AccountContext

    options = YonyouOptions.model_validate(double.adapter_options(double.base_url))
    with pytest.raises(errors.ConfigurationError) as caught:
        YonyouAdapter(AccountContext(account="yy", options=options))
    assert "Asia/Shanghai" in (caught.value.hint or "")


def test_options_are_strict_and_keep_the_secret_secret(double: YonyouDouble) -> None:
    raw = double.adapter_options(double.base_url)
    with pytest.raises(ValidationError):
        YonyouOptions.model_validate(raw | {"app_secert": "typo"})
    with pytest.raises(ValidationError):
        YonyouOptions.model_validate(raw | {"gateway_url": "https://gw.example"})
    options = YonyouOptions.model_validate(raw)
    assert APP_SECRET not in repr(options)
    assert APP_SECRET not in str(options.model_dump())


# -- unsupported verbs ------------------------------------------------------------------------


@pytest.mark.parametrize("verb", [Verb.PAUSE, Verb.RESUME])
async def test_pause_and_resume_are_refused_before_any_vendor_call(
    adapter: YonyouAdapter, double: YonyouDouble, verb: Verb
) -> None:
    session_id = double.put_session(S.IN_PROGRESS if verb is Verb.PAUSE else S.PAUSED)
    with pytest.raises(errors.UnsupportedOperation) as caught:
        await adapter.perform(verb, session_id, REASON, idempotency_key="k")
    error = caught.value
    assert error.code == "OPERATION.UNSUPPORTED"
    assert error.details["account"] == "yonyou-test"
    assert error.details["verb"] == str(verb)
    assert "yonyou-test" in str(error)
    assert str(verb) in str(error)
    with pytest.raises(errors.UnsupportedOperation):
        await adapter.batch(verb, [session_id], REASON, idempotency_key="b")
    assert double.requests == []


async def test_the_facade_refuses_pause_with_zero_vendor_requests(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    facade = Interlock({"yonyou-test": adapter})
    ref = SessionRef(account="yonyou-test", session_id=session_id)
    with pytest.raises(errors.UnsupportedOperation):
        await facade.pause(ref, REASON)
    results = [r async for r in facade.batch(Verb.RESUME, [ref], REASON)]
    assert [r.outcome for r in results] == [OperationOutcome.UNSUPPORTED]
    assert double.requests == []


# -- reads ------------------------------------------------------------------------------------


async def test_get_session_discovers_the_gateway_once_and_masks_pii(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    first = await adapter.get_session(session_id)
    await adapter.get_session(session_id)
    raw = double.world.get(session_id)
    assert first.state is S.IN_PROGRESS
    assert first.candidate.masked_name != raw.candidate_name
    assert raw.candidate_phone not in first.model_dump_json()
    assert first.scheduled_at == raw.scheduled_at.replace(microsecond=0)
    assert [r.api for r in double.requests].count("open-auth.dataCenter") == 1
    assert double.token_requests == 1


async def test_a_missing_session_is_not_found(adapter: YonyouAdapter, double: YonyouDouble) -> None:
    with pytest.raises(errors.SessionNotFound):
        await adapter.get_session(double.missing_session_id())


async def test_an_unmapped_vendor_state_is_unknown(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session = await adapter.get_session(double.put_unmapped_session())
    assert session.state is S.UNKNOWN
    assert session.vendor_state == "9"


async def test_list_pages_through_everything_with_opaque_tokens(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = await adapter.list_sessions(SessionFilter(), page_size=5, page_token=token)
        seen += [s.ref.session_id for s in page.sessions]
        pages += 1
        token = page.next_page_token
        if token is None:
            break
    assert pages == 4  # 16 sessions, 5 per page
    assert sorted(seen) == sorted(double.world.sessions)


async def test_list_filters_go_to_the_vendor_and_are_rechecked_here(
    adapter: YonyouAdapter, double: YonyouDouble, router: respx.Router
) -> None:
    world = list(double.world.sessions.values())
    start_from = sorted(s.scheduled_at for s in world)[3]
    session_filter = SessionFilter(
        states={S.IN_PROGRESS, S.PAUSED}, start_from=start_from, position=world[1].position.id
    )
    page = await adapter.list_sessions(session_filter, page_size=50)

    expected = {
        s.id
        for s in world
        if s.state in (S.IN_PROGRESS, S.PAUSED)
        and s.scheduled_at >= start_from
        and s.position.id == world[1].position.id
    }
    assert {s.ref.session_id for s in page.sessions} == expected
    sent = json.loads(router.calls.last.request.content)
    assert sent["status"] == ["1", "2"]
    assert "positionId" not in sent  # the position may be a title: checked here only
    assert sent["beginTimeStart"] == start_from.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


async def test_a_candidate_filter_is_applied_by_the_adapter(
    adapter: YonyouAdapter, double: YonyouDouble, router: respx.Router
) -> None:
    target = next(iter(double.world.sessions.values()))
    page = await adapter.list_sessions(SessionFilter(candidate=target.candidate_id))
    assert [s.ref.session_id for s in page.sessions] == [target.id]
    assert "candidateId" not in json.loads(router.calls.last.request.content)


async def test_a_foreign_page_token_is_an_invalid_request(adapter: YonyouAdapter) -> None:
    with pytest.raises(errors.InvalidRequest):
        await adapter.list_sessions(SessionFilter(), page_token="not-ours")


async def test_times_are_read_in_the_account_zone(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    from zoneinfo import ZoneInfo

    session_id = double.put_session(S.SCHEDULED)
    right = await make_adapter().get_session(session_id)
    wrong = await make_adapter(timezone=ZoneInfo("UTC")).get_session(session_id)
    assert wrong.scheduled_at is not None
    assert right.scheduled_at is not None
    assert wrong.scheduled_at - right.scheduled_at == timedelta(hours=8)


# -- verbs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "start", "target"),
    [
        (Verb.TERMINATE, S.IN_PROGRESS, S.TERMINATED),
        (Verb.TERMINATE, S.PAUSED, S.TERMINATED),
        (Verb.REVOKE, S.SCHEDULED, S.REVOKED),
        (Verb.REVOKE, S.IN_PROGRESS, S.REVOKED),
    ],
)
async def test_terminate_and_revoke_apply(
    adapter: YonyouAdapter, double: YonyouDouble, verb: Verb, start: S, target: S
) -> None:
    session_id = double.put_session(start)
    result = await adapter.perform(verb, session_id, REASON, idempotency_key="op-1")
    assert result.outcome is OperationOutcome.APPLIED
    assert (result.state_before, result.state_after) == (start, target)
    assert result.idempotency_key == "op-1"
    assert double.world.get(session_id).state is target
    assert double.mutation_counts[session_id] == 1


async def test_the_idempotency_key_becomes_a_32_character_resubmit_check_key(
    adapter: YonyouAdapter, double: YonyouDouble, router: respx.Router
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    key = "op-2b7f8c3e-5d1a-4e9b-8c7d-6f5e4d3c2b1a:with-a-long-suffix"
    await adapter.terminate(session_id, REASON, idempotency_key=key)
    sent = json.loads(router.calls.last.request.content)["data"]
    assert sent == {
        "id": session_id,
        "reasonCode": "operator_error",
        "resubmitCheckKey": resubmit_check_key(key),
    }
    assert len(sent["resubmitCheckKey"]) == 32
    assert resubmit_check_key(key) == resubmit_check_key(key)


async def test_the_same_key_again_is_replayed_by_the_gateway(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    first = await adapter.terminate(session_id, REASON, idempotency_key="same")
    second = await adapter.terminate(session_id, REASON, idempotency_key="same")
    assert first.outcome is second.outcome is OperationOutcome.APPLIED
    assert double.mutation_counts[session_id] == 1


async def test_a_duplicate_reported_after_an_hour_answers_the_first_write(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    clock = [0.0]
    double.interviews._clock = lambda: clock[0]
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.terminate(session_id, REASON, idempotency_key="late")
    double.world.move(session_id, S.IN_PROGRESS)  # moved back since
    clock[0] += 7200
    requests = len(double.requests)
    result = await adapter.terminate(session_id, REASON, idempotency_key="late")
    assert result.outcome is OperationOutcome.APPLIED
    assert result.state_after is S.TERMINATED
    assert result.idempotency_key == "late"
    assert len(double.requests) == requests + 1  # the answer says it all: nothing read back
    assert double.mutation_counts[session_id] == 1


@pytest.mark.parametrize(
    ("verb", "state"), [(Verb.TERMINATE, S.TERMINATED), (Verb.REVOKE, S.REVOKED)]
)
async def test_already_in_state_costs_no_vendor_write(
    adapter: YonyouAdapter, double: YonyouDouble, verb: Verb, state: S
) -> None:
    session_id = double.put_session(state)
    result = await adapter.perform(verb, session_id, REASON, idempotency_key="k")
    assert result.outcome is OperationOutcome.ALREADY_IN_STATE
    assert result.state_before is result.state_after is state
    assert double.mutation_counts[session_id] == 0


@pytest.mark.parametrize("state", [S.COMPLETED, S.EXPIRED, S.REVOKED])
async def test_an_invalid_transition_names_both_states(
    adapter: YonyouAdapter, double: YonyouDouble, state: S
) -> None:
    session_id = double.put_session(state)
    with pytest.raises(errors.InvalidTransition) as caught:
        await adapter.terminate(session_id, REASON, idempotency_key="k")
    assert caught.value.from_state == str(state)
    assert caught.value.verb == "terminate"
    assert str(state) in str(caught.value)
    assert "terminate" in str(caught.value)


async def test_a_verb_on_an_unknown_state_is_an_invalid_transition(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_unmapped_session()
    with pytest.raises(errors.InvalidTransition) as caught:
        await adapter.revoke(session_id, REASON, idempotency_key="k")
    assert caught.value.from_state == "unknown"
    assert double.mutation_counts[session_id] == 0


async def test_a_verb_on_a_missing_session_is_not_found(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    with pytest.raises(errors.SessionNotFound):
        await adapter.terminate(double.missing_session_id(), REASON, idempotency_key="k")


async def test_a_timeout_after_sending_is_settled_by_reading_back(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.inject(Fault.TIMEOUT_AFTER_SEND, only_mutations=True)
    result = await adapter.terminate(session_id, REASON, idempotency_key="k")
    assert result.confirmed_by_read_back
    assert result.state_after is S.TERMINATED
    assert len(writes(double)) == 1
    assert double.mutation_counts[session_id] == 1


# -- tokens -----------------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_and_the_call_replayed_once(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.expire_tokens()
    result = await adapter.terminate(session_id, REASON, idempotency_key="k")
    assert result.outcome is OperationOutcome.APPLIED
    assert double.token_requests == 2
    assert len(writes(double)) == 2  # refused 310036, replayed once with the new token


async def test_the_plain_text_illegal_token_also_refreshes(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_session(S.SCHEDULED)
    await adapter.get_session(session_id)
    double.expire_tokens()
    assert (await adapter.get_session(session_id)).state is S.SCHEDULED  # detail: text/plain
    assert double.token_requests == 2


async def test_fifty_concurrent_calls_after_expiry_fetch_one_token(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    ids = [double.put_session(S.SCHEDULED) for _ in range(50)]
    await adapter.get_session(ids[0])
    double.expire_tokens()
    await asyncio.gather(*(adapter.get_session(i) for i in ids))
    assert double.token_requests == 2
    assert [r.api for r in double.requests].count("open-auth.dataCenter") == 1


async def test_the_token_travels_in_the_query_and_is_signed(
    adapter: YonyouAdapter, double: YonyouDouble, router: respx.Router
) -> None:
    await adapter.get_session(double.put_session(S.SCHEDULED))
    token_call, business_call = router.calls[1].request, router.calls[2].request
    assert token_call.url.path.endswith("/open-auth/selfAppAuth/base/v1/getAccessToken")
    assert set(token_call.url.params) == {"appKey", "timestamp", "signature"}
    assert "authorization" not in business_call.headers
    assert business_call.url.params["access_token"] in double.auth.issued


async def test_a_rejected_signature_is_a_configuration_problem_not_retried(
    make_adapter: AdapterFactory, double: YonyouDouble, sleep: RecordingSleep
) -> None:
    adapter = make_adapter(app_secret="0" * 40)
    with pytest.raises(errors.VendorAuthFailed) as caught:
        await adapter.get_session(double.put_session(S.SCHEDULED))
    error = caught.value
    assert not error.retryable
    assert "app_secret" in (error.hint or "")
    assert "clock" in (error.hint or "")
    assert double.token_requests == 1
    assert sleep.waits == []


async def test_a_skewed_clock_is_refused_with_the_fix(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    adapter = make_adapter(clock=lambda: datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(errors.VendorAuthFailed) as caught:
        await adapter.list_sessions(SessionFilter())
    assert "timestamp" in caught.value.message
    assert "NTP" in (caught.value.hint or "")
    assert double.token_requests == 1


async def test_an_unknown_tenant_says_to_check_tenant_id(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    with pytest.raises(errors.VendorAuthFailed) as caught:
        await make_adapter(tenant_id="nosuchtenant").list_sessions(SessionFilter())
    assert "tenant_id" in (caught.value.hint or "")
    assert double.token_requests == 0


async def test_an_unknown_app_key_says_to_check_app_key(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    with pytest.raises(errors.VendorAuthFailed) as caught:
        await make_adapter(app_key="nosuch").list_sessions(SessionFilter())
    assert "app_key" in (caught.value.hint or "")


async def test_configured_hosts_skip_discovery(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    base = double.base_url
    adapter = make_adapter(
        gateway_url=f"{base}/iuap-api-gateway", token_url=f"{base}/iuap-api-auth"
    )
    await adapter.list_sessions(SessionFilter())
    assert "open-auth.dataCenter" not in [r.api for r in double.requests]


# -- error translation through calls ----------------------------------------------------------


async def test_throttling_is_retried_after_a_second_then_reported(
    adapter: YonyouAdapter, double: YonyouDouble, sleep: RecordingSleep
) -> None:
    session_id = double.put_session(S.SCHEDULED)
    await adapter.get_session(session_id)
    double.force_code("310046", times=3)
    with pytest.raises(errors.VendorRateLimited) as caught:
        await adapter.get_session(session_id)
    assert caught.value.retry_after == 1.0
    assert len(sleep.waits) == 2
    assert all(1.0 <= wait <= 1.25 for wait in sleep.waits)


async def test_one_throttle_then_success(
    adapter: YonyouAdapter, double: YonyouDouble, sleep: RecordingSleep
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.force_code("310039")
    result = await adapter.terminate(session_id, REASON, idempotency_key="k")
    assert result.outcome is OperationOutcome.APPLIED
    assert len(sleep.waits) == 1


async def test_an_api_not_granted_is_permission_denied_with_the_fix(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    double.revoke_grant("terminate")
    with pytest.raises(errors.VendorPermissionDenied) as caught:
        await adapter.terminate(double.put_session(S.IN_PROGRESS), REASON, idempotency_key="k")
    assert "API 授权" in (caught.value.hint or "")


async def test_an_unpublished_api_is_reported_with_the_path_to_check(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    adapter = make_adapter(api_prefix="/yonbip/hrcloud/interview")
    with pytest.raises(errors.VendorProtocolError) as caught:
        await adapter.list_sessions(SessionFilter())
    assert "api_prefix" in (caught.value.hint or "")
    unpublished = [r for r in double.requests if r.api.endswith("interview/session/list")]
    assert len(unpublished) == 1  # not retried: no retry publishes an API


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.SERVER_ERROR, errors.VendorUnavailable),
        (Fault.ERROR_IN_200, errors.VendorUnavailable),
        (Fault.MALFORMED_BODY, errors.VendorProtocolError),
    ],
)
async def test_injected_faults(
    adapter: YonyouAdapter, double: YonyouDouble, fault: Fault, expected: type[Exception]
) -> None:
    session_id = double.put_session(S.SCHEDULED)
    await adapter.get_session(session_id)
    double.inject(fault, times=3)
    with pytest.raises(expected):
        await adapter.get_session(session_id)


async def test_a_malformed_record_names_the_field(
    adapter: YonyouAdapter, double: YonyouDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = double.put_session(S.SCHEDULED)
    await adapter.get_session(session_id)
    broken = ok({"id": session_id, "status": "1"})  # no candidateId
    monkeypatch.setattr(double.interviews, "_detail", lambda _id: broken)
    with pytest.raises(errors.VendorProtocolError) as caught:
        await adapter.get_session(session_id)
    assert caught.value.field == "candidateId"


# -- secrets ----------------------------------------------------------------------------------


async def test_no_secret_or_token_reaches_logs_errors_or_reprs(
    make_adapter: AdapterFactory, double: YonyouDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = make_adapter()
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.terminate(session_id, REASON, idempotency_key="k")
    double.expire_tokens()
    await adapter.get_session(session_id)
    failures: list[str] = []
    for bad in (make_adapter(app_secret="f" * 40), make_adapter(app_key="nosuch")):
        try:
            await bad.get_session(session_id)
        except errors.InterlockError as error:
            failures += [str(error), repr(error), json.dumps(error.to_dict(), ensure_ascii=False)]
    text = "\n".join([caplog.text, repr(adapter), repr(adapter.connection), *failures])
    assert double.secrets  # the secret and every token issued
    for secret in double.secrets:
        assert secret not in text
    assert "f" * 40 not in text


# -- configuration ----------------------------------------------------------------------------


def test_interlock_toml_needs_a_timezone_and_reads_the_secret_from_the_environment() -> None:
    from interlock.config import parse_accounts

    plugins = get_plugin_manager()
    table = {
        "adapter": "yonyou",
        "tenant_id": "q7ndyp3k",
        "app_key": "3f6b2a0e-8c1d-4e57-9a2b-6d4c8e1f0a73",
        "app_secret": "env:YONYOU_APP_SECRET",
    }
    env = {"YONYOU_APP_SECRET": APP_SECRET}
    with pytest.raises(errors.ConfigurationError) as caught:
        parse_accounts({"accounts": {"yonyou-cn": table}}, plugins, env=env)
    assert "timezone" in caught.value.message
    [account] = parse_accounts(
        {"accounts": {"yonyou-cn": table | {"timezone": "Asia/Shanghai"}}}, plugins, env=env
    )
    assert isinstance(account.options, YonyouOptions)
    assert account.options.app_secret.get_secret_value() == APP_SECRET
    assert account.options.data_center_url == "https://apigateway.yonyoucloud.com"


async def test_check_health_signs_in_and_reads_one_page(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    await make_adapter().check_health()
    with pytest.raises(errors.VendorAuthFailed):
        await make_adapter(app_secret="e" * 40).check_health()
