"""Every error the DingTalk double can answer, with DingTalk's status and message.

New-API errors are a non-2xx status with ``{"code","message","requestid"}`` (vendors.md §1.3);
``LEGACY_ERRCODES`` are old-API style errors inside an HTTP 200 (the ``ERROR_IN_200`` fault).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_CATALOGUE", "LEGACY_ERRCODES", "DingTalkError"]

ERROR_CATALOGUE: dict[str, tuple[int, str]] = {
    # documented (vendors.md §1.2-§1.4, §7.1)
    "invalidClientIdOrSecret": (400, "无效的clientId或者clientSecret"),
    "invalidSuiteKey": (400, "suitekey不合法"),
    "AuthenticationFailed.MissingParameter": (400, "缺少参数：x-acs-dingtalk-access-token"),
    "InvalidAuthentication": (400, "不合法的access_token"),
    "Forbidden.AccessDenied.AccessTokenPermissionDenied": (
        403,
        "没有调用该接口的权限，接口权限申请参考："
        "https://open.dingtalk.com/document/orgapp-server/add-api-permission",
    ),
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": (403, "应用调用该接口的QPS超过限制"),
    "Forbidden.AccessDenied.QpsLimitForApi": (403, "该接口的全局QPS超过限制"),
    "Forbidden.AccessDenied.ApiCountLimitForOrg": (403, "您的企业本月api调用量已超过限制"),
    "invalidParam": (400, "参数错误"),
    "systemError": (500, "系统错误"),
    # decisions where DingTalk is silent (VENDOR_API.md, "Decisions")
    "InvalidAction.NotFound": (
        404,
        "Specified api is not found, please check your url and method.",
    ),
    "resource.not.found": (404, "资源不存在"),
    "invalidStatus": (400, "当前状态不允许该操作"),
}

LEGACY_ERRCODES: dict[int, str] = {
    -1: "系统繁忙",
    # the corp-conversation message API (asyncsend_v2)
    40014: "不合法的access_token",
    40035: "不合法的参数",
}


class DingTalkError(Exception):
    """Raised by a route handler; the double renders it as DingTalk's error response."""

    def __init__(
        self, code: str, message: str | None = None, *, extra: dict[str, Any] | None = None
    ) -> None:
        status, default = ERROR_CATALOGUE[code]
        super().__init__(message or default)
        self.status = status
        self.code = code
        self.message = message or default
        self.extra = extra or {}
