"""What every Beisen error means neutrally: one table per layer, tested complete.

Beisen reports failures on four layers (``vendors.md`` §2.3), and the interpreter reads all of
them, status line *and* body:

* the API gateway: HTTP status + ``{"message"}`` (400, 401, 429), a plain-text 403 for the
  trusted-IP list, an HTML 404 for an unknown path;
* the token endpoints: HTTP 400 + OAuth ``{"error", "error_description", "error_code"}``;
* the RecruitV6 envelope: HTTP **200** + integer ``code`` ≠ 200;
* asynchronous jobs: ``data.state`` and the per-cause id lists of a batch result.
"""

from __future__ import annotations

from typing import Literal

from interlock import errors

__all__ = [
    "ASYNC_STATES",
    "BATCH_FAILURE_LISTS",
    "BUSINESS_CODES",
    "GATEWAY_MESSAGES",
    "IP_NOT_TRUSTED_MARKER",
    "TOKEN_ERRORS",
    "JobMeaning",
]

GATEWAY_MESSAGES: dict[str, type[errors.VendorError]] = {
    "Authorization header is empty": errors.VendorAuthFailed,
    "un-authorized": errors.VendorTokenExpired,  # refresh once and replay (the toolkit does it)
    "API rate limit exceeded": errors.VendorRateLimited,
    "API daily quota exceeded": errors.VendorQuotaExhausted,
}
"""Gateway ``{"message"}`` → neutral error (401 without a known message is still expiry)."""

IP_NOT_TRUSTED_MARKER = "不在受信IP范围内"
"""Part of the plain-text 403 for a caller outside the tenant's trusted-IP list."""

TOKEN_ERRORS: dict[str, type[errors.VendorError]] = {
    "invalid_request": errors.VendorProtocolError,  # we sent a malformed token request
    "unsupported_grant_type": errors.VendorProtocolError,
    "invalid_client": errors.VendorAuthFailed,
    "invalid_grant": errors.VendorAuthFailed,  # the token fetch falls back to credentials
    "invalid_tenantid": errors.VendorAuthFailed,
}
"""OAuth ``error`` of the token endpoints → neutral error."""

BUSINESS_CODES: dict[int, type[errors.InterlockError]] = {
    400: errors.VendorProtocolError,  # a parameter Beisen refuses: our request was wrong
    404: errors.SessionNotFound,
    417: errors.InvalidTransition,  # a business rule: the interview's status forbids it
    500: errors.VendorUnavailable,
}
"""RecruitV6 ``code`` (inside HTTP 200) → neutral error."""

JobMeaning = Literal["pending", "per_item", "unknown"]

ASYNC_STATES: dict[str, JobMeaning] = {
    "Running": "pending",
    "AllSuccess": "per_item",
    "PartialSuccess": "per_item",
    "Fail": "per_item",
    # "the polling time exceeded the limit; it does not stop the task" (Beisen's doc): the
    # outcome is unknown, so every item fails with the request id — never a silent success.
    "Overtime": "unknown",
}
"""``data.state`` of an asynchronous write → how its items are decided."""

BATCH_FAILURE_LISTS: dict[str, type[errors.SessionError] | None] = {
    "interviewDeletedIds": errors.SessionNotFound,
    "interviewStatusNotAllowedIds": errors.InvalidTransition,
    "interviewResumeDeadlinePassedIds": errors.InvalidTransition,
    "interviewAlreadyInTargetStatusIds": None,  # no change was needed: already_in_state
}
"""Per-cause id lists of a batch result → the item's neutral error (None: not a failure)."""
