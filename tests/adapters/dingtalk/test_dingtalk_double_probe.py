"""A black-box probe of the DingTalk double over real loopback HTTP (plain httpx, no adapter):
every behaviour issue 4 lists, as DingTalk's documentation and probes describe it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio

from interlock.doubles import DoubleSettings, Fault, serve
from interlock.models import SessionState
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.double._auth import (
    APP_KEY,
    APP_SECRET,
    CORP_ID,
    SUITE_KEY,
    SUITE_SECRET,
    SUITE_TICKET,
)

AI = "/v1.0/ats/ai/interview/sessions"
BIZ = {"bizCode": "ddats"}
DAY_MS = 86_400_000
SHORT_WINDOW = {"candidateId": "1", "startTimeBeginMillis": 0, "startTimeEndMillis": 1}
INTERVIEW_KEYS = {
    "interviewId",
    "jobId",
    "startTimeMillis",
    "endTimeMillis",
    "cancelled",
    "creatorUserId",
    "interviewers",
}


class Probe:
    """A served double and a plain httpx client pointed at it."""

    def __init__(self, double: DingTalkDouble, http: httpx.AsyncClient) -> None:
        self.double = double
        self.http = http
        self._token: str | None = None

    async def token(self) -> str:
        if self._token is None:
            reply = await self.http.post(
                "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
            )
            self._token = reply.json()["accessToken"]
        return self._token

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"x-acs-dingtalk-access-token": await self.token(), **kw.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kw)

    def session(self, state: SessionState) -> str:
        return next(s.id for s in self.double.world.sessions.values() if s.state is state)


class Switchboard:
    """Serves whichever double the current test installed: one loopback server per module
    (starting and stopping uvicorn per test would dominate the run time). ``serve`` needs only
    ``base_url`` and ``handle`` of a double."""

    base_url = DingTalkDouble.default_base_url

    def __init__(self) -> None:
        self.double = DingTalkDouble()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        return await self.double.handle(request)


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served() -> AsyncIterator[tuple[Switchboard, httpx.AsyncClient]]:
    board = Switchboard()
    async with serve(board) as url, httpx.AsyncClient(base_url=url, timeout=5) as http:
        yield board, http


@pytest.fixture
def install(served: tuple[Switchboard, httpx.AsyncClient]) -> Callable[[DoubleSettings], Probe]:
    def install(settings: DoubleSettings) -> Probe:
        board, http = served
        board.double = DingTalkDouble(settings)
        return Probe(board.double, http)

    return install


@pytest.fixture
def probe(install: Callable[[DoubleSettings], Probe]) -> Probe:
    return install(DoubleSettings(seed=3, sessions=16, qps=1000))


def assert_error(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """DingTalk's error shape: non-2xx, {code, message, requestid}, x-acs-request-id."""
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["requestid"] == reply.headers["x-acs-request-id"]
    assert reply.status_code != 429
    assert "retry-after" not in reply.headers
    return body


# -- tokens ------------------------------------------------------------------------------------


async def test_token_endpoint_takes_json_and_returns_the_same_token_while_valid(
    probe: Probe,
) -> None:
    creds = {"appKey": APP_KEY, "appSecret": APP_SECRET}
    first = await probe.http.post("/v1.0/oauth2/accessToken", json=creds)
    second = await probe.http.post("/v1.0/oauth2/accessToken", json=creds)
    assert first.status_code == 200
    assert set(first.json()) == {"accessToken", "expireIn"}
    assert first.json()["expireIn"] == 7200
    assert first.json()["accessToken"] == second.json()["accessToken"]
    assert probe.double.token_requests == 2


async def test_token_endpoint_refuses_a_form_body(probe: Probe) -> None:
    reply = await probe.http.post(
        "/v1.0/oauth2/accessToken", data={"appKey": APP_KEY, "appSecret": APP_SECRET}
    )
    body = assert_error(reply, 400, "invalidParam")
    assert body["message"] == "body is mandatory"


async def test_wrong_credentials_are_invalid_client_id_or_secret(probe: Probe) -> None:
    reply = await probe.http.post(
        "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": "wrong"}
    )
    body = assert_error(reply, 400, "invalidClientIdOrSecret")
    assert body["message"] == "无效的clientId或者clientSecret"


async def test_isv_corp_token_and_bad_suite_key(probe: Probe) -> None:
    creds = {
        "suiteKey": SUITE_KEY,
        "suiteSecret": SUITE_SECRET,
        "authCorpId": CORP_ID,
        "suiteTicket": SUITE_TICKET,
    }
    reply = await probe.http.post("/v1.0/oauth2/corpAccessToken", json=creds)
    assert reply.status_code == 200
    assert reply.json()["expireIn"] == 7200
    job = probe.double.world.positions[0].id
    info = await probe.http.get(
        f"/v1.0/ats/jobs/{job}/info",
        headers={"x-acs-dingtalk-access-token": reply.json()["accessToken"]},
    )
    assert info.status_code == 200
    bad = await probe.http.post(
        "/v1.0/oauth2/corpAccessToken", json={**creds, "suiteKey": "suite-nope"}
    )
    assert_error(bad, 400, "invalidSuiteKey")


async def test_expired_or_unknown_token_is_400_invalid_authentication(probe: Probe) -> None:
    job = probe.double.world.positions[0].id
    old = await probe.token()
    probe.double.expire_tokens()
    reply = await probe.call("GET", f"/v1.0/ats/jobs/{job}/info")
    assert_error(reply, 400, "InvalidAuthentication")
    unknown = await probe.http.get(
        f"/v1.0/ats/jobs/{job}/info", headers={"x-acs-dingtalk-access-token": "made-up"}
    )
    assert_error(unknown, 400, "InvalidAuthentication")
    fresh = await probe.http.post(
        "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
    )
    assert fresh.json()["accessToken"] != old


async def test_token_lifetime_is_configurable(probe: Probe) -> None:
    probe.double.token_lifetime_s = 0.2
    reply = await probe.http.post(
        "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
    )
    assert reply.json()["expireIn"] == 0  # whole seconds, as DingTalk sends them
    token = reply.json()["accessToken"]
    await asyncio.sleep(0.25)
    job = probe.double.world.positions[0].id
    late = await probe.http.get(
        f"/v1.0/ats/jobs/{job}/info", headers={"x-acs-dingtalk-access-token": token}
    )
    assert_error(late, 400, "InvalidAuthentication")


@pytest.mark.parametrize("where", ["none", "query", "bearer"])
async def test_token_outside_the_acs_header_is_missing_parameter(probe: Probe, where: str) -> None:
    token = await probe.token()
    job = probe.double.world.positions[0].id
    kwargs: dict[str, Any] = {
        "none": {},
        "query": {"params": {"access_token": token}},
        "bearer": {"headers": {"Authorization": f"Bearer {token}"}},
    }[where]
    reply = await probe.http.get(f"/v1.0/ats/jobs/{job}/info", **kwargs)
    body = assert_error(reply, 400, "AuthenticationFailed.MissingParameter")
    assert body["message"] == "缺少参数：x-acs-dingtalk-access-token"


# -- envelope, routing, faults ----------------------------------------------------------------


async def test_success_is_the_bare_object(probe: Probe) -> None:
    job = probe.double.world.positions[0]
    reply = await probe.call("GET", f"/v1.0/ats/jobs/{job.id}/info")
    assert reply.status_code == 200
    assert reply.headers["x-acs-request-id"]
    assert set(reply.json()) == {
        "jobId",
        "name",
        "headCount",
        "mainDeptId",
        "mainDeptName",
        "createTime",
        "jobOwners",
    }
    assert isinstance(reply.json()["mainDeptId"], int)
    assert isinstance(reply.json()["createTime"], int)
    assert reply.json()["jobOwners"] == [
        {"userId": owner, "name": reply.json()["jobOwners"][i]["name"]}
        for i, owner in enumerate(job.owners)
    ]


async def test_unknown_path_is_a_json_404(probe: Probe) -> None:
    reply = await probe.call("GET", "/v1.0/ats/nothing/here")
    assert_error(reply, 404, "InvalidAction.NotFound")


async def test_permission_denied_names_the_required_scopes(probe: Probe) -> None:
    probe.double.revoke_scope()
    reply = await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    body = assert_error(reply, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied")
    assert body["accessdenieddetail"] == {"requiredScopes": ["qyapi_recruitment_plugin"]}


async def test_injected_faults_have_dingtalk_shapes(probe: Probe) -> None:
    await probe.token()
    probe.double.inject(Fault.SERVER_ERROR)
    assert_error(await probe.call("POST", f"{AI}/query", params=BIZ, json={}), 500, "systemError")
    probe.double.inject(Fault.RATE_LIMITED, retry_after=5)
    throttled = await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    assert_error(throttled, 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
    probe.double.inject(Fault.ERROR_IN_200)
    in_200 = await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    assert in_200.status_code == 200
    assert in_200.json()["errcode"] == -1
    probe.double.inject(Fault.MALFORMED_BODY)
    garbage = await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    assert garbage.status_code == 200
    with pytest.raises(ValueError):  # noqa: PT011 - any JSON decoding error
        garbage.json()


async def test_latency_setting_is_honoured(install: Callable[[DoubleSettings], Probe]) -> None:
    probe = install(DoubleSettings(seed=3, sessions=4, latency_ms=80))
    started = time.monotonic()
    await probe.token()
    assert time.monotonic() - started >= 0.08


# -- throttling and quota ------------------------------------------------------------------------


async def test_qps_is_a_window_per_app_and_api_answered_with_403(
    install: Callable[[DoubleSettings], Probe],
) -> None:
    probe = install(DoubleSettings(seed=3, sessions=8, qps=4))
    now = [1000.0]
    probe.double.use_clock(lambda: now[0])
    await probe.token()
    job = probe.double.world.positions[0].id
    replies = [await probe.call("GET", f"/v1.0/ats/jobs/{job}/info") for _ in range(5)]
    assert [r.status_code for r in replies] == [200, 200, 200, 200, 403]
    assert_error(replies[-1], 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
    other_api = await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    assert other_api.status_code == 200  # another API has its own limit
    now[0] += 0.5  # within the same second: still 4 calls in the window (no refill)
    assert (await probe.call("GET", f"/v1.0/ats/jobs/{job}/info")).status_code == 403
    now[0] += 0.5  # a second after the first call: room again
    assert (await probe.call("GET", f"/v1.0/ats/jobs/{job}/info")).status_code == 200
    assert probe.double.throttle_rejections == 2


async def test_global_api_limit_is_qps_limit_for_api(probe: Probe) -> None:
    await probe.token()
    probe.double.set_api_qps(1)
    await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    reply = await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    assert_error(reply, 403, "Forbidden.AccessDenied.QpsLimitForApi")


async def test_monthly_quota_counts_business_calls_but_not_tokens(probe: Probe) -> None:
    await probe.token()
    probe.double.quota.limit = 2
    for _ in range(2):
        assert (await probe.call("POST", f"{AI}/query", params=BIZ, json={})).status_code == 200
    reply = await probe.call("POST", f"{AI}/query", params=BIZ, json={})
    assert_error(reply, 403, "Forbidden.AccessDenied.ApiCountLimitForOrg")
    again = await probe.http.post(
        "/v1.0/oauth2/accessToken", json={"appKey": APP_KEY, "appSecret": APP_SECRET}
    )
    assert again.status_code == 200


# -- documented ATS endpoints --------------------------------------------------------------------


async def test_interviews_query_pages_with_next_token(probe: Probe) -> None:
    world = probe.double.world
    candidate = next(iter(world.sessions.values())).candidate_id
    extra = [world.add(SessionState.SCHEDULED) for _ in range(2)]
    for s in extra:
        s.candidate_id = candidate
    begin = min(s.scheduled_at for s in world.sessions.values())
    body = {
        "candidateId": candidate,
        "startTimeBeginMillis": int(begin.timestamp() * 1000),
        "startTimeEndMillis": int(begin.timestamp() * 1000) + 29 * DAY_MS,
    }
    first = await probe.call(
        "POST", "/v1.0/ats/interviews/query", params={**BIZ, "size": 2}, json=body
    )
    assert first.status_code == 200, first.text
    page = first.json()
    assert set(page) == {"totalCount", "hasMore", "nextToken", "list"}
    assert (page["totalCount"], page["hasMore"], len(page["list"])) == (3, True, 2)
    assert all(set(item) == INTERVIEW_KEYS for item in page["list"])
    assert all(isinstance(item["startTimeMillis"], int) for item in page["list"])
    last = await probe.call(
        "POST",
        "/v1.0/ats/interviews/query",
        params={**BIZ, "size": 2, "nextToken": page["nextToken"]},
        json=body,
    )
    assert last.json()["hasMore"] is False
    assert "nextToken" not in last.json()
    assert len(last.json()["list"]) == 1


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({}, {"startTimeBeginMillis": 0, "startTimeEndMillis": DAY_MS}),
        ({}, {"candidateId": "1", "startTimeBeginMillis": 0, "startTimeEndMillis": 31 * DAY_MS}),
        ({"size": "201"}, SHORT_WINDOW),
        ({"bizCode": "x"}, SHORT_WINDOW),
        ({}, {"candidateId": "1", "startTimeBeginMillis": 5, "startTimeEndMillis": 1}),
    ],
    ids=["no-candidate", "span-31-days", "size-201", "biz-code", "end-before-begin"],
)  # fmt: skip
async def test_interviews_query_refuses_bad_parameters(
    probe: Probe, params: dict[str, str], body: dict[str, Any]
) -> None:
    query = {"bizCode": "ddats", **params}
    reply = await probe.call("POST", "/v1.0/ats/interviews/query", params=query, json=body)
    assert_error(reply, 400, "invalidParam")


async def test_revoked_session_shows_as_a_cancelled_interview(probe: Probe) -> None:
    revoked = probe.double.world.get(probe.session(SessionState.REVOKED))
    start = int(revoked.scheduled_at.timestamp() * 1000)
    body = {
        "candidateId": revoked.candidate_id,
        "startTimeBeginMillis": start,
        "startTimeEndMillis": start,
    }
    reply = await probe.call("POST", "/v1.0/ats/interviews/query", params=BIZ, json=body)
    assert reply.json()["list"][0]["cancelled"] is True


async def test_candidate_by_phone(probe: Probe, caplog: pytest.LogCaptureFixture) -> None:
    s = next(iter(probe.double.world.sessions.values()))
    # DingTalk puts the phone number in the query string; this raw probe's httpx client would
    # log it at INFO, so its request log is silenced here (Interlock's own client never logs
    # query strings).
    caplog.set_level(logging.WARNING, logger="httpx")
    reply = await probe.call(
        "GET", "/v1.0/ats/candidates", params={**BIZ, "phoneNumber": s.candidate_phone}
    )
    assert reply.json() == {"candidateId": s.candidate_id, "name": s.candidate_name}
    missing = await probe.call(
        "GET", "/v1.0/ats/candidates", params={**BIZ, "phoneNumber": "10000000000"}
    )
    assert_error(missing, 404, "resource.not.found")


async def test_flow_of_an_interview_and_its_info(probe: Probe) -> None:
    s = next(iter(probe.double.world.sessions.values()))
    ids = await probe.call(
        "GET",
        "/v1.0/ats/flows/ids",
        params={**BIZ, "relationEntity": "interview", "relationEntityId": s.id},
    )
    assert set(ids.json()) == {"flowId"}
    info = await probe.call("GET", f"/v1.0/ats/flows/{ids.json()['flowId']}/info")
    assert set(info.json()) == {
        "flowId",
        "candidateId",
        "candidateName",
        "jobId",
        "statId",
        "currentStatus",
        "sourceName",
        "createTime",
    }
    assert info.json()["candidateId"] == s.candidate_id
    wrong = await probe.call(
        "GET", "/v1.0/ats/flows/ids", params={"relationEntity": "offer", "relationEntityId": s.id}
    )
    assert_error(wrong, 400, "invalidParam")


async def test_sign_in_info_is_an_empty_json_object(probe: Probe) -> None:
    s = next(iter(probe.double.world.sessions.values()))
    path = f"/v1.0/ats/interviews/{s.id}/signInInfos"
    reply = await probe.call("PUT", path, params=BIZ, json={"signInTimeMillis": 1764000000000})
    assert reply.status_code == 200
    assert reply.json() == {}  # the official SDK parses every answer as JSON
    assert probe.double.tenant.sign_ins[s.id] == 1764000000000
    assert_error(await probe.call("PUT", path, params=BIZ, json={}), 400, "invalidParam")


async def test_sync_to_the_ai_interview_assistant(probe: Probe) -> None:
    reply = await probe.call(
        "POST", "/v1.0/ats/ai/interview/interviewInfos/sync", json={"interviewId": "23"}
    )
    assert reply.json() == {"result": True, "success": True}


# -- DingTalk-style extension ------------------------------------------------------------------


async def test_session_query_filters_and_pages(probe: Probe) -> None:
    world = probe.double.world
    target = next(iter(world.sessions.values()))
    start = int(target.scheduled_at.timestamp() * 1000)
    body = {
        "statusList": ["IN_PROGRESS", "PAUSED", "NOT_STARTED"],
        "startTimeBeginMillis": start,
        "startTimeEndMillis": start + 1,
    }
    reply = await probe.call("POST", f"{AI}/query", params=BIZ, json=body)
    assert [s["sessionId"] for s in reply.json()["list"]] == [target.id]
    by_job = await probe.call(
        "POST", f"{AI}/query", params={**BIZ, "size": 3}, json={"jobId": target.position.id}
    )
    page = by_job.json()
    assert page["hasMore"] is (page["totalCount"] > 3)
    assert all(s["jobId"] == target.position.id for s in page["list"])
    window = {"startTimeBeginMillis": start, "startTimeEndMillis": start}
    empty_window = await probe.call("POST", f"{AI}/query", params=BIZ, json=window)
    assert empty_window.json()["list"] == []  # the end is exclusive


async def test_session_object_uses_ms_times_and_string_ids(probe: Probe) -> None:
    session_id = probe.session(SessionState.PAUSED)
    reply = await probe.call("GET", f"{AI}/{session_id}", params=BIZ)
    body = reply.json()
    assert body["status"] == "PAUSED"
    assert isinstance(body["sessionId"], str)
    assert isinstance(body["candidateId"], str)
    millis = [k for k in body if k.endswith("Millis")]
    assert {"startTimeMillis", "resumeDeadlineMillis"} <= set(millis)
    assert all(isinstance(body[k], int) for k in millis)


async def test_verbs_move_through_the_state_machine_idempotently(probe: Probe) -> None:
    session_id = probe.session(SessionState.IN_PROGRESS)
    pause = await probe.call(
        "POST", f"{AI}/{session_id}/pause", params=BIZ, json={"reasonCode": "candidate_network"}
    )
    assert pause.json()["statusChanged"] is True
    assert (pause.json()["previousStatus"], pause.json()["status"]) == ("IN_PROGRESS", "PAUSED")
    again = await probe.call("POST", f"{AI}/{session_id}/pause", params=BIZ, json={})
    assert again.status_code == 200
    assert again.json()["statusChanged"] is False
    assert probe.double.mutation_counts[session_id] == 1
    resume = await probe.call("POST", f"{AI}/{session_id}/resume", params=BIZ, json={})
    assert resume.json()["status"] == "IN_PROGRESS"
    cancel = await probe.call("POST", f"{AI}/{session_id}/cancel", params=BIZ, json={})
    assert cancel.json()["status"] == "CANCELLED"
    refused = await probe.call("POST", f"{AI}/{session_id}/terminate", params=BIZ, json={})
    assert_error(refused, 400, "invalidStatus")


async def test_a_repeated_client_token_replays_the_first_answer(probe: Probe) -> None:
    session_id = probe.session(SessionState.IN_PROGRESS)
    body = {"clientToken": "op-42"}
    first = await probe.call("POST", f"{AI}/{session_id}/terminate", params=BIZ, json=body)
    second = await probe.call("POST", f"{AI}/{session_id}/terminate", params=BIZ, json=body)
    assert second.json() == first.json()
    assert second.json()["statusChanged"] is True


async def test_unknown_session_is_resource_not_found(probe: Probe) -> None:
    missing = probe.double.missing_session_id()
    assert_error(await probe.call("GET", f"{AI}/{missing}", params=BIZ), 404, "resource.not.found")
    reply = await probe.call("POST", f"{AI}/{missing}/pause", params=BIZ, json={})
    assert_error(reply, 404, "resource.not.found")


async def test_batch_answers_per_id_and_refuses_more_than_50(probe: Probe) -> None:
    running = probe.session(SessionState.IN_PROGRESS)
    done = probe.session(SessionState.COMPLETED)
    missing = probe.double.missing_session_id()
    reply = await probe.call(
        "POST", f"{AI}/batch/terminate", params=BIZ, json={"sessionIds": [running, done, missing]}
    )
    body = reply.json()
    assert (body["totalCount"], body["successCount"], body["failedCount"]) == (3, 1, 2)
    # DingTalk documents no order for the results: the double answers in a random one
    results = {r["sessionId"]: r for r in body["results"]}
    assert sorted(results) == sorted([running, done, missing])
    assert results[done]["errorCode"] == "invalidStatus"
    assert results[done]["status"] == "FINISHED"
    assert results[missing]["errorCode"] == "resource.not.found"
    too_many = await probe.call(
        "POST", f"{AI}/batch/pause", params=BIZ, json={"sessionIds": [running] * 51}
    )
    assert_error(too_many, 400, "invalidParam")
    empty = await probe.call("POST", f"{AI}/batch/pause", params=BIZ, json={"sessionIds": []})
    assert_error(empty, 400, "invalidParam")


async def test_a_vendor_only_status_refuses_every_verb(probe: Probe) -> None:
    session_id = probe.double.put_unmapped_session()
    reply = await probe.call("GET", f"{AI}/{session_id}", params=BIZ)
    assert reply.json()["status"] == "ARCHIVED"
    refused = await probe.call("POST", f"{AI}/{session_id}/pause", params=BIZ, json={})
    assert_error(refused, 400, "invalidStatus")
    assert probe.double.mutation_counts[session_id] == 0
