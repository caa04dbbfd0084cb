"""A black-box probe of the Beisen double over real loopback HTTP, with plain httpx.

No adapter code is involved: every assertion is about what goes over the wire, the way the
credential-less probes of the real platform were made (``vendors.md`` §2). One loopback server
serves the whole module (starting one per test costs more than the tests); each test gets a
fresh double behind it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
import pytest_asyncio

from interlock.doubles import DoubleSettings, Fault, VendorDouble, serve
from interlock.models import SessionState
from interlock_beisen.double import (
    APP_ID,
    APP_KEY,
    APP_SECRET,
    OAUTH_SECRET,
    TENANT_ID,
    ApiLimit,
    BeisenDouble,
    BeisenDoubleConfig,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

RECRUIT = "/RecruitV6/api/v1/"
JOB = "/OpenPlatform/api/AsyncApiExecInfo/GetByRequestId"
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
EVERYTHING = {"startDate": "2000-01-01T00:00:00", "endDate": "2099-12-31T23:59:59"}
CREDENTIALS = {"grant_type": "client_credentials", "app_key": APP_KEY, "app_secret": APP_SECRET}


class FrozenClock:
    """Wall-clock seconds that stand still unless moved (fixed windows stay deterministic)."""

    def __init__(self) -> None:
        self.now = 1_790_000_040.25  # a quarter second into a minute

    def __call__(self) -> float:
        return self.now


@dataclass
class Probe:
    double: BeisenDouble
    http: httpx.AsyncClient
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, api: str, **params: Any) -> httpx.Response:
        return await self.http.get(RECRUIT + api, params=params, headers=self.auth)

    async def post(self, api: str, body: Any, **headers: str) -> httpx.Response:
        return await self.http.post(RECRUIT + api, json=body, headers={**self.auth, **headers})


class Switchboard:
    """What the loopback server serves: whichever double the current test put behind it."""

    base_url = BeisenDouble.default_base_url

    def __init__(self) -> None:
        self.double: BeisenDouble | None = None

    async def handle(self, request: httpx.Request) -> httpx.Response:
        assert self.double is not None
        return await self.double.handle(request)


@dataclass
class Server:
    board: Switchboard
    url: str

    @asynccontextmanager
    async def probing(
        self,
        config: BeisenDoubleConfig | None = None,
        settings: DoubleSettings | None = None,
        clock: Callable[[], float] | None = None,
    ) -> AsyncIterator[Probe]:
        double = BeisenDouble(
            settings or DoubleSettings(seed=5, sessions=16),
            config=config or BeisenDoubleConfig(job_run_time_s=30.0),
            wall_clock=clock or FrozenClock(),
        )
        self.board.double = double
        async with httpx.AsyncClient(base_url=self.url, timeout=5.0) as http:
            reply = await http.post("/token", data=CREDENTIALS)
            yield Probe(double, http, reply.json()["access_token"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[Server]:
    board = Switchboard()
    async with serve(cast(VendorDouble, board)) as url:
        yield Server(board, url)


@pytest_asyncio.fixture(loop_scope="module")
async def probe(server: Server) -> AsyncIterator[Probe]:
    async with server.probing() as served:
        yield served


# -- token endpoints ---------------------------------------------------------------------------


async def test_token_by_form(probe: Probe) -> None:
    reply = await probe.http.post("/token", data=CREDENTIALS)
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 7200
    assert reply.headers["X-RateLimit-Limit-second"] == "400"
    assert int(reply.headers["X-RateLimit-Remaining-second"]) < 400
    uuid.UUID(reply.headers["X-PAAS-Request-ID"])


async def test_token_by_json(probe: Probe) -> None:
    reply = await probe.http.post("/token", json=CREDENTIALS)
    assert reply.status_code == 200
    assert reply.json()["access_token"]


async def test_refresh_tokens_rotate(probe: Probe) -> None:
    first = (await probe.http.post("/token", data=CREDENTIALS)).json()
    grant = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = await probe.http.post("/token", data=grant)
    assert second.status_code == 200
    assert second.json()["access_token"] != first["access_token"]
    again = await probe.http.post("/token", data=grant)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_token_without_content_type(probe: Probe) -> None:
    reply = await probe.http.post("/token", content=b"grant_type=client_credentials")
    assert reply.status_code == 400
    assert reply.json() == {
        "error": "invalid_request",
        "error_description": "找不到 Content-Type",
        "error_code": "400006",
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({**CREDENTIALS, "app_secret": "wrong"}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "app_key": APP_KEY}, "invalid_request"),
    ],
    ids=["wrong-secret", "unknown-grant", "missing-secret"],
)
async def test_token_errors_are_oauth_style(probe: Probe, body: dict[str, str], error: str) -> None:
    reply = await probe.http.post("/token", data=body)
    assert reply.status_code == 400
    assert reply.json()["error"] == error
    assert "code" not in reply.json()


async def test_get_token_is_an_html_404(probe: Probe) -> None:
    reply = await probe.http.get("/token")
    assert reply.status_code == 404
    assert "The resource cannot be found." in reply.text


async def test_oauth_token_has_string_values(probe: Probe) -> None:
    form = {
        "app_id": APP_ID,
        "secret": OAUTH_SECRET,
        "tenant_id": TENANT_ID,
        "grant_type": "client_credentials",
    }
    reply = await probe.http.post("/OAuth/Token", data=form)
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"access_token", "expires_in", "tenant_id", "user_id"}
    assert all(isinstance(v, str) for v in body.values())
    assert body["tenant_id"] == TENANT_ID
    assert body["user_id"] == "0"
    business = await probe.http.get(
        RECRUIT + "Interview/GetInterviewsByDate",
        params=EVERYTHING,
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert business.json()["code"] == 200


async def test_oauth_token_with_a_bad_tenant(probe: Probe) -> None:
    form = {"app_id": "0", "tenant_id": "0", "secret": "probe", "grant_type": "client_credentials"}
    reply = await probe.http.post("/OAuth/Token", data=form)
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_tenantid"}
    assert reply.headers["X-RateLimit-Limit-second"] == "400"


async def test_oauth_token_can_send_an_epoch_expiry(server: Server) -> None:
    async with server.probing(BeisenDoubleConfig(oauth_expires_in="epoch")) as probe:
        form = {
            "app_id": APP_ID,
            "secret": OAUTH_SECRET,
            "tenant_id": TENANT_ID,
            "grant_type": "client_credentials",
        }
        body = (await probe.http.post("/OAuth/Token", data=form)).json()
        assert int(body["expires_in"]) > 1_000_000_000


# -- the gateway -------------------------------------------------------------------------------


async def test_no_authorization_header(probe: Probe) -> None:
    reply = await probe.http.post(RECRUIT + "Apply/GetApplyListByModifiedTime", json={})
    assert reply.status_code == 400
    assert reply.json() == {"message": "Authorization header is empty"}


@pytest.mark.parametrize("header", ["Bearer probe-invalid-token", "probe-invalid-token"])
async def test_a_bad_token_with_or_without_bearer(probe: Probe, header: str) -> None:
    reply = await probe.http.post(
        RECRUIT + "Apply/GetApplyListByModifiedTime", json={}, headers={"Authorization": header}
    )
    assert reply.status_code == 401
    assert reply.json() == {"message": "un-authorized"}


async def test_authentication_comes_before_routing(probe: Probe) -> None:
    bad = {"Authorization": "Bearer probe-invalid-token"}
    reply = await probe.http.post(RECRUIT + "Interview/NoSuchApiForProbe", json={}, headers=bad)
    assert reply.status_code == 401
    known = await probe.http.post(
        RECRUIT + "Interview/NoSuchApiForProbe", json={}, headers=probe.auth
    )
    assert known.status_code == 404
    assert "The resource cannot be found." in known.text


async def test_the_token_works_without_bearer(probe: Probe) -> None:
    reply = await probe.http.get(
        RECRUIT + "Interview/GetInterviewsByDate",
        params=EVERYTHING,
        headers={"Authorization": probe.token},
    )
    assert reply.status_code == 200


async def test_an_expired_token_is_401(probe: Probe) -> None:
    probe.double.expire_tokens()
    reply = await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)
    assert reply.status_code == 401
    assert reply.json() == {"message": "un-authorized"}


async def test_trusted_ip_list_refuses_business_calls_only(server: Server) -> None:
    config = BeisenDoubleConfig(trusted_ips=frozenset({"10.9.9.9"}))
    async with server.probing(config) as probe:  # the token endpoint is not checked
        refused = await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/plain")
        assert refused.text == (
            "当前企业已设置OpenAPI调用受信IP，当前调用端的IP不在受信IP范围内...当前请求IP：127.0.0.1"
        )
        trusted = await probe.http.get(
            RECRUIT + "Interview/GetInterviewsByDate",
            params=EVERYTHING,
            headers={**probe.auth, "X-Forwarded-For": "10.9.9.9, 172.16.0.1"},
        )
        assert trusted.status_code == 200


async def test_trusted_ips_are_off_by_default(probe: Probe) -> None:
    assert probe.double.trusted_ips is None


# -- the RecruitV6 envelope, documented endpoints ----------------------------------------------


async def test_the_envelope_code_is_an_integer(probe: Probe) -> None:
    reply = await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)
    body = reply.json()
    assert reply.status_code == 200
    assert set(body) == {"code", "message", "data"}
    assert body["code"] == 200
    assert type(body["code"]) is int


async def test_applies_by_modified_time_in_batches(server: Server) -> None:
    async with server.probing(BeisenDoubleConfig(apply_batch_size=5)) as probe:
        body = {"startTime": "2000-01-01T00:00:00", "endTime": "2099-12-31T23:59:59", "batchId": ""}
        seen: list[str] = []
        while True:
            data = (await probe.post("Apply/GetApplyListByModifiedTime", body)).json()["data"]
            assert set(data) == {"total", "nextBatchId", "isLastBatch", "items"}
            assert data["total"] == 16
            for item in data["items"]:
                assert set(item) == {"applyId", "applicantId", "jobId"}
                uuid.UUID(item["applyId"])
            seen += [item["applyId"] for item in data["items"]]
            if data["isLastBatch"]:
                assert data["nextBatchId"] == ""
                break
            body["batchId"] = data["nextBatchId"]
        assert len(seen) == len(set(seen)) == 16


async def test_applies_by_modified_time_refuses_an_empty_range(probe: Probe) -> None:
    body = {"startTime": "2026-01-01T00:00:00", "endTime": "2026-01-01T00:00:00"}
    reply = await probe.post("Apply/GetApplyListByModifiedTime", body)
    assert reply.status_code == 200
    assert reply.json() == {"data": None, "code": 400, "message": "开始时间不能大于等于结束时间"}


async def test_applies_by_modified_time_wants_zone_less_times(probe: Probe) -> None:
    body = {"startTime": "2026-01-01T00:00:00+08:00", "endTime": "2026-01-02T00:00:00"}
    reply = await probe.post("Apply/GetApplyListByModifiedTime", body)
    assert reply.json()["code"] == 400
    assert "startTime" in reply.json()["message"]


async def test_applies_by_id(probe: Probe) -> None:
    body = {"startTime": "2000-01-01T00:00:00", "endTime": "2099-12-31T23:59:59"}
    items = (await probe.post("Apply/GetApplyListByModifiedTime", body)).json()["data"]["items"]
    ids = [i["applyId"] for i in items[:2]]
    reply = await probe.post(
        "Apply/GetApplyListByApplyId", {"applyIds": ids, "fieldNames": ["ProcessStatusChangeDate"]}
    )
    data = reply.json()["data"]
    assert [a["applyId"] for a in data] == ids
    assert {"processId", "processPhaseId", "processStatusId", "applicantLite", "jobLite"} <= set(
        data[0]
    )
    assert LOCAL_TIME.match(data[0]["fieldValues"]["ProcessStatusChangeDate"])


async def test_applies_by_id_takes_at_most_100(probe: Probe) -> None:
    ids = [str(uuid.uuid4()) for _ in range(101)]
    reply = await probe.post("Apply/GetApplyListByApplyId", {"applyIds": ids})
    assert reply.json() == {"data": None, "code": 400, "message": "一次最多允许查100个"}


async def test_interviews_by_date_pages_with_batch_ids(probe: Probe) -> None:
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {**EVERYTHING, "pageSize": 6}
    while True:
        data = (await probe.get("Interview/GetInterviewsByDate", **params)).json()["data"]
        seen += data["items"]
        if data["isLastBatch"]:
            break
        params["batchId"] = data["nextBatchId"]
    assert len(seen) == 16
    for interview in seen:
        uuid.UUID(interview["interviewId"])
        assert LOCAL_TIME.match(interview["interviewTime"])
        assert interview["interviewStatus"] in {
            "NotStarted",
            "InProgress",
            "Suspended",
            "Completed",
            "Terminated",
            "Cancelled",
            "Expired",
        }
    times = [i["interviewTime"] for i in seen]
    assert times == sorted(times)


async def test_interviews_by_date_filters_on_the_local_interview_time(probe: Probe) -> None:
    everything = (await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)).json()["data"]
    first = everything["items"][0]["interviewTime"]
    narrow = await probe.get(
        "Interview/GetInterviewsByDate", startDate=first, endDate="2099-12-31T23:59:59"
    )
    later = await probe.get(
        "Interview/GetInterviewsByDate", startDate=first[:-2] + "01", endDate="2099-12-31"
    )
    assert narrow.json()["data"]["total"] == everything["total"]
    assert later.json()["data"]["total"] == everything["total"] - 1


async def test_interviews_by_apply_id_and_by_id(probe: Probe) -> None:
    items = (await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)).json()["data"]["items"]
    one = items[0]
    by_apply = (await probe.get("Interview/GetInterviewsByApplyId", applyId=one["applyId"])).json()
    assert [i["interviewId"] for i in by_apply["data"]] == [one["interviewId"]]
    by_id = (await probe.get("Interview/GetInterviewById", interviewId=one["interviewId"])).json()
    assert by_id["data"] == one


async def test_an_unknown_interview_is_code_404_in_http_200(probe: Probe) -> None:
    reply = await probe.get("Interview/GetInterviewById", interviewId=str(uuid.uuid4()))
    assert reply.status_code == 200
    assert reply.json()["code"] == 404
    assert reply.json()["data"] is None


async def test_cancel_interview(probe: Probe) -> None:
    scheduled = probe.double.put_session(SessionState.SCHEDULED)
    reply = await probe.post("Interview/CancelInterview", {"interviewId": scheduled})
    assert reply.json() == {"data": None, "code": 200, "message": "取消面试成功"}
    again = (await probe.post("Interview/CancelInterview", {"interviewId": scheduled})).json()
    assert (again["code"], again["message"]) == (417, "当前面试状态为「已取消」，不允许取消")
    assert probe.double.mutation_counts[scheduled] == 1
    done = probe.double.put_session(SessionState.COMPLETED)
    refused = (await probe.post("Interview/CancelInterview", {"interviewId": done})).json()
    assert refused["code"] == 417
    assert refused["data"] is None


async def test_suspend_resume_terminate_singly(probe: Probe) -> None:
    running = probe.double.put_session(SessionState.IN_PROGRESS)
    body = {"interviewId": running, "resumeDeadline": "2099-01-01T12:00:00"}
    paused = (await probe.post("Interview/SuspendAIInterview", body)).json()["data"]
    assert paused == {
        "interviewId": running,
        "previousStatus": "InProgress",
        "interviewStatus": "Suspended",
    }
    read = (await probe.get("Interview/GetInterviewById", interviewId=running)).json()["data"]
    assert read["resumeDeadline"] == "2099-01-01T12:00:00"
    resumed = (await probe.post("Interview/ResumeAIInterview", {"interviewId": running})).json()
    assert resumed["data"]["interviewStatus"] == "InProgress"
    ended = (await probe.post("Interview/TerminateAIInterview", {"interviewId": running})).json()
    assert ended["data"]["interviewStatus"] == "Terminated"
    refused = (await probe.post("Interview/ResumeAIInterview", {"interviewId": running})).json()
    assert refused["code"] == 417


async def test_a_write_with_its_own_request_id_is_replayed_not_redone(probe: Probe) -> None:
    running = probe.double.put_session(SessionState.IN_PROGRESS)
    rid = str(uuid.uuid4())
    body = {"interviewId": running}
    first = await probe.post("Interview/SuspendAIInterview", body, **{"X-PAAS-Request-ID": rid})
    second = await probe.post("Interview/SuspendAIInterview", body, **{"X-PAAS-Request-ID": rid})
    assert first.json() == second.json()
    assert first.headers["X-PAAS-Request-ID"] == rid
    assert probe.double.mutation_counts[running] == 1


# -- asynchronous batch writes -----------------------------------------------------------------


async def test_a_batch_write_is_accepted_then_polled(probe: Probe) -> None:
    double = probe.double
    ids = [
        double.put_session(SessionState.IN_PROGRESS),
        double.put_session(SessionState.PAUSED),
        double.put_session(SessionState.COMPLETED),
        double.missing_session_id(),
    ]
    accepted = await probe.post("Interview/BatchSuspendAIInterview", {"interviewIds": ids})
    assert accepted.status_code == 200
    assert accepted.json() == {"data": None, "code": 200, "message": "请求已受理"}
    request_id = accepted.headers["X-PAAS-Request-ID"]
    assert double.world.get(ids[0]).state is SessionState.IN_PROGRESS  # not yet: it is a job
    running = await probe.http.get(JOB, params={"requestId": request_id}, headers=probe.auth)
    assert running.json()["data"]["state"] == "Running"
    final = await probe.http.get(JOB, params={"requestId": request_id}, headers=probe.auth)
    data = final.json()["data"]
    assert data["state"] == "PartialSuccess"
    assert data["result"] == {
        "totalCount": 4,
        "suspendCount": 1,
        "noSuspendCount": 3,
        "interviewDeletedIds": [ids[3]],
        "interviewStatusNotAllowedIds": [ids[2]],
        "interviewResumeDeadlinePassedIds": [],
        "interviewAlreadyInTargetStatusIds": [ids[1]],
    }
    assert double.world.get(ids[0]).state is SessionState.PAUSED


@pytest.mark.parametrize(
    ("api", "word", "start", "state"),
    [
        ("Interview/BatchResumeAIInterview", "resume", SessionState.PAUSED, "AllSuccess"),
        ("Interview/BatchTerminateAIInterview", "terminate", SessionState.SCHEDULED, "AllSuccess"),
        ("Interview/BatchTerminateAIInterview", "terminate", SessionState.COMPLETED, "Fail"),
    ],
)
async def test_batch_outcomes(
    probe: Probe, api: str, word: str, start: SessionState, state: str
) -> None:
    ids = [probe.double.put_session(start) for _ in range(3)]
    accepted = await probe.post(api, {"interviewIds": ids})
    request_id = accepted.headers["X-PAAS-Request-ID"]
    for _ in range(2):
        reply = await probe.http.get(JOB, params={"requestId": request_id}, headers=probe.auth)
    data = reply.json()["data"]
    assert data["state"] == state
    assert data["result"]["totalCount"] == 3
    assert f"{word}Count" in data["result"]
    assert f"no{word.capitalize()}Count" in data["result"]


async def test_a_job_also_finishes_after_its_run_time(server: Server) -> None:
    async with server.probing(
        BeisenDoubleConfig(job_run_time_s=0.0, job_polls_to_finish=99)
    ) as probe:
        ids = [probe.double.put_session(SessionState.IN_PROGRESS)]
        accepted = await probe.post("Interview/BatchTerminateAIInterview", {"interviewIds": ids})
        rid = accepted.headers["X-PAAS-Request-ID"]
        reply = await probe.http.get(JOB, params={"requestId": rid}, headers=probe.auth)
        assert reply.json()["data"]["state"] == "AllSuccess"


async def test_a_job_can_end_overtime(probe: Probe) -> None:
    probe.double.jobs.end_next("Overtime")
    ids = [probe.double.put_session(SessionState.IN_PROGRESS)]
    accepted = await probe.post("Interview/BatchTerminateAIInterview", {"interviewIds": ids})
    rid = accepted.headers["X-PAAS-Request-ID"]
    for _ in range(2):
        reply = await probe.http.get(JOB, params={"requestId": rid}, headers=probe.auth)
    assert reply.json()["data"]["state"] == "Overtime"


async def test_batches_take_at_most_100_ids(probe: Probe) -> None:
    ids = [str(uuid.uuid4()) for _ in range(101)]
    reply = await probe.post("Interview/BatchTerminateAIInterview", {"interviewIds": ids})
    assert reply.json()["code"] == 400
    assert reply.json()["data"] is None


async def test_an_unknown_request_id(probe: Probe) -> None:
    reply = await probe.http.get(JOB, params={"requestId": str(uuid.uuid4())}, headers=probe.auth)
    assert reply.json()["code"] == 404


async def test_the_same_request_id_names_the_same_job(probe: Probe) -> None:
    ids = [probe.double.put_session(SessionState.IN_PROGRESS)]
    rid = str(uuid.uuid4())
    for _ in range(2):
        await probe.post(
            "Interview/BatchTerminateAIInterview",
            {"interviewIds": ids},
            **{"X-PAAS-Request-ID": rid},
        )
    assert list(probe.double.jobs.jobs) == [rid]


# -- throttling --------------------------------------------------------------------------------


async def test_the_per_second_window_answers_429_without_retry_after(server: Server) -> None:
    clock = FrozenClock()
    async with server.probing(
        settings=DoubleSettings(seed=5, sessions=4, qps=2), clock=clock
    ) as probe:
        answers = [await probe.get("Interview/GetInterviewsByDate", **EVERYTHING) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json() == {"message": "API rate limit exceeded"}
        assert "Retry-After" not in answers[2].headers
        assert answers[1].headers["X-RateLimit-Remaining-second"] == "0"
        other_api = await probe.get("Interview/GetInterviewById", interviewId=str(uuid.uuid4()))
        assert other_api.status_code == 200  # the windows are per API
        clock.now += 1
        assert (await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)).status_code == 200


async def test_the_per_minute_window_answers_429_with_retry_after(server: Server) -> None:
    clock = FrozenClock()
    limits = {"Interview/GetInterviewsByDate": ApiLimit(per_second=100, per_minute=2)}
    async with server.probing(BeisenDoubleConfig(limits=limits), clock=clock) as probe:
        answers = [await probe.get("Interview/GetInterviewsByDate", **EVERYTHING) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert int(answers[2].headers["Retry-After"]) == 60  # the minute has just begun
        assert answers[2].json() == {"message": "API rate limit exceeded"}


async def test_the_daily_total_stops_every_api(server: Server) -> None:
    async with server.probing(BeisenDoubleConfig(daily_total=2)) as probe:
        await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)
        await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)
        spent = await probe.get("Interview/GetInterviewById", interviewId=str(uuid.uuid4()))
        assert spent.status_code == 429
        assert spent.json() == {"message": "API daily quota exceeded"}
        assert "Retry-After" not in spent.headers
        assert (await probe.http.post("/token", data=CREDENTIALS)).status_code == 200


async def test_an_injected_throttle_may_carry_retry_after(probe: Probe) -> None:
    probe.double.inject(Fault.RATE_LIMITED, retry_after=3)
    reply = await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "3"


async def test_an_injected_error_in_200_is_a_business_500(probe: Probe) -> None:
    probe.double.inject(Fault.ERROR_IN_200)
    reply = await probe.get("Interview/GetInterviewsByDate", **EVERYTHING)
    assert reply.status_code == 200
    assert reply.json()["code"] == 500
