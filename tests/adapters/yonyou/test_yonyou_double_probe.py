"""A black-box probe of the Yonyou double over real loopback HTTP, with plain httpx (no adapter).

Each test states one behaviour of YonBIP that the double must reproduce (vendors.md §3, §7.3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from yonyou_helpers import SHANGHAI

from interlock.doubles import DoubleSettings, Fault, serve
from interlock.models import SessionState
from interlock_yonyou.double import APP_KEY, APP_SECRET, TENANT_ID, YonyouDouble
from interlock_yonyou.double._interviews import ROUTES

API = "/iuap-api-gateway/yonbip/hrcloud/aiinterview"
TOKEN_NEW = "/iuap-api-auth/open-auth/selfAppAuth/base/v1/getAccessToken"
TOKEN_OLD = "/iuap-api-auth/open-auth/selfAppAuth/getAccessToken"
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@dataclass
class Probe:
    double: YonyouDouble
    base: str
    http: httpx.AsyncClient

    async def token(self) -> str:
        response = await self.http.get(TOKEN_NEW, params=signed_params())
        token: str = response.json()["data"]["access_token"]
        return token

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = {"access_token": await self.token()} | kwargs.pop("params", {})
        return await self.http.request(method, API + path, params=params, **kwargs)


def signed_params(*, timestamp_ms: int | None = None, secret: str = APP_SECRET) -> dict[str, str]:
    """What the official demo sends: HMAC-SHA256 over 'appKey…timestamp…', Base64."""
    ts = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"appKey{APP_KEY}timestamp{ts}".encode(), hashlib.sha256)
    return {
        "appKey": APP_KEY,
        "timestamp": ts,
        "signature": base64.b64encode(digest.digest()).decode(),
    }


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served() -> AsyncIterator[Probe]:
    """One double on one port for the whole module (starting a server costs ~0.3 s)."""
    double = YonyouDouble(DoubleSettings(seed=5, sessions=24))
    async with serve(double) as base, httpx.AsyncClient(base_url=base, timeout=5) as http:
        yield Probe(double, base, http)


@pytest.fixture
def probe(served: Probe) -> Iterator[Probe]:
    """The shared probe, with every knob a test may turn put back afterwards."""
    yield served
    double = served.double
    double.granted = set(ROUTES)
    double.interviews._clock = time.monotonic
    double.clear_faults()
    double._forced.clear()


@pytest_asyncio.fixture(loop_scope="module")
async def slow_probe() -> AsyncIterator[Probe]:
    """A double of its own with a 2 requests/s API limit (throttle windows are per double)."""
    double = YonyouDouble(DoubleSettings(seed=5, sessions=8, qps=2))
    async with serve(double) as base, httpx.AsyncClient(base_url=base, timeout=5) as http:
        yield Probe(double, base, http)


# -- data centre ------------------------------------------------------------------------------


async def test_the_data_centre_points_back_at_the_served_host(probe: Probe) -> None:
    response = await probe.http.get(
        "/open-auth/dataCenter/getGatewayAddress", params={"tenantId": TENANT_ID}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["code"] == "00000"
    assert body["data"] == {
        "gatewayUrl": f"{probe.base}/iuap-api-gateway",
        "tokenUrl": f"{probe.base}/iuap-api-auth",
    }


async def test_an_unknown_tenant_is_code_500_in_http_200(probe: Probe) -> None:
    response = await probe.http.get(
        "/open-auth/dataCenter/getGatewayAddress", params={"tenantId": "nosuchtenant"}
    )
    assert response.status_code == 200
    assert response.json() == {"code": "500", "message": "根据租户id获取网关地址出现异常"}


# -- token ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TOKEN_NEW, TOKEN_OLD], ids=["base-v1", "legacy"])
async def test_a_correctly_signed_request_gets_a_token(probe: Probe, path: str) -> None:
    before = probe.double.token_requests
    response = await probe.http.get(path, params=signed_params())
    body = response.json()
    assert response.status_code == 200
    assert (body["code"], body["message"], body["data"]["expire"]) == ("00000", "成功！", 7200)
    assert isinstance(body["data"]["access_token"], str)
    assert probe.double.token_requests == before + 1


async def test_the_signature_is_url_encoded_exactly_once(probe: Probe) -> None:
    params = signed_params()
    once = f"{TOKEN_NEW}?appKey={APP_KEY}&timestamp={params['timestamp']}&signature="
    encoded = quote(params["signature"], safe="")
    assert (await probe.http.get(once + encoded)).json()["code"] == "00000"
    twice = (await probe.http.get(once + quote(encoded, safe=""))).json()
    assert twice == {"code": "50000", "message": "签名不正确"}


async def test_a_wrong_secret_is_refused(probe: Probe) -> None:
    response = await probe.http.get(TOKEN_NEW, params=signed_params(secret="not-the-secret"))
    assert response.status_code == 200
    assert response.json() == {"code": "50000", "message": "签名不正确"}


@pytest.mark.parametrize(("skew_s", "code"), [(-240, "00000"), (240, "00000"), (-360, "50000")])
async def test_the_timestamp_must_be_within_five_minutes(
    probe: Probe, skew_s: int, code: str
) -> None:
    sent = int((time.time() + skew_s) * 1000)
    body = (await probe.http.get(TOKEN_NEW, params=signed_params(timestamp_ms=sent))).json()
    assert body["code"] == code
    if code != "00000":
        assert "timestamp" in body["message"]
        assert "data" not in body


async def test_an_unknown_app_key_is_10018(probe: Probe) -> None:
    params = signed_params() | {"appKey": "nosuch"}
    body = (await probe.http.get(TOKEN_NEW, params=params)).json()
    assert body == {"code": "10018", "message": "应用不存在或appKey已停用"}


# -- gateway: order of checks -----------------------------------------------------------------


async def test_a_missing_token_is_310001_in_http_200(probe: Probe) -> None:
    response = await probe.http.post(f"{API}/session/list", json={})
    assert response.status_code == 200
    assert response.json() == {"code": "310001", "message": "access_token不能为空。"}


async def test_the_token_travels_in_the_query_not_in_a_header(probe: Probe) -> None:
    headers = {"Authorization": f"Bearer {await probe.token()}"}
    response = await probe.http.post(f"{API}/session/list", json={}, headers=headers)
    assert response.json()["code"] == "310001"


async def test_an_invalid_token_is_310036_in_http_200(probe: Probe) -> None:
    response = await probe.http.post(
        f"{API}/session/list", params={"access_token": "bogus"}, json={}
    )
    assert response.status_code == 200
    assert response.json() == {"code": "310036", "message": "非法token"}


async def test_the_detail_api_answers_a_bad_token_in_plain_text(probe: Probe) -> None:
    response = await probe.http.get(
        f"{API}/session/detail", params={"access_token": "bogus", "id": "1"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "非法token"


async def test_an_expired_token_is_refused_like_an_invalid_one(probe: Probe) -> None:
    token = await probe.token()
    probe.double.expire_tokens()
    response = await probe.http.post(f"{API}/session/list", params={"access_token": token}, json={})
    assert response.json()["code"] == "310036"


async def test_an_unregistered_path_is_http_404_before_the_token_is_checked(probe: Probe) -> None:
    response = await probe.http.post(
        "/iuap-api-gateway/yonbip/hrcloud/aiinterview/session/pause",
        params={"access_token": "bogus"},
        json={},
    )
    assert response.status_code == 404
    assert response.json() == {
        "code": "310404",
        "message": "网关上没有注册此API[/yonbip/hrcloud/aiinterview/session/pause]，"
        "请确认后重新调用",
    }


async def test_a_wrong_method_is_310405_before_the_token(probe: Probe) -> None:
    response = await probe.http.get(f"{API}/session/list")
    assert response.status_code == 405
    assert response.json()["code"] == "310405"


async def test_an_api_not_granted_to_the_app_is_310037(probe: Probe) -> None:
    probe.double.revoke_grant("terminate")
    response = await probe.call("POST", "/session/terminate", json={"data": {"id": "1"}})
    assert response.status_code == 200
    assert response.json()["code"] == "310037"


async def test_a_body_that_is_not_json_is_310002(probe: Probe) -> None:
    response = await probe.call("POST", "/session/list", content=b"pageIndex=1")
    assert response.json()["code"] == "310002"


# -- envelope, paging, ids, times -------------------------------------------------------------


async def test_pages_cover_every_session_once(probe: Probe) -> None:
    total = len(probe.double.world.sessions)
    pages = -(-total // 10)
    seen: list[str] = []
    for index in range(1, pages + 1):
        body = (
            await probe.call("POST", "/session/list", json={"pageIndex": index, "pageSize": 10})
        ).json()
        assert (body["code"], body["message"]) == ("200", "操作成功")
        data = body["data"]
        assert {k: data[k] for k in ("pageIndex", "pageSize", "recordCount", "pageCount")} == {
            "pageIndex": index,
            "pageSize": 10,
            "recordCount": total,
            "pageCount": pages,
        }
        seen += [r["id"] for r in data["recordList"]]
    assert sorted(seen) == sorted(probe.double.world.sessions)
    beyond = (
        await probe.call("POST", "/session/list", json={"pageIndex": pages + 1, "pageSize": 10})
    ).json()
    assert beyond["data"]["recordList"] == []


async def test_ids_are_long_numeric_strings_and_times_are_tenant_local(probe: Probe) -> None:
    body = (await probe.call("POST", "/session/list", json={"pageSize": 500})).json()
    for record in body["data"]["recordList"]:
        assert re.fullmatch(r"\d{16}", record["id"])
        assert re.fullmatch(r"\d{16}", record["candidateId"])
        assert LOCAL_TIME.match(record["beginTime"])
        scheduled = probe.double.world.sessions[record["id"]].scheduled_at
        assert record["beginTime"] == scheduled.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        assert "startTime" in record or record["status"] in ("0", "5")  # absent, never null
        assert None not in record.values()


async def test_list_filters_are_evaluated_by_the_api(probe: Probe) -> None:
    world = list(probe.double.world.sessions.values())
    times = sorted({s.scheduled_at for s in world})
    low, high = times[4], times[15]

    def local(value: datetime) -> str:
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")

    body = {
        "status": ["1", "2"],
        "beginTimeStart": local(low),
        "beginTimeEnd": local(high),
        "pageSize": 100,
    }
    records = (await probe.call("POST", "/session/list", json=body)).json()["data"]["recordList"]
    running = (SessionState.IN_PROGRESS, SessionState.PAUSED)
    expected = [s.id for s in world if s.state in running and low <= s.scheduled_at < high]
    assert expected
    assert [r["id"] for r in records] == expected


async def test_bad_paging_is_a_999_with_a_display_code(probe: Probe) -> None:
    body = (await probe.call("POST", "/session/list", json={"pageSize": 501})).json()
    assert (body["code"], body["displayCode"], body["level"]) == ("999", "HRC-AIV-100400", 0)


# -- terminate and revoke ---------------------------------------------------------------------


async def test_terminate_answers_the_record_with_its_status_before(probe: Probe) -> None:
    session_id = probe.double.put_session(SessionState.IN_PROGRESS)
    body = {"data": {"id": session_id, "reasonCode": "operator_error"}}
    first = (await probe.call("POST", "/session/terminate", json=body)).json()
    assert (first["code"], first["data"]["preStatus"], first["data"]["status"]) == ("200", "1", "4")
    again = (await probe.call("POST", "/session/terminate", json=body)).json()
    assert again["data"]["preStatus"] == again["data"]["status"] == "4"
    assert probe.double.mutation_counts[session_id] == 1


async def test_a_refused_write_names_the_state(probe: Probe) -> None:
    session_id = probe.double.put_session(SessionState.COMPLETED)
    body = (await probe.call("POST", "/session/revoke", json={"data": {"id": session_id}})).json()
    assert body == {
        "code": "999",
        "message": "面试会话当前状态[已完成]不允许撤销",
        "displayCode": "HRC-AIV-100409",
        "level": 0,
    }


async def test_an_unknown_session_is_999_not_found(probe: Probe) -> None:
    missing = probe.double.missing_session_id()
    body = (await probe.call("GET", "/session/detail", params={"id": missing})).json()
    assert (body["code"], body["displayCode"]) == ("999", "HRC-AIV-100404")


async def test_resubmit_check_key_replays_for_an_hour_then_reports_a_duplicate(
    probe: Probe,
) -> None:
    clock = [1000.0]
    probe.double.interviews._clock = lambda: clock[0]
    session_id = probe.double.put_session(SessionState.SCHEDULED)
    body = {"data": {"id": session_id, "resubmitCheckKey": "0123456789abcdef0123456789abcdef"}}
    first = (await probe.call("POST", "/session/revoke", json=body)).json()
    replay = (await probe.call("POST", "/session/revoke", json=body)).json()
    assert replay == first
    clock[0] += 3601
    late = (await probe.call("POST", "/session/revoke", json=body)).json()
    assert (late["code"], late["data"]) == ("100004", {"id": session_id})
    assert probe.double.mutation_counts[session_id] == 1
    too_long = {"data": {"id": session_id, "resubmitCheckKey": "x" * 33}}
    assert (await probe.call("POST", "/session/revoke", json=too_long)).json()["code"] == "999"


async def test_a_batch_with_failures_is_still_code_200(probe: Probe) -> None:
    ok_id = probe.double.put_session(SessionState.SCHEDULED)
    done_id = probe.double.put_session(SessionState.COMPLETED)
    missing = probe.double.missing_session_id()
    items = [{"id": i, "reasonCode": "process_change"} for i in (ok_id, done_id, missing)]
    body = (await probe.call("POST", "/session/batchrevoke", json={"data": items})).json()
    data = body["data"]
    assert body["code"] == "200"
    assert (data["count"], data["sucessCount"], data["failCount"]) == (3, 1, 2)
    assert [i["id"] for i in data["infos"]] == [ok_id]
    assert {m["id"]: m["displayCode"] for m in data["messages"]} == {
        done_id: "HRC-AIV-100409",
        missing: "HRC-AIV-100404",
    }


async def test_a_batch_holds_at_most_100_items(probe: Probe) -> None:
    items = [{"id": str(10**15 + i)} for i in range(101)]
    body = (await probe.call("POST", "/session/batchterminate", json={"data": items})).json()
    assert (body["code"], body["displayCode"]) == ("999", "HRC-AIV-100400")


# -- throttling and faults --------------------------------------------------------------------


async def test_the_api_level_throttle_is_310046_in_http_200_without_retry_after(
    slow_probe: Probe,
) -> None:
    token = await slow_probe.token()
    answers = [
        await slow_probe.http.post(f"{API}/session/list", params={"access_token": token}, json={})
        for _ in range(3)
    ]
    assert [a.json()["code"] for a in answers] == ["200", "200", "310046"]
    assert answers[2].status_code == 200
    assert "retry-after" not in answers[2].headers
    assert slow_probe.double.throttle_rejections == 1


async def test_the_app_level_throttle_is_310039(slow_probe: Probe) -> None:
    token = await slow_probe.token()
    codes = []
    for path in ("list", "list", "detail", "detail", "batchrevoke", "batchrevoke", "terminate"):
        method = "GET" if path == "detail" else "POST"
        answer = await slow_probe.http.request(
            method, f"{API}/session/{path}", params={"access_token": token, "id": "1"}, json={}
        )
        codes.append(answer.json()["code"])
    assert codes[-1] == "310039"


@pytest.mark.parametrize("code", ["310032", "310042"])
async def test_system_and_product_throttles_look_alike(probe: Probe, code: str) -> None:
    probe.double.force_code(code)
    answer = await probe.call("POST", "/session/list", json={})
    assert answer.status_code == 200
    assert answer.json()["code"] == code
    assert "retry-after" not in answer.headers


async def test_injected_faults_take_yonyou_shapes(probe: Probe) -> None:
    token = await probe.token()
    shapes = {}
    for fault in (Fault.SERVER_ERROR, Fault.MALFORMED_BODY, Fault.ERROR_IN_200, Fault.RATE_LIMITED):
        probe.double.inject(fault, retry_after=7)
        answer = await probe.http.post(
            f"{API}/session/list", params={"access_token": token}, json={}
        )
        shapes[fault] = (answer.status_code, answer.text[:30])
        assert "retry-after" not in answer.headers
    assert shapes[Fault.SERVER_ERROR][0] == 502
    status, text = shapes[Fault.MALFORMED_BODY]
    assert status == 200
    assert text.startswith('{"code":"200"')
    assert '"999"' in shapes[Fault.ERROR_IN_200][1]
    assert '"310046"' in shapes[Fault.RATE_LIMITED][1]
