"""The Beisen adapter against its double through respx: what the contract suite does not cover.

Configuration, both token endpoints, Beisen's own error signals (trusted IPs, the throttle's
three windows), asynchronous batches (chunks, per-item causes, Overtime, an exhausted wait,
an ambiguous submit), races between the read and the write, and time zones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from beisen_support import REASON, SHANGHAI, AdapterFactory, RecordingSleep
from pydantic import ValidationError

from interlock import Interlock, errors
from interlock.adapter import AccountContext
from interlock.config import load_accounts
from interlock.doubles import Fault
from interlock.models import OperationOutcome, SessionFilter, SessionRef, SessionState, Verb
from interlock.plugins import get_plugin_manager
from interlock_beisen._client import default_limiter
from interlock_beisen.adapter import BeisenAdapter
from interlock_beisen.double import (
    APP_ID,
    APP_SECRET,
    OAUTH_SECRET,
    TENANT_ID,
    ApiLimit,
    BeisenDouble,
    BeisenDoubleConfig,
)
from interlock_beisen.options import BeisenOptions

RECRUIT = "/RecruitV6/api/v1/"


def calls_to(router: respx.Router, path: str) -> list[httpx.Request]:
    return [call.request for call in router.calls if call.request.url.path == path]


def around(
    double: BeisenDouble,
    api: str,
    after: Callable[[httpx.Response], Any] | None = None,
    answer: dict[str, Any] | None = None,
) -> None:
    """Change what one endpoint of the double does: answer ``answer`` instead, or run ``after``
    once it has answered (to change the vendor's state between two calls of the adapter)."""
    path = RECRUIT + api
    route = double.routes[path]

    async def handler(request: httpx.Request, rid: str) -> httpx.Response:
        if answer is not None:
            return httpx.Response(200, json=answer)
        response = await route.handler(request, rid)
        if after is not None:
            after(response)
        return response

    double.routes[path] = replace(route, handler=handler)


class FakeClock:
    """Monotonic seconds that move only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def token_grants(router: respx.Router) -> list[str]:
    forms = [httpx.QueryParams(c.content.decode()) for c in calls_to(router, "/token")]
    return [form["grant_type"] for form in forms]


def body_of(request: httpx.Request) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(request.content)
    return data


# -- configuration -----------------------------------------------------------------------------


async def test_a_missing_time_zone_is_a_configuration_error(make_adapter: AdapterFactory) -> None:
    with pytest.raises(errors.ConfigurationError, match="time zone"):
        await make_adapter(timezone=None)


def test_interlock_toml_without_timezone_fails_at_start_up(tmp_path: Path) -> None:
    config = tmp_path / "interlock.toml"
    config.write_text(
        '[accounts.beisen-cn]\nadapter = "beisen"\napp_key = "k"\napp_secret = "s"\n',
        encoding="utf-8",
    )
    with pytest.raises(errors.ConfigurationError, match="timezone"):
        load_accounts(config, get_plugin_manager())


async def test_an_account_from_interlock_toml_works_through_the_facade(
    tmp_path: Path, double: BeisenDouble
) -> None:
    config = tmp_path / "interlock.toml"
    config.write_text(
        "[accounts.beisen-cn]\n"
        'adapter = "beisen"\n'
        'timezone = "Asia/Shanghai"\n'
        f'base_url = "{double.base_url}"\n'
        'token_endpoint = "oauth"\n'
        f'app_id = "{APP_ID}"\n'
        f'tenant_id = "{TENANT_ID}"\n'
        'secret = "env:BEISEN_SECRET"\n'
        "vendor_qps = 100\n"
        "async_poll_interval_s = 0.01\n",
        encoding="utf-8",
    )
    transports = {"beisen-cn": httpx.MockTransport(double.handle)}
    env = {"BEISEN_SECRET": OAUTH_SECRET}
    async with Interlock.from_config(config, transports=transports, env=env) as interlock:
        running = double.put_session(SessionState.IN_PROGRESS)
        ref = SessionRef(account="beisen-cn", session_id=running)
        result = await interlock.pause(ref, REASON)
        assert result.outcome is OperationOutcome.APPLIED
        batch = [r async for r in interlock.batch(Verb.TERMINATE, [ref], REASON)]
        assert [r.outcome for r in batch] == [OperationOutcome.APPLIED]
        assert OAUTH_SECRET not in repr(interlock.adapter("beisen-cn").options)
    assert double.world.get(running).state is SessionState.TERMINATED


def test_the_spec_says_it_needs_a_time_zone() -> None:
    spec = get_plugin_manager().adapter("beisen")
    assert spec.needs_timezone is True
    assert spec.double_factory is BeisenDouble


@pytest.mark.parametrize(
    ("options", "missing"),
    [
        ({"app_key": "k"}, "app_secret"),
        ({"token_endpoint": "oauth", "app_id": "1", "secret": "s"}, "tenant_id"),
    ],
)
def test_options_name_missing_credentials(options: dict[str, str], missing: str) -> None:
    with pytest.raises(ValidationError, match=missing):
        BeisenOptions.model_validate(options)


def test_options_refuse_unknown_keys_and_hide_secrets() -> None:
    with pytest.raises(ValidationError):
        BeisenOptions.model_validate({"app_key": "k", "app_secret": "s", "app_secrte": "x"})
    options = BeisenOptions.model_validate({"app_key": "k", "app_secret": APP_SECRET})
    assert APP_SECRET not in repr(options)


# -- tokens ------------------------------------------------------------------------------------


async def test_the_oauth_token_endpoint_is_configuration(
    make_adapter: AdapterFactory, double: BeisenDouble, router: respx.Router
) -> None:
    adapter = await make_adapter(
        token_endpoint="oauth",
        app_key=None,
        app_secret=None,
        app_id=APP_ID,
        tenant_id=TENANT_ID,
        secret=OAUTH_SECRET,
    )
    page = await adapter.list_sessions(SessionFilter(), page_size=3)
    assert len(page.sessions) == 3
    (token_call,) = calls_to(router, "/OAuth/Token")
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert not calls_to(router, "/token")


async def test_an_epoch_expires_in_is_read_as_an_expiry() -> None:
    epoch_double = BeisenDouble(config=BeisenDoubleConfig(oauth_expires_in="epoch"))
    with respx.mock(assert_all_mocked=True) as router:
        epoch_double.mount(router)
        options = {
            **epoch_double.adapter_options(epoch_double.base_url),
            "token_endpoint": "oauth",
            "app_id": APP_ID,
            "tenant_id": TENANT_ID,
            "secret": OAUTH_SECRET,
        }
        adapter = BeisenAdapter(
            AccountContext(
                account="beisen-epoch",
                options=BeisenOptions.model_validate(options),
                timezone=SHANGHAI,
            )
        )
        for _ in range(3):
            await adapter.list_sessions(SessionFilter(), page_size=1)
        await adapter.aclose()
    assert epoch_double.token_requests == 1  # cached: an epoch expiry is two hours away


async def test_the_token_body_may_be_json(
    make_adapter: AdapterFactory, router: respx.Router
) -> None:
    adapter = await make_adapter(token_body="json")
    await adapter.list_sessions(SessionFilter(), page_size=1)
    (token_call,) = calls_to(router, "/token")
    assert token_call.headers["content-type"] == "application/json"
    assert json.loads(token_call.content)["grant_type"] == "client_credentials"


async def test_an_expired_token_is_refreshed_with_the_refresh_token(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    await adapter.list_sessions(SessionFilter(), page_size=1)
    double.expire_tokens()
    await adapter.list_sessions(SessionFilter(), page_size=1)
    grants = [
        dict(httpx.QueryParams(c.content.decode()))["grant_type"]
        for c in calls_to(router, "/token")
    ]
    assert grants == ["client_credentials", "refresh_token"]


async def test_a_refused_refresh_token_falls_back_to_the_credentials(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    await adapter.list_sessions(SessionFilter(), page_size=1)
    double.expire_tokens()
    double.tokens.refresh.clear()  # the platform forgot every refresh token
    await adapter.list_sessions(SessionFilter(), page_size=1)
    grants = [
        dict(httpx.QueryParams(c.content.decode()))["grant_type"]
        for c in calls_to(router, "/token")
    ]
    assert grants == ["client_credentials", "refresh_token", "client_credentials"]


async def test_wrong_credentials_fail_without_leaking_them(
    make_adapter: AdapterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = await make_adapter(app_secret="not-the-secret-at-all")
    with pytest.raises(errors.VendorAuthFailed) as caught:
        await adapter.get_session(str(uuid.uuid4()))
    assert "invalid_client" in str(caught.value)
    texts = [str(caught.value), repr(caught.value), repr(adapter), caplog.text]
    assert not any("not-the-secret-at-all" in text for text in texts)


# -- Beisen's own error signals ----------------------------------------------------------------


async def test_an_untrusted_ip_is_permission_denied_quoting_beisen(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    double.trusted_ips = frozenset({"10.0.0.8"})
    with pytest.raises(errors.VendorPermissionDenied) as caught:
        await adapter.get_session(double.put_session(SessionState.PAUSED))
    assert "当前调用端的IP不在受信IP范围内...当前请求IP：127.0.0.1" in str(caught.value)
    assert double.token_requests == 1  # the token endpoint does not check the IP


async def test_a_429_without_retry_after_waits_a_second_then_succeeds(
    adapter: BeisenAdapter, double: BeisenDouble, sleep: RecordingSleep
) -> None:
    session_id = double.put_session(SessionState.PAUSED)
    await adapter.list_sessions(SessionFilter(), page_size=1)  # the token, before the fault
    double.inject(Fault.RATE_LIMITED)
    session = await adapter.get_session(session_id)
    assert session.state is SessionState.PAUSED
    assert len(sleep.waits) == 1
    assert sleep.waits[0] >= 1.0


async def test_a_persistent_429_with_retry_after_reports_it(
    adapter: BeisenAdapter, double: BeisenDouble, sleep: RecordingSleep
) -> None:
    await adapter.list_sessions(SessionFilter(), page_size=1)  # the token, before the fault
    double.inject(Fault.RATE_LIMITED, times=5, retry_after=2)
    with pytest.raises(errors.VendorRateLimited) as caught:
        await adapter.get_session(str(uuid.uuid4()))
    assert caught.value.retry_after == 2.0
    assert all(wait >= 2.0 for wait in sleep.waits)
    assert len(sleep.waits) == 2  # three attempts in all


async def test_the_minute_window_asks_for_a_long_wait_that_is_not_slept() -> None:
    limits = {"Interview/GetInterviewById": ApiLimit(per_second=100, per_minute=1)}
    limited = BeisenDouble(
        config=BeisenDoubleConfig(limits=limits), wall_clock=lambda: 1_790_000_040.5
    )
    with respx.mock(assert_all_mocked=True) as router:
        limited.mount(router)
        adapter = BeisenAdapter(
            AccountContext(
                account="beisen-minute",
                options=BeisenOptions.model_validate(limited.adapter_options(limited.base_url)),
                timezone=SHANGHAI,
            )
        )
        session_id = limited.put_session(SessionState.PAUSED)
        await adapter.get_session(session_id)
        with pytest.raises(errors.VendorRateLimited) as caught:
            await adapter.get_session(session_id)
        await adapter.aclose()
    assert caught.value.retry_after == 60.0  # longer than the policy waits: raised at once
    assert limited.throttle_rejections == 1


async def test_a_spent_daily_total_is_quota_exhausted_and_not_retried(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    session_id = double.put_session(SessionState.PAUSED)
    await adapter.get_session(session_id)
    double.throttle.daily_total = 1
    before = len(double.requests)
    with pytest.raises(errors.VendorQuotaExhausted):
        await adapter.get_session(session_id)
    assert len(double.requests) - before == 1


async def test_the_client_paces_itself_at_beisen_s_documented_limit(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    session_id = double.put_session(SessionState.PAUSED)
    await adapter.get_session(session_id)
    started = time.monotonic()
    await asyncio.gather(*(adapter.get_session(session_id) for _ in range(20)))
    # 20 reads at 80 % of 20/s, a quarter second of burst: at least ~1 s (load only slows it).
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize(
    ("api", "per_second"),
    [("Interview/GetInterviewById", 20), ("Interview/BatchSuspendAIInterview", 50)],
)
async def test_no_second_sees_more_calls_than_beisen_allows(api: str, per_second: int) -> None:
    clock = FakeClock()
    limiter = default_limiter(
        BeisenOptions.model_validate({"app_key": "k", "app_secret": "s"}),
        clock=clock,
        sleep=clock.sleep,
    )
    released: list[float] = []
    for _ in range(3 * per_second):
        await limiter.acquire(f"beisen-cn:{api}")
        released.append(clock.now)
    busiest = max(sum(1 for t in released if start <= t < start + 1) for start in released)
    assert busiest <= per_second
    assert released[-1] >= 2.0  # and it does not stall: about 80 % of the limit


async def test_a_malformed_interview_is_a_protocol_error_naming_the_field(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    interview_id = str(uuid.uuid4())
    data = {"interviewId": interview_id, "applicantId": "a"}  # no jobId
    around(double, "Interview/GetInterviewById", answer={"code": 200, "message": "", "data": data})
    with pytest.raises(errors.VendorProtocolError) as caught:
        await adapter.get_session(interview_id)
    assert caught.value.field == "data.jobId"


async def test_a_batch_that_is_not_last_needs_a_next_batch_id(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    data = {"total": 9, "nextBatchId": "", "isLastBatch": False, "items": []}
    around(
        double, "Interview/GetInterviewsByDate", answer={"code": 200, "message": "", "data": data}
    )
    with pytest.raises(errors.VendorProtocolError) as caught:
        await adapter.list_sessions(SessionFilter())
    assert caught.value.field == "data.nextBatchId"


# -- reads -------------------------------------------------------------------------------------


async def test_an_id_that_is_no_guid_is_not_found_without_a_call(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    with pytest.raises(errors.SessionNotFound):
        await adapter.get_session("not-a-guid")
    assert not double.requests


async def test_the_date_range_goes_to_beisen_in_local_time(
    adapter: BeisenAdapter, router: respx.Router
) -> None:
    start = datetime(2026, 3, 1, 16, 0, 0, 250_000, tzinfo=UTC)
    end = datetime(2026, 3, 2, 16, 0, 0, 250_000, tzinfo=UTC)
    await adapter.list_sessions(SessionFilter(start_from=start, start_to=end), page_size=500)
    (call,) = calls_to(router, RECRUIT + "Interview/GetInterviewsByDate")
    assert call.url.params["startDate"] == "2026-03-02T00:00:00"  # Shanghai is UTC+8
    assert call.url.params["endDate"] == "2026-03-03T00:00:01"  # rounded up: nothing lost
    assert call.url.params["pageSize"] == "200"


async def test_an_empty_range_is_answered_without_a_call(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    page = await adapter.list_sessions(SessionFilter(start_from=moment, start_to=moment))
    assert page.sessions == ()
    assert not double.requests


async def test_the_account_time_zone_is_used(
    make_adapter: AdapterFactory, double: BeisenDouble
) -> None:
    session_id = double.put_session(SessionState.IN_PROGRESS)
    truth = double.world.get(session_id).scheduled_at
    in_shanghai = await (await make_adapter()).get_session(session_id)
    in_utc = await (await make_adapter(timezone=UTC)).get_session(session_id)
    assert in_shanghai.scheduled_at == truth
    assert in_utc.scheduled_at == truth + timedelta(hours=8)  # the wrong zone shifts it


# -- single verbs ------------------------------------------------------------------------------


async def test_pause_sends_the_deadline_in_local_time(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    session_id = double.put_session(SessionState.IN_PROGRESS)
    deadline = datetime(2030, 5, 1, 4, 30, tzinfo=UTC)
    result = await adapter.pause(
        session_id, REASON, idempotency_key="op-1", resume_deadline=deadline
    )
    assert result.outcome is OperationOutcome.APPLIED
    assert (result.state_before, result.state_after) == (
        SessionState.IN_PROGRESS,
        SessionState.PAUSED,
    )
    (call,) = calls_to(router, RECRUIT + "Interview/SuspendAIInterview")
    assert body_of(call)["resumeDeadline"] == "2030-05-01T12:30:00"
    assert body_of(call)["reasonCode"] == "operator_error"
    assert double.world.get(session_id).resume_deadline == deadline
    assert result.vendor_request_id == call.headers["X-PAAS-Request-ID"]


async def test_the_request_id_is_derived_from_the_idempotency_key(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    first, second = (double.put_session(SessionState.SCHEDULED) for _ in range(2))
    await adapter.revoke(first, REASON, idempotency_key="same-key")
    await adapter.revoke(second, REASON, idempotency_key="other-key")
    ids = [
        c.headers["X-PAAS-Request-ID"]
        for c in calls_to(router, RECRUIT + "Interview/CancelInterview")
    ]
    assert len(set(ids)) == 2
    assert all(uuid.UUID(i) for i in ids)


async def test_revoke_goes_through_cancel_interview(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    session_id = double.put_session(SessionState.PAUSED)
    result = await adapter.revoke(session_id, REASON, idempotency_key="op-2")
    assert result.state_after is SessionState.REVOKED
    (call,) = calls_to(router, RECRUIT + "Interview/CancelInterview")
    assert body_of(call) == {"interviewId": session_id, "cancelReason": "operator_error"}


async def test_a_status_change_between_read_and_write_is_named_exactly(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    session_id = double.put_session(SessionState.IN_PROGRESS)

    def completes(_: httpx.Response) -> None:
        double.world.get(session_id).state = SessionState.COMPLETED  # the candidate finished

    around(double, "Interview/GetInterviewById", after=completes)
    with pytest.raises(errors.InvalidTransition) as caught:
        await adapter.terminate(session_id, REASON, idempotency_key="op-3")
    assert (caught.value.from_state, caught.value.verb) == ("completed", "terminate")


async def test_resume_after_the_deadline_is_refused(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    session_id = double.put_session(SessionState.PAUSED)
    double.world.get(session_id).resume_deadline = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(errors.InvalidTransition, match="恢复截止时间"):
        await adapter.resume(session_id, REASON, idempotency_key="op-4")
    assert double.world.get(session_id).state is SessionState.PAUSED


# -- asynchronous batches ----------------------------------------------------------------------


def batch_calls(router: respx.Router, name: str) -> list[httpx.Request]:
    return calls_to(router, f"{RECRUIT}Interview/Batch{name}AIInterview")


async def test_a_batch_is_chunked_by_100_with_one_result_per_id(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    ids = [double.put_session(SessionState.IN_PROGRESS) for _ in range(230)]
    results = await adapter.batch(Verb.TERMINATE, ids, REASON, idempotency_key="big")
    assert [r.ref.session_id for r in results] == ids
    assert all(r.outcome is OperationOutcome.APPLIED for r in results)
    sizes = sorted(len(body_of(c)["interviewIds"]) for c in batch_calls(router, "Terminate"))
    assert sizes == [30, 100, 100]
    request_ids = {c.headers["X-PAAS-Request-ID"] for c in batch_calls(router, "Terminate")}
    assert {r.vendor_request_id for r in results} == request_ids
    assert all(r.idempotency_key == f"big:{r.ref.session_id}" for r in results)


async def test_a_batch_skips_what_needs_no_write(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    paused = double.put_session(SessionState.PAUSED)
    done = double.put_session(SessionState.COMPLETED)
    results = await adapter.batch(
        Verb.PAUSE, [paused, done, "not-a-guid"], REASON, idempotency_key="skip"
    )
    outcomes = [(r.outcome, r.error_code) for r in results]
    assert outcomes == [
        (OperationOutcome.ALREADY_IN_STATE, None),
        (OperationOutcome.FAILED, "SESSION.INVALID_TRANSITION"),
        (OperationOutcome.FAILED, "SESSION.NOT_FOUND"),
    ]
    assert not batch_calls(router, "Suspend")  # nothing to change: no job


async def test_a_repeated_batch_names_the_same_job(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    ids = [double.put_session(SessionState.IN_PROGRESS) for _ in range(3)]
    first = await adapter.batch(Verb.PAUSE, ids, REASON, idempotency_key="again")
    second = await adapter.batch(Verb.PAUSE, ids, REASON, idempotency_key="again")
    assert {r.outcome for r in first} == {OperationOutcome.APPLIED}
    assert {r.outcome for r in second} == {OperationOutcome.ALREADY_IN_STATE}
    assert len(double.jobs.jobs) == 1
    assert all(double.mutation_counts[i] == 1 for i in ids)


async def test_overtime_fails_every_item_with_the_request_id(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    ids = [double.put_session(SessionState.IN_PROGRESS) for _ in range(2)]
    double.jobs.end_next("Overtime")
    results = await adapter.batch(Verb.TERMINATE, ids, REASON, idempotency_key="slow")
    (job_id,) = double.jobs.jobs
    for result in results:
        assert result.outcome is OperationOutcome.FAILED
        assert result.error_code == "VENDOR.UNAVAILABLE"
        assert result.vendor_request_id == job_id
        assert "Overtime" in (result.error_message or "")
        assert "unknown" in (result.error_message or "")
    # Beisen: Overtime does not stop the task. The items say "unknown", never "applied".
    assert all(double.world.get(i).state is SessionState.TERMINATED for i in ids)


async def test_an_exhausted_wait_fails_every_item_with_the_request_id(
    make_adapter: AdapterFactory, double: BeisenDouble
) -> None:
    adapter = await make_adapter(async_wait_s=0.05)
    ids = [double.put_session(SessionState.PAUSED) for _ in range(2)]
    double.jobs.end_next("Hang")
    results = await adapter.batch(Verb.RESUME, ids, REASON, idempotency_key="hang")
    (job_id,) = double.jobs.jobs
    assert {(r.outcome, r.error_code, r.vendor_request_id) for r in results} == {
        (OperationOutcome.FAILED, "VENDOR.UNAVAILABLE", job_id)
    }
    assert "still Running" in (results[0].error_message or "")


@pytest.mark.parametrize("fault", [Fault.TIMEOUT_AFTER_SEND, Fault.CONNECTION_RESET])
async def test_an_ambiguous_submit_is_resolved_by_finding_the_job(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router, fault: Fault
) -> None:
    ids = [double.put_session(SessionState.IN_PROGRESS) for _ in range(3)]
    double.inject(fault, only_mutations=True)
    results = await adapter.batch(Verb.PAUSE, ids, REASON, idempotency_key="ambiguous")
    assert {r.outcome for r in results} == {OperationOutcome.APPLIED}
    assert len(batch_calls(router, "Suspend")) == 1  # found, not resent
    assert all(double.mutation_counts[i] == 1 for i in ids)


async def test_a_submit_that_never_left_is_resent_under_the_same_request_id(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    ids = [double.put_session(SessionState.IN_PROGRESS) for _ in range(2)]
    double.inject(Fault.TIMEOUT_BEFORE_SEND, only_mutations=True)
    results = await adapter.batch(Verb.TERMINATE, ids, REASON, idempotency_key="resend")
    assert {r.outcome for r in results} == {OperationOutcome.APPLIED}
    sent = batch_calls(router, "Terminate")
    assert len({c.headers["X-PAAS-Request-ID"] for c in sent}) == 1


async def test_per_item_causes_become_neutral_errors(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    fine = double.put_session(SessionState.PAUSED)
    late = double.put_session(SessionState.PAUSED)
    gone = double.put_session(SessionState.PAUSED)
    changed = double.put_session(SessionState.PAUSED)

    def meanwhile(_: httpx.Response) -> None:  # after the adapter's read, before the job runs
        if gone in double.world.sessions:
            double.world.get(late).resume_deadline = datetime.now(UTC) - timedelta(seconds=1)
            double.world.sessions.pop(gone)
            double.world.get(changed).state = SessionState.EXPIRED

    around(double, "Interview/GetInterviewsByIds", after=meanwhile)
    results = await adapter.batch(
        Verb.RESUME, [fine, late, gone, changed], REASON, idempotency_key="causes"
    )
    by_id = {r.ref.session_id: r for r in results}
    assert by_id[fine].outcome is OperationOutcome.APPLIED
    assert by_id[late].error_code == "SESSION.INVALID_TRANSITION"
    assert "deadline" in (by_id[late].error_message or "")
    assert by_id[gone].error_code == "SESSION.NOT_FOUND"
    assert by_id[changed].error_code == "SESSION.INVALID_TRANSITION"
    assert "cannot resume a session that is expired" in (by_id[changed].error_message or "")


async def test_an_unreadable_job_state_is_an_unknown_outcome(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    ids = [double.put_session(SessionState.IN_PROGRESS) for _ in range(2)]

    def job_page_breaks(_: httpx.Response) -> None:
        double.inject(Fault.SERVER_ERROR, times=10)  # every poll of the accepted job fails

    around(double, "Interview/BatchTerminateAIInterview", after=job_page_breaks)
    results = await adapter.batch(Verb.TERMINATE, ids, REASON, idempotency_key="blind")
    (job_id,) = double.jobs.jobs
    for result in results:
        assert (result.outcome, result.error_code) == (
            OperationOutcome.FAILED,
            "VENDOR.UNAVAILABLE",
        )
        assert result.vendor_request_id == job_id
        assert "unknown" in (result.error_message or "")


async def test_one_interview_spelt_two_ways_gets_two_results(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    session_id = double.put_session(SessionState.IN_PROGRESS)
    upper = session_id.upper()
    results = await adapter.batch(Verb.PAUSE, [session_id, upper], REASON, idempotency_key="twice")
    assert [r.ref.session_id for r in results] == [session_id, upper]
    assert {r.outcome for r in results} == {OperationOutcome.APPLIED}
    assert [r.idempotency_key for r in results] == [f"twice:{session_id}", f"twice:{upper}"]
    assert double.mutation_counts[session_id] == 1


async def test_a_revoke_batch_cancels_one_by_one(
    adapter: BeisenAdapter, double: BeisenDouble, router: respx.Router
) -> None:
    ids = [double.put_session(SessionState.SCHEDULED) for _ in range(3)]
    results = await adapter.batch(Verb.REVOKE, ids, REASON, idempotency_key="revoke")
    assert {r.outcome for r in results} == {OperationOutcome.APPLIED}
    assert len(calls_to(router, RECRUIT + "Interview/CancelInterview")) == 3
    assert {r.idempotency_key for r in results} == {f"revoke:{i}" for i in ids}


async def test_a_failing_read_fails_the_chunk_not_the_call(
    adapter: BeisenAdapter, double: BeisenDouble
) -> None:
    ids = [double.put_session(SessionState.IN_PROGRESS) for _ in range(2)]
    double.inject(Fault.SERVER_ERROR, times=10)
    results = await adapter.batch(Verb.PAUSE, ids, REASON, idempotency_key="down")
    assert {(r.outcome, r.error_code) for r in results} == {
        (OperationOutcome.FAILED, "VENDOR.UNAVAILABLE")
    }


async def test_capabilities_say_how_changes_are_observed(adapter: BeisenAdapter) -> None:
    capabilities = adapter.capabilities
    assert capabilities.push_events is False
    assert str(capabilities.change_observation) == "polling"
    assert capabilities.native_batch_size == 100
    assert capabilities.restore is False
    with pytest.raises(errors.UnsupportedOperation):
        adapter.parse_callback(None)  # type: ignore[arg-type]
