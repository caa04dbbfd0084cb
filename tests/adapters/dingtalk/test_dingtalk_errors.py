"""Error translation reads DingTalk's body: every catalogue code is mapped, and each recorded
error becomes the right neutral error (with request id, scopes, retry hint)."""

from __future__ import annotations

import httpx
import pytest
from dingtalk_support import load_fixture, response_of

from interlock import errors
from interlock_dingtalk._errors import (
    ERROR_TABLE,
    LEGACY_ERRCODE_TABLE,
    QPS_RETRY_AFTER_S,
    translate,
)
from interlock_dingtalk._interpret import interpret
from interlock_dingtalk.double._catalogue import ERROR_CATALOGUE, LEGACY_ERRCODES


def test_every_code_the_double_can_send_is_mapped_and_vice_versa() -> None:
    assert set(ERROR_CATALOGUE) == set(ERROR_TABLE)
    assert set(LEGACY_ERRCODES) == set(LEGACY_ERRCODE_TABLE)


@pytest.mark.parametrize("code", sorted(ERROR_CATALOGUE))
def test_each_catalogue_code_translates_to_its_table_class(code: str) -> None:
    status, message = ERROR_CATALOGUE[code]
    error = translate(status, {"code": code, "message": message, "requestid": "R-1"}, None)
    assert type(error) is ERROR_TABLE[code]


CASES = [
    ("token__invalid_client", errors.VendorAuthFailed, "VENDOR.AUTH_FAILED"),
    ("token__invalid_suite_key", errors.VendorAuthFailed, "VENDOR.AUTH_FAILED"),
    ("token__form_body", errors.VendorProtocolError, "VENDOR.PROTOCOL_ERROR"),
    ("auth__token_in_query", errors.VendorAuthFailed, "VENDOR.AUTH_FAILED"),
    ("auth__invalid_token", errors.VendorTokenExpired, "VENDOR.AUTH_FAILED"),
    ("permission__denied", errors.VendorPermissionDenied, "VENDOR.PERMISSION_DENIED"),
    ("throttle__qps_app_api", errors.VendorRateLimited, "VENDOR.RATE_LIMITED"),
    ("throttle__qps_api", errors.VendorRateLimited, "VENDOR.RATE_LIMITED"),
    ("quota__monthly_exhausted", errors.VendorQuotaExhausted, "VENDOR.QUOTA_EXHAUSTED"),
    ("server__system_error", errors.VendorUnavailable, "VENDOR.UNAVAILABLE"),
    ("server__busy_in_200", errors.VendorUnavailable, "VENDOR.UNAVAILABLE"),
    ("server__html_502", errors.VendorUnavailable, "VENDOR.UNAVAILABLE"),
    ("server__truncated_200", errors.VendorProtocolError, "VENDOR.PROTOCOL_ERROR"),
    ("unknown_api__not_found", errors.VendorProtocolError, "VENDOR.PROTOCOL_ERROR"),
    ("interviews_query__span_too_long", errors.VendorProtocolError, "VENDOR.PROTOCOL_ERROR"),
    ("session_get__not_found", errors.SessionNotFound, "SESSION.NOT_FOUND"),
    ("job_info__not_found", errors.SessionNotFound, "SESSION.NOT_FOUND"),
    ("session_resume__invalid_status", errors.InvalidTransition, "SESSION.INVALID_TRANSITION"),
    ("sessions_batch__too_many", errors.VendorProtocolError, "VENDOR.PROTOCOL_ERROR"),
]


@pytest.mark.parametrize(("fixture", "cls", "code"), CASES, ids=[c[0] for c in CASES])
def test_recorded_error_becomes_the_neutral_error(
    fixture: str, cls: type[errors.InterlockError], code: str
) -> None:
    with pytest.raises(cls) as caught:
        interpret(response_of(fixture))
    assert type(caught.value) is cls
    assert caught.value.code == code
    recorded = load_fixture(fixture)
    request_id = recorded.get("headers", {}).get("x-acs-request-id")
    if request_id and isinstance(caught.value, errors.VendorError):
        assert caught.value.vendor_request_id == request_id


def test_qps_throttle_says_wait_about_a_second_and_is_retryable() -> None:
    with pytest.raises(errors.VendorRateLimited) as caught:
        interpret(response_of("throttle__qps_app_api"))
    assert caught.value.retry_after == QPS_RETRY_AFTER_S == 1.0
    assert caught.value.retryable


def test_monthly_quota_is_not_retried() -> None:
    with pytest.raises(errors.VendorQuotaExhausted) as caught:
        interpret(response_of("quota__monthly_exhausted"))
    assert not caught.value.retryable


def test_permission_error_carries_the_required_scopes() -> None:
    with pytest.raises(errors.VendorPermissionDenied) as caught:
        interpret(response_of("permission__denied"))
    assert caught.value.required_scopes == ("qyapi_recruitment_plugin",)
    assert caught.value.to_dict()["required_scopes"] == ["qyapi_recruitment_plugin"]


def test_unknown_api_explains_the_extension() -> None:
    with pytest.raises(errors.VendorProtocolError) as caught:
        interpret(response_of("unknown_api__not_found"))
    assert caught.value.field == "path"
    assert caught.value.hint is not None
    assert "extension" in caught.value.hint


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (403, "Forbidden.AccessDenied.QpsLimitForSomethingNew", errors.VendorRateLimited),
        (403, "Forbidden.AccessDenied.IpNotInWhiteList", errors.VendorPermissionDenied),
        (503, "serviceUnavailable", errors.VendorUnavailable),
        (401, "authFailed", errors.VendorAuthFailed),
        (400, "someNewCode", errors.VendorProtocolError),
    ],
)
def test_unlisted_codes_fall_back_by_family_and_status(
    status: int, code: str, cls: type[errors.InterlockError]
) -> None:
    response = httpx.Response(status, json={"code": code, "message": "m", "requestid": "r"})
    with pytest.raises(cls):
        interpret(response)


def test_an_error_envelope_inside_a_200_is_an_error() -> None:
    body = {"code": "systemError", "message": "系统错误", "requestid": "R-9"}
    with pytest.raises(errors.VendorUnavailable) as caught:
        interpret(httpx.Response(200, json=body))
    assert caught.value.vendor_request_id == "R-9"


def test_an_unknown_legacy_errcode_is_a_protocol_error() -> None:
    with pytest.raises(errors.VendorProtocolError) as caught:
        interpret(httpx.Response(200, json={"errcode": 40078, "errmsg": "不存在的临时授权码"}))
    assert caught.value.field == "errcode"
