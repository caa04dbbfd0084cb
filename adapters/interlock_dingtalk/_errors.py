"""DingTalk's error codes and what each means neutrally (one table, tested complete).

DingTalk's new API (``api.dingtalk.com/v1.0``) reports errors as a non-2xx status with
``{"code", "message", "requestid"}`` (vendors.md §1.3); the old API style puts
``{"errcode": ≠0, "errmsg"}`` inside an HTTP 200, which is why the body always decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock import errors

__all__ = [
    "ERROR_TABLE",
    "LEGACY_ERRCODE_TABLE",
    "QPS_RETRY_AFTER_S",
    "translate",
    "translate_legacy",
]

QPS_RETRY_AFTER_S = 1.0
"""DingTalk's advice on a QPS 403: "限流限制时间是1秒 … sleep 1秒，然后继续执行" (no header)."""

ERROR_TABLE: dict[str, type[errors.InterlockError]] = {
    # token endpoints
    "invalidClientIdOrSecret": errors.VendorAuthFailed,
    "invalidSuiteKey": errors.VendorAuthFailed,
    # token transport and validity
    "AuthenticationFailed.MissingParameter": errors.VendorAuthFailed,
    "InvalidAuthentication": errors.VendorTokenExpired,
    # permissions, throttling, quota
    "Forbidden.AccessDenied.AccessTokenPermissionDenied": errors.VendorPermissionDenied,
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": errors.VendorRateLimited,
    "Forbidden.AccessDenied.QpsLimitForApi": errors.VendorRateLimited,
    "Forbidden.AccessDenied.ApiCountLimitForOrg": errors.VendorQuotaExhausted,
    # requests and resources
    "invalidParam": errors.VendorProtocolError,
    "InvalidAction.NotFound": errors.VendorProtocolError,
    "resource.not.found": errors.SessionNotFound,
    "invalidStatus": errors.InvalidTransition,
    "systemError": errors.VendorUnavailable,
}

LEGACY_ERRCODE_TABLE: dict[int, type[errors.VendorError]] = {
    -1: errors.VendorUnavailable,  # 系统繁忙: "retry once, max 3"
    40014: errors.VendorTokenExpired,  # 不合法的access_token (the old API's token error)
    40035: errors.VendorProtocolError,  # 不合法的参数: the request was malformed (our side)
}

_HINTS = {
    "InvalidAction.NotFound": "DingTalk does not serve this API; the AI-interview control API "
    "is a DingTalk-style extension (see VENDOR_API.md) that the tenant must provide",
    "AuthenticationFailed.MissingParameter": "the token must travel in the "
    "x-acs-dingtalk-access-token header",
    "invalidClientIdOrSecret": "check app_key/app_secret (or the suite credentials)",
    "invalidSuiteKey": "check suite_key",
    "Forbidden.AccessDenied.ApiCountLimitForOrg": "the organisation's monthly API quota is "
    "used up; it resets next month or with a higher edition",
}


def translate(
    status: int, body: Mapping[str, Any], request_id: str | None
) -> errors.InterlockError:
    """The neutral error for a new-API error body ``{"code","message","requestid"}``."""
    code = str(body.get("code") or "")
    message = f"dingtalk: {body.get('message') or code or 'unspecified error'} ({code or status})"
    request_id = request_id or _str_or_none(body.get("requestid"))
    cls = _class_of(code, status)
    common: dict[str, Any] = {
        "vendor_request_id": request_id,
        "vendor_code": code or None,
        "hint": _HINTS.get(code),
    }
    if cls is errors.VendorRateLimited:
        return errors.VendorRateLimited(message, retry_after=QPS_RETRY_AFTER_S, **common)
    if cls is errors.VendorPermissionDenied:
        return errors.VendorPermissionDenied(
            message, required_scopes=_required_scopes(body), **common
        )
    if cls is errors.VendorProtocolError:
        return errors.VendorProtocolError(message, field=_field_of(code), **common)
    if cls is errors.InvalidTransition:
        # DingTalk names no states; the adapter reads the session back and re-plans.
        return errors.InvalidTransition(message, from_state="unknown", verb="unknown")
    if cls is errors.SessionNotFound:
        return errors.SessionNotFound(message, vendor_request_id=request_id)
    assert issubclass(cls, errors.VendorError), cls  # every other entry is the vendor's
    return cls(message, **common)


def translate_legacy(body: Mapping[str, Any], request_id: str | None) -> errors.InterlockError:
    """The neutral error for an old-style ``{"errcode": ≠0, "errmsg"}`` inside an HTTP 200."""
    errcode = body.get("errcode")
    message = f"dingtalk: {body.get('errmsg') or 'unspecified error'} (errcode {errcode})"
    request_id = request_id or _str_or_none(body.get("request_id"))
    cls = LEGACY_ERRCODE_TABLE.get(errcode) if isinstance(errcode, int) else None
    if cls is None:
        return errors.VendorProtocolError(
            message, field="errcode", vendor_request_id=request_id, vendor_code=str(errcode)
        )
    return cls(message, vendor_request_id=request_id, vendor_code=str(errcode))


def _class_of(code: str, status: int) -> type[errors.InterlockError]:
    known = ERROR_TABLE.get(code)
    if known is not None:
        return known
    # Families DingTalk documents by prefix; an unlisted member still means the same thing.
    if code.startswith("Forbidden.AccessDenied.QpsLimit"):
        return errors.VendorRateLimited
    if status == 403 or code.startswith("Forbidden.AccessDenied."):
        return errors.VendorPermissionDenied
    if status >= 500:
        return errors.VendorUnavailable
    if status == 401:
        return errors.VendorAuthFailed
    return errors.VendorProtocolError


def _required_scopes(body: Mapping[str, Any]) -> tuple[str, ...]:
    detail = body.get("accessdenieddetail")
    scopes = detail.get("requiredScopes") if isinstance(detail, Mapping) else None
    if not isinstance(scopes, list):
        return ()
    return tuple(str(s) for s in scopes)


def _field_of(code: str) -> str:
    return "path" if code == "InvalidAction.NotFound" else "request" if code else "code"


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
