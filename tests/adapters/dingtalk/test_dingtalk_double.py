"""The double's VendorDouble hooks: what counts as a mutation, API names, secrets, tokens."""

from __future__ import annotations

import httpx
import pytest

from interlock.doubles import DoubleSettings
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.double._auth import APP_SECRET, CALLBACK_AES_KEY, Caller, TokenIssuer
from interlock_dingtalk.double._throttle import MonthlyQuota

BASE = DingTalkDouble.default_base_url
AI = f"{BASE}/v1.0/ats/ai/interview/sessions"


@pytest.mark.parametrize(
    ("method", "url", "api", "mutation"),
    [
        ("POST", f"{BASE}/v1.0/oauth2/accessToken", "GetAccessToken", False),
        ("POST", f"{BASE}/v1.0/oauth2/corpAccessToken", "GetCorpAccessToken", False),
        ("POST", f"{BASE}/v1.0/ats/interviews/query", "QueryInterviews", False),
        ("GET", f"{BASE}/v1.0/ats/jobs/42/info", "GetJobInfoByJobId", False),
        ("PUT", f"{BASE}/v1.0/ats/interviews/42/signInInfos", "UpdateInterviewSignInInfo", True),
        ("POST", f"{AI}/query", "QueryAiInterviewSessions", False),
        ("GET", f"{AI}/42", "GetAiInterviewSession", False),
        ("POST", f"{AI}/42/pause", "PauseAiInterviewSession", True),
        ("POST", f"{AI}/42/cancel", "CancelAiInterviewSession", True),
        ("POST", f"{AI}/batch/terminate", "BatchTerminateAiInterviewSessions", True),
        ("DELETE", f"{AI}/42", "Unknown", True),
    ],
)
def test_api_names_and_mutations(method: str, url: str, api: str, mutation: bool) -> None:
    double = DingTalkDouble(DoubleSettings(sessions=1))
    request = httpx.Request(method, url)
    assert double.api_of(request) == api
    assert double.is_mutation(request) is mutation


def test_secrets_list_credentials_and_issued_tokens() -> None:
    double = DingTalkDouble(DoubleSettings(sessions=1))
    token = double.tokens.issue(Caller(app="a", corp_id="c"))
    assert {APP_SECRET, CALLBACK_AES_KEY, token} <= set(double.secrets)


def test_settings_qps_sets_the_vendor_bucket_and_the_adapter_option() -> None:
    double = DingTalkDouble(DoubleSettings(sessions=1, qps=7))
    assert double.app_limit.limit == 7
    assert double.adapter_options("http://x")["vendor_qps"] == 7
    assert DingTalkDouble(DoubleSettings(sessions=1)).qps == 20  # DingTalk's standard edition


def test_an_unmapped_session_renders_the_vendor_only_status() -> None:
    double = DingTalkDouble(DoubleSettings(sessions=1))
    session_id = double.put_unmapped_session()
    assert double.world.get(session_id).vendor_state_override == "ARCHIVED"


def test_ids_are_numeric_strings() -> None:
    double = DingTalkDouble(DoubleSettings(sessions=4))
    assert all(i.isdigit() and len(i) == 12 for i in double.world.sessions)
    assert double.missing_session_id().isdigit()


def test_tokens_are_renewed_while_valid_and_replaced_after_expiry() -> None:
    now = [0.0]
    issuer = TokenIssuer(10, clock=lambda: now[0])
    caller = Caller(app="a", corp_id="c")
    first = issuer.issue(caller)
    now[0] = 8
    assert issuer.issue(caller) == first  # same token, renewed to t=18
    now[0] = 15
    assert issuer.check(first) == caller
    now[0] = 18
    assert issuer.check(first) is None
    assert issuer.issue(caller) != first


def test_the_per_app_limit_counts_any_one_second_window() -> None:
    double = DingTalkDouble(DoubleSettings(sessions=1, qps=4))
    now = [0.0]
    double.use_clock(lambda: now[0])
    limit = double.app_limit
    assert [limit.allow("k") for _ in range(5)] == [True] * 4 + [False]
    assert limit.allow("other")
    now[0] = 0.5
    assert not limit.allow("k")  # a bucket refilling at 4/s would let one more through here
    now[0] = 1.0
    assert limit.allow("k")


def test_monthly_quota_resets_with_the_month() -> None:
    from datetime import UTC, datetime

    month = [datetime(2026, 11, 30, tzinfo=UTC)]
    quota = MonthlyQuota(2, clock=lambda: month[0])
    assert [quota.take("org") for _ in range(3)] == [True, True, False]
    month[0] = datetime(2026, 12, 1, tzinfo=UTC)
    assert quota.take("org")
