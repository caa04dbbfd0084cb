"""Yonyou's error answers to a read, for the contract kit's diagnostics check.

YonBIP answers nearly everything inside HTTP 200 bodies: every gateway code of the catalogue,
the tenant interview API's ``999`` refined by ``displayCode`` (its code is both, ``999/HRC-…``,
as ``999`` alone says nothing), codes the platform may add, the plain-text ``非法token`` and
malformed answers. ``means`` is what the YonBIP documentation says. YonBIP sends no request id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from interlock.doubles import ErrorAnswer
from interlock_yonyou.double._catalogue import DISPLAY_CODES, GATEWAY_CODES, TOKEN_CODES

__all__ = ["error_answers"]

_AUTH, _PROTOCOL, _DENIED = (
    "VENDOR.AUTH_FAILED",
    "VENDOR.PROTOCOL_ERROR",
    "VENDOR.PERMISSION_DENIED",
)
_THROTTLED, _DOWN = "VENDOR.RATE_LIMITED", "VENDOR.UNAVAILABLE"

GATEWAY_MEANING = {
    "310001": _AUTH,
    "310002": _PROTOCOL,
    "310005": _AUTH,
    "310006": _AUTH,
    "310008": _PROTOCOL,
    "310015": _PROTOCOL,
    "310023": _PROTOCOL,
    "310031": _DENIED,
    "310032": _THROTTLED,
    "310036": _AUTH,
    "310037": _DENIED,
    "310038": _DENIED,
    "310039": _THROTTLED,
    "310041": _DENIED,
    "310042": _THROTTLED,
    "310046": _THROTTLED,
    "310047": _DENIED,
    "310404": _PROTOCOL,
    "310405": _PROTOCOL,
    "202": _DOWN,
    "310043": _DOWN,
    "310071": _DOWN,
    "310072": _DOWN,
    "310504": _DOWN,
    "315001": _DOWN,
    "999": _DOWN,
}

DISPLAY_MEANING = {
    "HRC-AIV-100400": _PROTOCOL,
    "HRC-AIV-100404": "SESSION.NOT_FOUND",
}
"""``HRC-AIV-100409`` (a refused change) never answers a read."""

HINTED = frozenset({"310005", "310006", "310031", "310037", "310038", "310041", "310047"})
"""Codes whose documentation names the fix: the app key or its enabling, the IP allow-list,
the API grant (YonBIP open platform)."""

_FIELDS = {"path": "/yonbip/hrcloud/aiInterview/session", "method": "GET", "detail": "id",
           "id": "x"}  # fmt: skip


def error_answers(double: object, session_id: str) -> list[ErrorAnswer]:
    """The answers to a read of ``session_id`` (``double`` and the id serve payload-shaped
    answers; none of these needs them)."""
    del double, session_id
    answers = []
    for code, means in GATEWAY_MEANING.items():
        status, template = GATEWAY_CODES[code]
        message = template.format(**_FIELDS)
        # YonBIP only says "稍后再试"; its documented window is the second
        details = {"retry_after": 1.0} if means == _THROTTLED else {}
        render = _json(status, {"code": code, "message": message})
        hinted = code in HINTED
        answers.append(ErrorAnswer(code, message, means, render, details, hinted=hinted))
    for display, means in DISPLAY_MEANING.items():
        message = DISPLAY_CODES[display].format(**_FIELDS)
        body = {"code": "999", "message": message, "displayCode": display, "level": 0}
        answers.append(ErrorAnswer(f"999/{display}", message, means, _json(200, body)))
    unknown_display = {"code": "999", "message": "服务端逻辑异常", "displayCode": "HRC-AIV-100500"}
    answers += [
        ErrorAnswer("999/HRC-AIV-100500", "服务端逻辑异常", _DOWN, _json(200, unknown_display)),
        ErrorAnswer("999", "", _DOWN, _json(200, {"code": 999})),
        ErrorAnswer(
            "310999",
            "新的网关错误",
            _PROTOCOL,
            _json(200, {"code": "310999", "message": "新的网关错误"}),
            details={"field": "code"},
        ),
        ErrorAnswer("310999", "", _DOWN, _json(500, {"code": "310999"})),
        ErrorAnswer(None, "非法token", _AUTH, _raw(200, "非法token".encode())),
        ErrorAnswer(None, "", _DOWN, _raw(500, b"<html>502 Bad Gateway</html>")),
        ErrorAnswer(None, "", _PROTOCOL, _raw(200, b"<html></html>"), details={"field": "body"}),
        ErrorAnswer(None, "", _DOWN, _json(500, {"message": "Internal Server Error"})),
        ErrorAnswer(None, "", _PROTOCOL, _json(200, {"data": {}}), details={"field": "code"}),
        ErrorAnswer(None, "", _PROTOCOL, _json(200, ["200"]), details={"field": "code"}),
    ]
    return answers + _token_answers()


def _token_answers() -> list[ErrorAnswer]:
    """The token service's answers (success ``"00000"``): its own codes, a gateway code it
    shares, and codes no table knows."""
    answers = [  # each names its fix: the app key, or the signature's secret and clock
        ErrorAnswer(
            code,
            message,
            _AUTH,
            _json(200, {"code": code, "message": message}),
            token_request=True,
            hinted=True,
        )
        for code, message in TOKEN_CODES.items()
    ]
    throttled = GATEWAY_CODES["310046"][1]
    answers += [
        ErrorAnswer(
            "310046",
            throttled,
            _THROTTLED,
            _json(200, {"code": "310046", "message": throttled}),
            {"retry_after": 1.0},
            True,
        ),
        ErrorAnswer("77777", "", _PROTOCOL, _json(200, {"code": "77777"}), {"field": "code"}, True),
        ErrorAnswer(None, "", _DOWN, _raw(503, b"<html>busy</html>"), {}, True),
    ]  # fmt: skip
    return answers


def _json(status: int, body: Any) -> Callable[[], httpx.Response]:
    content = json.dumps(body, ensure_ascii=False).encode()
    return _raw(status, content, "application/json")


def _raw(
    status: int, content: bytes, content_type: str = "text/plain"
) -> Callable[[], httpx.Response]:
    def render() -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    return render
