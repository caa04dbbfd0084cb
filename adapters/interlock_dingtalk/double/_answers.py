"""DingTalk's error answers to a read, for the contract kit's diagnostics check.

Each documented code of the new API (as its own status and as an error envelope inside an HTTP
200), the old API's ``errcode`` inside a 200, codes DingTalk may add (they mean what their family
or status says) and malformed answers. ``means`` is what DingTalk documents (vendors.md §1.3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from interlock.doubles import ErrorAnswer
from interlock_dingtalk.double._catalogue import ERROR_CATALOGUE, LEGACY_ERRCODES
from interlock_dingtalk.double._render import _headers, new_request_id
from interlock_dingtalk.double._routes import RECRUITMENT_SCOPE

__all__ = ["error_answers"]

MEANING = {
    "invalidClientIdOrSecret": "VENDOR.AUTH_FAILED",
    "invalidSuiteKey": "VENDOR.AUTH_FAILED",
    "AuthenticationFailed.MissingParameter": "VENDOR.AUTH_FAILED",
    "InvalidAuthentication": "VENDOR.AUTH_FAILED",
    "Forbidden.AccessDenied.AccessTokenPermissionDenied": "VENDOR.PERMISSION_DENIED",
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": "VENDOR.RATE_LIMITED",
    "Forbidden.AccessDenied.QpsLimitForApi": "VENDOR.RATE_LIMITED",
    "Forbidden.AccessDenied.ApiCountLimitForOrg": "VENDOR.QUOTA_EXHAUSTED",
    "invalidParam": "VENDOR.PROTOCOL_ERROR",
    "systemError": "VENDOR.UNAVAILABLE",
    "InvalidAction.NotFound": "VENDOR.PROTOCOL_ERROR",
    "resource.not.found": "SESSION.NOT_FOUND",
}
"""Every catalogue code but ``invalidStatus`` (a refused change never answers a read)."""

LEGACY_MEANING = {
    -1: "VENDOR.UNAVAILABLE",
    40014: "VENDOR.AUTH_FAILED",
    40035: "VENDOR.PROTOCOL_ERROR",
}

HINTED = frozenset(
    {
        "invalidClientIdOrSecret",
        "invalidSuiteKey",
        "AuthenticationFailed.MissingParameter",
        "InvalidAction.NotFound",
        "Forbidden.AccessDenied.ApiCountLimitForOrg",
    }
)
"""Codes whose documentation tells the operator what to do: fix the credentials or the token
header, ask for the API, wait for next month's quota."""

QPS_WAIT_S = 1.0
_BODY_ONLY_ID = "3C9F1D2E-0000-4000-8000-00000000B0D1"

NEW_CODES: tuple[tuple[str, int, str], ...] = (
    # (code, status, meaning): a family member DingTalk has not listed, or a bare status
    ("Forbidden.AccessDenied.QpsLimitForIp", 403, "VENDOR.RATE_LIMITED"),
    ("Forbidden.AccessDenied.IpNotInWhiteList", 400, "VENDOR.PERMISSION_DENIED"),
    ("Forbidden.Other", 403, "VENDOR.PERMISSION_DENIED"),
    ("serviceDegraded", 500, "VENDOR.UNAVAILABLE"),
    ("tokenRevoked", 401, "VENDOR.AUTH_FAILED"),
    ("newValidation", 422, "VENDOR.PROTOCOL_ERROR"),
)


DETAILS: dict[str, dict[str, Any]] = {
    "Forbidden.AccessDenied.AccessTokenPermissionDenied": {"required_scopes": [RECRUITMENT_SCOPE]},
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": {"retry_after": QPS_WAIT_S},
    "Forbidden.AccessDenied.QpsLimitForApi": {"retry_after": QPS_WAIT_S},
    "invalidParam": {"field": "request"},
    "InvalidAction.NotFound": {"field": "path"},
}
"""What else the neutral error carries: the scopes a refusal lists, the wait DingTalk advises
("限流限制时间是1秒 … sleep 1秒"), the wrong part of a refused request."""

_EXTRA = {
    "Forbidden.AccessDenied.AccessTokenPermissionDenied": {
        "accessdenieddetail": {"requiredScopes": [RECRUITMENT_SCOPE]}
    }
}


def error_answers(double: object, session_id: str) -> list[ErrorAnswer]:
    """The answers to a read of ``session_id`` (``double`` and the id serve payload-shaped
    answers; none of these needs them)."""
    del double, session_id
    answers: list[ErrorAnswer] = []
    for code, means in MEANING.items():
        status, message = ERROR_CATALOGUE[code]
        details = DETAILS.get(code, {})
        extra = _EXTRA.get(code, {})
        for answered in (status, 200):  # the same error also comes inside an HTTP 200
            render = _new_api(answered, code, message, extra)
            hinted = code in HINTED
            answers.append(ErrorAnswer(code, message, means, render, details, hinted=hinted))
    # the request id only in the body (a proxy dropped the header)
    answers.append(
        ErrorAnswer(
            "systemError",
            "系统错误",
            "VENDOR.UNAVAILABLE",
            _new_api(500, "systemError", "系统错误", {"requestid": _BODY_ONLY_ID}, header=False),
            {"vendor_request_id": _BODY_ONLY_ID},
        )
    )
    answers.append(
        ErrorAnswer(
            "-1",
            "系统繁忙",
            "VENDOR.UNAVAILABLE",
            _legacy(-1, "系统繁忙", header=False),
            {"vendor_request_id": _BODY_ONLY_ID},
        )
    )
    for errcode, means in LEGACY_MEANING.items():
        message = LEGACY_ERRCODES[errcode]
        answers.append(ErrorAnswer(str(errcode), message, means, _legacy(errcode, message)))
    answers.append(
        ErrorAnswer(
            "60011",
            "无权限",
            "VENDOR.PROTOCOL_ERROR",
            _legacy(60011, "无权限"),
            {"field": "errcode"},
        )
    )
    answers.append(ErrorAnswer("-1", "", "VENDOR.UNAVAILABLE", _legacy(-1, None)))
    for code, status, means in NEW_CODES:
        details = {"field": "request"} if means == "VENDOR.PROTOCOL_ERROR" else {}
        answers.append(ErrorAnswer(code, "", means, _new_api(status, code, None), details))
    answers += [
        ErrorAnswer(None, "", "VENDOR.UNAVAILABLE", _new_api(503, None, None)),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _new_api(400, None, None), {"field": "code"}
        ),
        ErrorAnswer(None, "", "VENDOR.UNAVAILABLE", _raw(500, b"<html>502 Bad Gateway</html>")),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _raw(400, b"Bad Request"), details={"field": "body"}
        ),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _raw(404, b'["error"]'), details={"field": "body"}
        ),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _raw(200, b"<html/>"), details={"field": "body"}
        ),
    ]
    return answers + _token_answers()


def _token_answers() -> list[ErrorAnswer]:
    """The token endpoints' refusals (``/v1.0/oauth2/*AccessToken``)."""
    refusals = {
        "invalidClientIdOrSecret": "VENDOR.AUTH_FAILED",
        "invalidSuiteKey": "VENDOR.AUTH_FAILED",
        "invalidParam": "VENDOR.PROTOCOL_ERROR",
        "systemError": "VENDOR.UNAVAILABLE",
        "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": "VENDOR.RATE_LIMITED",
    }
    answers = []
    for code, means in refusals.items():
        status, message = ERROR_CATALOGUE[code]
        details = DETAILS.get(code, {})
        render = _new_api(status, code, message)
        answers.append(ErrorAnswer(code, message, means, render, details, token_request=True))
    return answers


def _new_api(
    status: int,
    code: str | None,
    message: str | None,
    extra: dict[str, Any] | None = None,
    *,
    header: bool = True,
) -> Callable[[], httpx.Response]:
    """``{"code","requestid","message"}`` (a ``None`` code or message is left out)."""

    def render() -> httpx.Response:
        rid = new_request_id()
        body: dict[str, Any] = {"requestid": rid}
        body |= {k: v for k, v in (("code", code), ("message", message)) if v is not None}
        body |= extra or {}
        return httpx.Response(status, json=body, headers=_headers(rid) if header else {})

    return render


def _legacy(
    errcode: int, errmsg: str | None, *, header: bool = True
) -> Callable[[], httpx.Response]:
    """The old API's ``{"errcode","errmsg"}`` inside an HTTP 200 (its request id in the body,
    and in the header unless ``header`` is false)."""

    def render() -> httpx.Response:
        rid = new_request_id() if header else _BODY_ONLY_ID
        body: dict[str, Any] = {"errcode": errcode, "request_id": rid}
        if errmsg is not None:
            body["errmsg"] = errmsg
        return httpx.Response(200, json=body, headers=_headers(rid) if header else {})

    return render


def _raw(status: int, content: bytes) -> Callable[[], httpx.Response]:
    def render() -> httpx.Response:
        return httpx.Response(status, content=content, headers=_headers(new_request_id()))

    return render
