"""Everything the Beisen double can say when something is wrong, in one place.

Four layers, as on the real platform (``vendors.md`` §2.3): the API gateway (HTTP status plus
``{"message"}``, a plain-text 403 for the trusted-IP list, an HTML 404), the OAuth-style token
endpoints (``{"error", "error_description", "error_code"}``), the RecruitV6 business envelope
(HTTP 200 with an integer ``code``) and the asynchronous job records (``data.state``).
The adapter's ``_errors.py`` maps every entry here; a test checks both sides stay complete.
"""

from __future__ import annotations

__all__ = [
    "ASYNC_STATES",
    "BATCH_FAILURE_LISTS",
    "BUSINESS_CODES",
    "GATEWAY_ERRORS",
    "IP_NOT_TRUSTED",
    "MSG_AUTHORIZATION_EMPTY",
    "MSG_DAILY_QUOTA",
    "MSG_RATE_LIMITED",
    "MSG_UNAUTHORIZED",
    "NOT_FOUND_HTML",
    "TOKEN_ERRORS",
]

# -- gateway layer: HTTP status + {"message": ...} ---------------------------------------------

MSG_AUTHORIZATION_EMPTY = "Authorization header is empty"  # documented (probe P2)
MSG_UNAUTHORIZED = "un-authorized"  # documented (probe P3, P4, P7)
MSG_RATE_LIMITED = "API rate limit exceeded"  # decision: the 429 body is undocumented
MSG_DAILY_QUOTA = "API daily quota exceeded"  # decision: ditto, for the tenant's daily total

GATEWAY_ERRORS: dict[str, int] = {
    MSG_AUTHORIZATION_EMPTY: 400,
    MSG_UNAUTHORIZED: 401,
    MSG_RATE_LIMITED: 429,
    MSG_DAILY_QUOTA: 429,
}
"""Gateway ``message`` → HTTP status."""

IP_NOT_TRUSTED = (
    "当前企业已设置OpenAPI调用受信IP，当前调用端的IP不在受信IP范围内...当前请求IP：{ip}"
)
"""The trusted-IP refusal: HTTP 403, ``text/plain`` (documented by S-BS-HRP, real)."""

NOT_FOUND_HTML = (
    "<!DOCTYPE html><html><head><title>The resource cannot be found.</title></head>"
    "<body><h1>Server Error in '/' Application.</h1>"
    "<h2><i>The resource cannot be found.</i></h2></body></html>"
)
"""Unknown path or method after authentication: HTTP 404 HTML (probe P6)."""

# -- token endpoints: OAuth-style {"error", "error_description", "error_code"} -----------------

TOKEN_ERRORS: dict[str, str] = {
    "invalid_request": "the request lacks Content-Type (400006) or a parameter (400001)",
    "unsupported_grant_type": "grant_type is neither client_credentials nor refresh_token",
    "invalid_client": "app_key/app_secret (or app_id/secret) do not match",
    "invalid_grant": "the refresh_token is unknown, used or expired",
    "invalid_tenantid": "tenant_id is not a tenant of this platform (probe P1)",
}
"""OAuth ``error`` value → when the double sends it (all HTTP 400)."""

# -- RecruitV6 envelope: HTTP 200 {"code": <int>, "message", "data"} ----------------------------

BUSINESS_CODES: dict[int, str] = {
    400: "a parameter is missing or invalid, e.g. 开始时间不能大于等于结束时间",
    404: "the interview (or async request id) does not exist",
    417: "a business rule refuses the change (the interview's status does not allow it)",
    500: "the platform failed while handling the request (系统繁忙)",
}
"""Non-200 business ``code`` values; ``data`` is ``null`` with each of them."""

# -- asynchronous jobs: GET /OpenPlatform/api/AsyncApiExecInfo/GetByRequestId -----------------

ASYNC_STATES: tuple[str, ...] = ("Running", "PartialSuccess", "AllSuccess", "Fail", "Overtime")
"""``data.state`` values (documented)."""

BATCH_FAILURE_LISTS: dict[str, str] = {
    "interviewDeletedIds": "the interview does not exist (cf. applyDeleteApplyIds)",
    "interviewStatusNotAllowedIds": "its status does not allow the change "
    "(cf. applyStatusChangedApplyIds)",
    "interviewResumeDeadlinePassedIds": "a suspended interview passed its resume deadline",
    "interviewAlreadyInTargetStatusIds": "already in the target status: nothing to do",
}
"""Per-cause id lists of a batch result, in the shape of ``Apply/TransferPhase``."""
