"""RFC 9457 problem details for every error the API returns.

Every error body is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail``, the machine ``code``, a ``hint`` (what to do about it) and ``instance`` (the
request path), plus the request id. SDK errors map by class (:data:`STATUS_OF`); gateway
errors are raised as :class:`Problem`. Nothing here ever echoes request input or a stack
trace: a validation error names the field and the rule, not the value.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from interlock import errors

__all__ = [
    "PROBLEM_JSON",
    "STATUS_OF",
    "Problem",
    "install_problem_handlers",
    "problem_body",
    "problem_of",
    "problem_response",
    "status_for_code",
]

log = logging.getLogger("interlock.gateway")
PROBLEM_JSON = "application/problem+json"
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


class Problem(Exception):
    """A gateway error with its HTTP status, machine code and hint."""

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


# Outcome codes the gateway itself records on operations (the SDK's come from its classes).
_GATEWAY_CODES: dict[str, tuple[int, str]] = {
    "APPROVAL.REJECTED": (409, "Approval rejected"),
    "APPROVAL.EXPIRED": (409, "Approval expired"),
    "OPERATION.GAVE_UP": (503, "Operation interrupted"),
}


def status_for_code(code: str) -> tuple[int, str]:
    """HTTP status and title for a stored error code (an operation's ``error_code``)."""
    if code in _GATEWAY_CODES:
        return _GATEWAY_CODES[code]
    for cls in errors.all_error_classes():
        if cls.code == code:
            status = next(s for c, s in STATUS_OF if issubclass(cls, c))
            return status, cls.title
    return 502, "Operation failed"


def problem_body(problem: Problem, request: Request | None = None) -> dict[str, Any]:
    """The JSON body of ``problem`` for ``request``."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        "hint": problem.hint,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(problem.extensions)
    return body


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    """``problem`` as an ``application/problem+json`` response."""
    return JSONResponse(
        problem_body(problem, request),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    fields = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        fields.append(
            {
                "field": ".".join(location) or "request",
                "message": str(error.get("msg", "invalid")),
                "type": str(error.get("type", "invalid")),
            }
        )
    return fields


def validation_problem(exc: RequestValidationError) -> Problem:
    """422 with the field list, or 400 when the body is not JSON at all."""
    fields = _field_errors(exc)
    if any(f["type"] == "json_invalid" for f in fields):
        return Problem(
            400,
            "REQUEST.MALFORMED_JSON",
            "Malformed JSON",
            "the request body is not valid JSON",
            hint="send a JSON object with Content-Type: application/json",
        )
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return Problem(
        422,
        "REQUEST.VALIDATION",
        "Invalid request",
        summary or "the request is not valid",
        hint="fix the listed fields; unknown fields are refused",
        errors=fields,
    )


def http_problem(exc: StarletteHTTPException) -> Problem:
    """Problems for the framework's own errors (unknown route, wrong method, ...)."""
    if exc.status_code == 404:
        return Problem(
            404,
            "REQUEST.NOT_FOUND",
            "Not found",
            "no such resource or route",
            hint="see /docs for the routes of API v1",
        )
    if exc.status_code == 405:
        return Problem(
            405,
            "REQUEST.METHOD_NOT_ALLOWED",
            "Method not allowed",
            "this route does not accept this method",
            hint="see /docs for the methods of each route",
            headers={"Allow": (exc.headers or {}).get("Allow", "")},
        )
    detail = exc.detail if isinstance(exc.detail, str) else "the request was refused"
    return Problem(exc.status_code, "REQUEST.ERROR", "Request error", detail)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every exception into problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_interlock(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.InterlockError)
        return problem_response(problem_of(exc), request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(validation_problem(exc), request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(http_problem(exc), request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: log it (type only in the message; the trace goes to the log
        # handler), answer without any internals.
        log.error("unhandled %s on %s", type(exc).__name__, request.url.path, exc_info=exc)
        problem = Problem(
            500,
            "INTERLOCK.INTERNAL",
            "Internal error",
            "the gateway failed to handle this request; nothing was lost",
            hint="retry with the same Idempotency-Key; report the request id if it persists",
        )
        return problem_response(problem, request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(errors.InterlockError, on_interlock)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
