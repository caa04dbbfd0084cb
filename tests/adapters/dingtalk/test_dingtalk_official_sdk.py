"""DingTalk's official SDK (``alibabacloud-dingtalk`` from PyPI) accepts the double.

The SDK is the strictest client there is of DingTalk's wire format: its models parse every
answer, and its gateway turns every 4xx/5xx into a ``TeaException`` from the error body. Here it
talks real HTTP to the double on loopback, for the token, reads, errors and throttling. (It is
synchronous, so each call runs in a worker thread while the double serves in the event loop.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from alibabacloud_dingtalk.ats_1_0 import models as ats
from alibabacloud_dingtalk.ats_1_0.client import Client as AtsClient
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth
from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuthClient
from alibabacloud_tea_openapi import models as openapi
from alibabacloud_tea_util import models as util
from Tea.exceptions import TeaException

from interlock.doubles import DoubleSettings, serve
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.double._auth import APP_KEY, APP_SECRET

T = TypeVar("T")
RUNTIME = util.RuntimeOptions(read_timeout=5000, connect_timeout=5000)


@dataclass
class Official:
    double: DingTalkDouble
    oauth: OAuthClient
    ats: AtsClient

    async def call(self, method: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(method, *args)

    async def token(self) -> str:
        request = oauth.GetAccessTokenRequest(app_key=APP_KEY, app_secret=APP_SECRET)
        reply = await self.call(self.oauth.get_access_token, request)
        token: str = reply.body.access_token
        return token


async def _official(settings: DoubleSettings) -> AsyncIterator[Official]:
    double = DingTalkDouble(settings)
    async with serve(double) as url:
        config = openapi.Config(protocol="http", endpoint=url.removeprefix("http://"))
        yield Official(double, OAuthClient(config), AtsClient(config))


@pytest.fixture
async def official() -> AsyncIterator[Official]:
    async for client in _official(DoubleSettings(seed=3, sessions=8)):
        yield client


@pytest.fixture
async def throttled() -> AsyncIterator[Official]:
    async for client in _official(DoubleSettings(seed=3, sessions=8, qps=2)):
        yield client


async def test_the_sdk_gets_a_token(official: Official) -> None:
    request = oauth.GetAccessTokenRequest(app_key=APP_KEY, app_secret=APP_SECRET)
    reply = await official.call(official.oauth.get_access_token, request)
    assert reply.body.expire_in == 7200
    assert reply.body.access_token in official.double.issued_tokens


async def test_wrong_credentials_are_the_sdks_exception(official: Official) -> None:
    request = oauth.GetAccessTokenRequest(app_key=APP_KEY, app_secret="not-the-secret")
    with pytest.raises(TeaException) as caught:
        await official.call(official.oauth.get_access_token, request)
    assert caught.value.code == "invalidClientIdOrSecret"
    assert caught.value.statusCode == 400


async def test_the_sdk_queries_interviews_and_reads_a_job(official: Official) -> None:
    token = await official.token()
    session = next(iter(official.double.world.sessions.values()))
    start = int((session.scheduled_at - timedelta(hours=1)).timestamp() * 1000)
    request = ats.QueryInterviewsRequest(
        biz_code="ddats",
        candidate_id=session.candidate_id,
        start_time_begin_millis=start,
        start_time_end_millis=start + 2 * 3600 * 1000,
        size=10,
    )
    headers = ats.QueryInterviewsHeaders(x_acs_dingtalk_access_token=token)
    reply = await official.call(
        official.ats.query_interviews_with_options, request, headers, RUNTIME
    )
    assert [i.interview_id for i in reply.body.list] == [session.id]
    assert reply.body.list[0].job_id == session.position.id
    job_headers = ats.GetJobInfoByJobIdHeaders(x_acs_dingtalk_access_token=token)
    job = await official.call(
        official.ats.get_job_info_by_job_id_with_options, session.position.id, job_headers, RUNTIME
    )
    assert [o.user_id for o in job.body.job_owners] == list(session.position.owners)


async def test_the_sdk_updates_a_sign_in_the_double_answers_with_json(official: Official) -> None:
    token = await official.token()
    session = next(iter(official.double.world.sessions.values()))
    request = ats.UpdateInterviewSignInInfoRequest(biz_code="ddats", sign_in_time_millis=1)
    headers = ats.UpdateInterviewSignInInfoHeaders(x_acs_dingtalk_access_token=token)
    await official.call(
        official.ats.update_interview_sign_in_info_with_options,
        session.id,
        request,
        headers,
        RUNTIME,
    )
    assert official.double.tenant.sign_ins[session.id] == 1


async def test_an_expired_token_is_the_sdks_invalid_authentication(official: Official) -> None:
    token = await official.token()
    official.double.expire_tokens()
    headers = ats.GetJobInfoByJobIdHeaders(x_acs_dingtalk_access_token=token)
    job_id = official.double.world.positions[0].id
    with pytest.raises(TeaException) as caught:
        await official.call(
            official.ats.get_job_info_by_job_id_with_options, job_id, headers, RUNTIME
        )
    assert (caught.value.code, caught.value.statusCode) == ("InvalidAuthentication", 400)


async def test_throttling_is_the_sdks_qps_limit_exception(throttled: Official) -> None:
    token = await throttled.token()
    headers = ats.GetJobInfoByJobIdHeaders(x_acs_dingtalk_access_token=token)
    job_id = throttled.double.world.positions[0].id
    read = throttled.ats.get_job_info_by_job_id_with_options
    for _ in range(2):
        await throttled.call(read, job_id, headers, RUNTIME)
    with pytest.raises(TeaException) as caught:
        await throttled.call(read, job_id, headers, RUNTIME)
    assert caught.value.code == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
    assert caught.value.statusCode == 403
