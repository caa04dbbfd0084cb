"""Rendering problems as RFC 9457 ``application/problem+json`` responses.

Every error body has ``type``, ``title``, ``status``, ``detail``, the machine ``code``, a
``hint`` (what to do about it) and ``instance`` (the request path), plus the request id.
Problems themselves are plain data (:mod:`interlock_gateway.problems`); this module adds the
request's details and turns the framework's own errors (validation, unknown routes) into
problems too. Nothing here ever echoes request input or a stack trace: a validation error
names the field and the rule, not the value.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from interlock import errors

from ..problems import Problem, problem_of
from ..problems import problem_body as plain_body

__all__ = [
    "PROBLEM_JSON",
    "install_problem_handlers",
    "problem_body",
    "problem_response",
    "with_request",
]

log = logging.getLogger("interlock.gateway")
PROBLEM_JSON = "application/problem+json"


def with_request(body: dict[str, Any], request: Request) -> dict[str, Any]:
    """``body`` with the request's path (``instance``) and id added."""
    body = {"instance": request.url.path, **body}
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body.setdefault("request_id", request_id)
    return body


def problem_body(problem: Problem, request: Request | None = None) -> dict[str, Any]:
    """The JSON body of ``problem`` for ``request``."""
    body = plain_body(problem)
    return body if request is None else with_request(body, request)


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
