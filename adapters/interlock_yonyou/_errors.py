"""Yonyou's codes and what each means neutrally (one table per code space, tested complete).

YonBIP reports nearly everything inside HTTP 200 bodies, so these tables, not status lines,
decide. A rule may carry a hint (what to fix) and, for throttles, the wait to apply: the
platform only says "稍后再试" and never sends ``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock import errors

__all__ = [
    "AUTH_CODES",
    "DISPLAY_CODES",
    "DUPLICATE_CODES",
    "GATEWAY_CODES",
    "THROTTLE_RETRY_AFTER_S",
    "CodeRule",
]

THROTTLE_RETRY_AFTER_S = 1.0


@dataclass(frozen=True)
class CodeRule:
    """What a vendor code becomes: the neutral class, a hint, and details of the class."""

    error: type[errors.InterlockError]
    hint: str | None = None
    retry_after: float | None = None
    ambiguous: bool = False


_CHECK_KEY = "check app_key, and that the app is enabled in the YonBIP open platform"
_THROTTLED = CodeRule(errors.VendorRateLimited, retry_after=THROTTLE_RETRY_AFTER_S)
_IP_DENIED = CodeRule(
    errors.VendorPermissionDenied,
    hint="add this host's egress IP to the app's IP allow-list in the YonBIP open platform",
)
_BAD_PARAMS = CodeRule(
    errors.VendorProtocolError,
    hint="the tenant's interview API declares other parameters; compare VENDOR_API.md with it",
)

AUTH_CODES: dict[str, CodeRule] = {
    "500": CodeRule(
        errors.VendorAuthFailed,
        hint="check tenant_id: the data centre knows no gateway for this tenant",
    ),
    "10018": CodeRule(errors.VendorAuthFailed, hint=_CHECK_KEY),
    "50000": CodeRule(
        errors.VendorAuthFailed,
        hint="check app_secret (the HMAC key of the signature) and this machine's clock: "
        "the token timestamp must be within ±5 minutes of Yonyou's (sync with NTP)",
    ),
}
"""Data-centre and token endpoints (success ``"00000"``). Never retried: no retry fixes them."""

GATEWAY_CODES: dict[str, CodeRule] = {
    "310001": CodeRule(errors.VendorAuthFailed, hint="the access token was not sent"),
    "310002": CodeRule(errors.VendorProtocolError),
    "310005": CodeRule(errors.VendorAuthFailed, hint=_CHECK_KEY),
    "310006": CodeRule(errors.VendorAuthFailed, hint=_CHECK_KEY),
    "310008": _BAD_PARAMS,
    "310015": _BAD_PARAMS,
    "310023": _BAD_PARAMS,
    "310031": _IP_DENIED,
    "310032": _THROTTLED,
    "310036": CodeRule(errors.VendorTokenExpired),
    "310037": CodeRule(
        errors.VendorPermissionDenied,
        hint="grant this API to the app: YonBIP open platform → API 授权",
    ),
    "310038": _IP_DENIED,
    "310039": _THROTTLED,
    "310041": _IP_DENIED,
    "310042": _THROTTLED,
    "310046": _THROTTLED,
    "310047": _IP_DENIED,
    "310404": CodeRule(
        errors.VendorProtocolError,
        hint="the tenant has not published the interview API at this path; "
        "check api_prefix and the tenant's API publication",
    ),
    "310405": CodeRule(errors.VendorProtocolError),
    "202": CodeRule(errors.VendorUnavailable, hint="the vendor is still processing; try again"),
    "310043": CodeRule(errors.VendorUnavailable, hint="the gateway's circuit breaker is open"),
    "310071": CodeRule(errors.VendorUnavailable),
    "310072": CodeRule(errors.VendorUnavailable),
    # A gateway timeout: the tenant's service may have acted, so a write is read back.
    "310504": CodeRule(errors.VendorTimeout, ambiguous=True),
    "315001": CodeRule(errors.VendorUnavailable),
    "999": CodeRule(errors.VendorUnavailable),
}
"""API gateway codes (business success ``"200"``); ``999`` is refined by ``displayCode``."""

DISPLAY_CODES: dict[str, CodeRule] = {
    "HRC-AIV-100400": CodeRule(errors.VendorProtocolError),
    "HRC-AIV-100404": CodeRule(errors.SessionNotFound),
    "HRC-AIV-100409": CodeRule(errors.InvalidTransition),
}
"""The tenant interview API's ``displayCode`` inside a ``999`` failure."""

DUPLICATE_CODES = frozenset({"100004", "10004"})
"""MDD idempotency 'duplicate submission': the write was done before (the docs give both)."""
