"""Problems: every refusal the gateway gives, as plain data (RFC 9457 fields, no web framework).

Operations and the worker raise :class:`Problem`; the HTTP layer (``api/problems.py``)
renders it as ``application/problem+json`` and adds the request's path and id. SDK errors map
to problems by class (:data:`STATUS_OF`). Nothing here echoes request input: a problem names
the field and the rule, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock import errors

__all__ = [
    "STATUS_OF",
    "TYPE_PREFIX",
    "Problem",
    "invalid_page_token",
    "page_size_too_large",
    "problem_body",
    "problem_of",
    "status_for_code",
]

TYPE_PREFIX = "urn:interlock:problem:"

# First match wins, so subclasses come before their bases.
STATUS_OF: tuple[tuple[type[errors.InterlockError], int], ...] = (
    (errors.SessionNotFound, 404),
    (errors.InvalidTransition, 409),
    (errors.UnsupportedOperation, 422),
    (errors.PolicyDenied, 403),
    (errors.VendorTimeout, 504),
    (errors.VendorRateLimited, 503),
    (errors.VendorUnavailable, 503),
    (errors.VendorQuotaExhausted, 503),
    # Credential, permission and protocol failures are the gateway's upstream problem: 502,
    # never 401/403, which would tell the caller that *their* key is wrong.
    (errors.VendorError, 502),
    (errors.InvalidRequest, 400),
    (errors.ConfigurationError, 503),
    (errors.InterlockError, 500),
)

_VENDOR_HINTS = {
    errors.VendorAuthFailed: "the vendor refused the gateway's credentials for this account; "
    "an operator must fix them in interlock.toml (your API key is fine)",
    errors.VendorPermissionDenied: "the account's vendor app lacks a permission; an operator "
    "must grant it at the vendor",
}
# Extension members copied from an SDK error's details (all safe: no secrets, no names).
_SAFE_DETAILS = ("account", "vendor_request_id", "retry_after", "from_state", "verb", "field")

# Outcome codes the gateway itself records on operations (the SDK's come from its classes).
_GATEWAY_CODES: dict[str, tuple[int, str]] = {
    "APPROVAL.REJECTED": (409, "Approval rejected"),
    "APPROVAL.EXPIRED": (409, "Approval expired"),
    "APPROVAL.CANCELLED": (409, "Approval cancelled"),
    "OPERATION.GAVE_UP": (503, "Operation interrupted"),
    "OPERATION.CONTESTED": (409, "Stop contested at the vendor"),
    "SESSION.PENDING_COMMIT": (409, "Stop pending"),
}


class Problem(Exception):
    """A refusal with its HTTP status, machine code, human detail and what to do about it.

    :param extensions: extra members of the problem body (ids, limits, lists of names).
    """

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        hint: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.hint = hint
        self.headers = dict(headers or {})
        self.extensions = {k: v for k, v in extensions.items() if v is not None}


def problem_body(problem: Problem) -> dict[str, Any]:
    """The JSON body of ``problem`` (without the request's path and id, which the HTTP layer
    adds: a body stored for an idempotent replay must not depend on the request)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        "hint": problem.hint,
    }
    body.update(problem.extensions)
    return body


def problem_of(error: errors.InterlockError) -> Problem:
    """The problem for an SDK error (status by class, vendor request id kept)."""
    status = next(code for cls, code in STATUS_OF if isinstance(error, cls))
    extensions = {k: error.details.get(k) for k in _SAFE_DETAILS}
    hint = error.hint or next(
        (text for cls, text in _VENDOR_HINTS.items() if isinstance(error, cls)), None
    )
    headers: dict[str, str] = {}
    retry_after = error.details.get("retry_after")
    if isinstance(retry_after, int | float) and retry_after > 0:
        headers["Retry-After"] = str(max(1, round(retry_after)))
    if status == 500:
        hint = hint or "this is a bug in Interlock; report it with the request id"
    return Problem(
        status, error.code, error.title, error.message, hint=hint, headers=headers, **extensions
    )


def status_for_code(code: str) -> tuple[int, str]:
    """HTTP status and title for a stored error code (an operation's ``error_code``)."""
    if code in _GATEWAY_CODES:
        return _GATEWAY_CODES[code]
    for cls in errors.all_error_classes():
        if cls.code == code:
            status = next(s for c, s in STATUS_OF if issubclass(cls, c))
            return status, cls.title
    return 502, "Operation failed"


def page_size_too_large(limit: int) -> Problem:
    """422 for a ``page_size`` above ``limit``."""
    return Problem(
        422,
        "REQUEST.PAGE_SIZE",
        "Page size too large",
        f"page_size may be at most {limit}",
        hint=f"use page_size ≤ {limit} and follow next_page_token",
        errors=[{"field": "query.page_size", "message": f"≤ {limit}", "type": "less_than"}],
    )


def invalid_page_token(
    detail: str = "page_token is malformed or was issued for another query",
) -> Problem:
    """400 for a page token that this query did not issue."""
    return Problem(
        400,
        "REQUEST.INVALID_PAGE_TOKEN",
        "Invalid page token",
        detail,
        hint="pass next_page_token from the previous page unchanged, with the same filters",
    )
