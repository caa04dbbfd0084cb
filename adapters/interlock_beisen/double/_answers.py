"""Beisen's error answers to a read, for the contract kit's diagnostics check.

Every layer (``vendors.md`` §2.3): the gateway's status + ``{"message"}`` (its code is the
status), the plain-text 403 of the trusted-IP list, the HTML 404, the token endpoints' OAuth
errors, the RecruitV6 ``code`` inside an HTTP 200 — and codes or bodies Beisen may send that no
table knows. ``means`` is what Beisen documents.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from interlock.doubles import ErrorAnswer
from interlock_beisen.double._catalogue import (
    GATEWAY_ERRORS,
    IP_NOT_TRUSTED,
    MSG_AUTHORIZATION_EMPTY,
    MSG_DAILY_QUOTA,
    MSG_RATE_LIMITED,
    MSG_UNAUTHORIZED,
    NOT_FOUND_HTML,
    TOKEN_ERRORS,
)
from interlock_beisen.double._render import REQUEST_ID_HEADER, interview_json

if TYPE_CHECKING:
    from interlock_beisen.double._app import BeisenDouble

__all__ = ["error_answers"]

GATEWAY_MEANING = {
    MSG_AUTHORIZATION_EMPTY: "VENDOR.AUTH_FAILED",
    MSG_UNAUTHORIZED: "VENDOR.AUTH_FAILED",
    MSG_RATE_LIMITED: "VENDOR.RATE_LIMITED",
    MSG_DAILY_QUOTA: "VENDOR.QUOTA_EXHAUSTED",
}

OAUTH_MEANING = {
    "invalid_client": "VENDOR.AUTH_FAILED",
    "invalid_grant": "VENDOR.AUTH_FAILED",
    "invalid_tenantid": "VENDOR.AUTH_FAILED",
    "invalid_request": "VENDOR.PROTOCOL_ERROR",
    "unsupported_grant_type": "VENDOR.PROTOCOL_ERROR",
}

BUSINESS_MEANING = {
    400: ("参数错误", "VENDOR.PROTOCOL_ERROR"),
    404: ("面试不存在", "SESSION.NOT_FOUND"),
    500: ("系统繁忙，请稍后重试", "VENDOR.UNAVAILABLE"),
}
"""RecruitV6 codes a read can meet (417, a refused change, never answers a read)."""


def error_answers(double: BeisenDouble, session_id: str) -> list[ErrorAnswer]:
    answers = [
        ErrorAnswer(
            str(GATEWAY_ERRORS[m]),
            m,
            means,
            _json(GATEWAY_ERRORS[m], {"message": m}),
            {"retry_after": 1.0} if m == MSG_RATE_LIMITED else {},  # the window is the second
            hinted=m == MSG_DAILY_QUOTA,  # it resets at midnight: say so
        )
        for m, means in GATEWAY_MEANING.items()
    ]
    # a 401 in words no table knows is still the gateway refusing the token
    answers.append(
        ErrorAnswer(
            "401", "invalid token", "VENDOR.AUTH_FAILED", _json(401, {"message": "invalid token"})
        )
    )
    answers.append(
        ErrorAnswer(
            "429",
            MSG_RATE_LIMITED,
            "VENDOR.RATE_LIMITED",
            _json(429, {"message": MSG_RATE_LIMITED}, {"Retry-After": "3"}),
            {"retry_after": 3.0},
        )
    )
    ip_refusal = IP_NOT_TRUSTED.format(ip="203.0.113.9")
    answers += [
        ErrorAnswer(
            "403",
            ip_refusal,
            "VENDOR.PERMISSION_DENIED",
            _text(403, ip_refusal),
            hinted=True,  # add the IP to the tenant's trusted list
        ),
        ErrorAnswer("403", "Forbidden", "VENDOR.PERMISSION_DENIED", _text(403, "Forbidden")),
        ErrorAnswer(
            "500",
            "服务器内部错误",
            "VENDOR.UNAVAILABLE",
            _json(500, {"data": None, "code": 500, "message": "服务器内部错误"}),
        ),
        ErrorAnswer("503", "", "VENDOR.UNAVAILABLE", _text(503, "")),
        ErrorAnswer(
            "404",
            "",
            "VENDOR.PROTOCOL_ERROR",
            _text(404, NOT_FOUND_HTML),
            details={"field": "path"},
        ),
        ErrorAnswer(
            "409",
            "conflict",
            "VENDOR.PROTOCOL_ERROR",
            _json(409, {"message": "conflict"}),
            details={"field": "status"},
        ),
    ]
    answers += _token_answers()
    answers += _retry_after_answers()
    answers.append(
        ErrorAnswer("500", "", "VENDOR.UNAVAILABLE", _json(500, ["busy"]))  # not an object
    )
    answers += _malformed_payloads(double, session_id)
    for code, (message, means) in BUSINESS_MEANING.items():
        answers.append(ErrorAnswer(str(code), message, means, _recruit(code, message)))
        answers.append(ErrorAnswer(str(code), message, means, _recruit(str(code), message)))
    answers += [
        ErrorAnswer("500", "", "VENDOR.UNAVAILABLE", _recruit(500, None)),
        ErrorAnswer(
            "418",
            "新的错误",
            "VENDOR.PROTOCOL_ERROR",
            _recruit(418, "新的错误"),
            details={"field": "code"},
        ),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _recruit("ok", None), details={"field": "code"}
        ),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _recruit(True, None), details={"field": "code"}
        ),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _json(200, {"data": {}}), details={"field": "code"}
        ),
        ErrorAnswer(
            None, "", "VENDOR.PROTOCOL_ERROR", _json(200, [200]), details={"field": "code"}
        ),
        ErrorAnswer(
            None,
            "",
            "VENDOR.PROTOCOL_ERROR",
            _text(200, '{"data":{"interviewId":"3f'),
            details={"field": "body"},
        ),
    ]
    return answers


def _token_answers() -> list[ErrorAnswer]:
    """The token endpoint's OAuth errors (HTTP 400): ``error`` is the code unless an
    ``error_code`` is given; the description is the message."""
    answers = []
    for error, means in OAUTH_MEANING.items():
        description = f"{error}: {TOKEN_ERRORS[error]}"
        body = {"error": error, "error_description": description}
        details = {"field": "request"} if means == "VENDOR.PROTOCOL_ERROR" else {}
        answers.append(ErrorAnswer(error, description, means, _json(400, body), details, True))
    coded = {"error": "invalid_request", "error_code": "400006"}
    answers += [
        ErrorAnswer("400006", "invalid_request", "VENDOR.PROTOCOL_ERROR", _json(400, coded),
                    {"field": "request"}, True),
        # an OAuth error no table knows is still a refusal of our credentials
        ErrorAnswer("access_denied", "access_denied", "VENDOR.AUTH_FAILED",
                    _json(400, {"error": "access_denied"}), {}, True),
        ErrorAnswer(None, "", "VENDOR.PROTOCOL_ERROR", _text(200, "<html/>"),
                    {"field": "body"}, True),
        # a token answer without its token: the adapter must name the missing field
        ErrorAnswer(None, "", "VENDOR.PROTOCOL_ERROR",
                    _json(200, {"token_type": "bearer", "expires_in": 7200}),
                    {"field": "access_token"}, True),
        ErrorAnswer("429", MSG_RATE_LIMITED, "VENDOR.RATE_LIMITED",
                    _json(429, {"message": MSG_RATE_LIMITED}), {}, True),
    ]  # fmt: skip
    return answers


def _retry_after_answers() -> list[ErrorAnswer]:
    """A 429's Retry-After, when it is a usable number of seconds (else: the second)."""
    said = {"0": 0.0, "2.5": 2.5, "-1": 1.0, "soon": 1.0}
    return [
        ErrorAnswer(
            "429",
            MSG_RATE_LIMITED,
            "VENDOR.RATE_LIMITED",
            _json(429, {"message": MSG_RATE_LIMITED}, {"Retry-After": header}),
            {"retry_after": wait},
        )
        for header, wait in said.items()
    ]


def _malformed_payloads(double: BeisenDouble, session_id: str) -> list[ErrorAnswer]:
    """The interview itself, with one of its fields wrong: the error names it in the body."""
    interview = interview_json(double.world.get(session_id), double.zone)
    wrong = {
        "interviewStatus": None,  # required
        "completionRate": 150,  # a percentage
        "jobDutyUserIds": "u1,u2",  # a list
    }
    return [
        ErrorAnswer(
            None,
            "",
            "VENDOR.PROTOCOL_ERROR",
            _recruit(200, "成功", data=interview | {key: value}),
            {"field": f"data.{key}"},
        )
        for key, value in wrong.items()
    ]


def _recruit(code: Any, message: str | None, *, data: Any = None) -> Callable[[], httpx.Response]:
    """The RecruitV6 envelope inside an HTTP 200 (a ``None`` message is left out)."""
    body: dict[str, Any] = {"data": data, "code": code}
    if message is not None:
        body["message"] = message
    return _json(200, body)


def _json(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> Callable[[], httpx.Response]:
    content = json.dumps(body, ensure_ascii=False).encode()
    return _raw(status, content, "application/json", headers)


def _text(status: int, text: str) -> Callable[[], httpx.Response]:
    return _raw(status, text.encode(), "text/plain; charset=utf-8")


def _raw(
    status: int, content: bytes, content_type: str, extra: dict[str, str] | None = None
) -> Callable[[], httpx.Response]:
    def render() -> httpx.Response:
        headers = {"content-type": content_type, REQUEST_ID_HEADER: str(uuid.uuid4())}
        return httpx.Response(status, content=content, headers=headers | (extra or {}))

    return render
