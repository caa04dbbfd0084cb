"""Turning service replies into HTTP responses, and the checks every mutation shares."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from ..policy import Caller
from ..runtime import Runtime
from ..services.idempotency import Reply
from .problems import PROBLEM_JSON, Problem

__all__ = ["require_key", "take_mutation_slot", "to_response"]


def to_response(reply: Reply, request: Request) -> JSONResponse:
    """The reply as JSON (or problem+json) with its headers.

    Stored problem bodies carry no request details; this request's path and id are added.
    """
    body = reply.body
    if reply.media_type == PROBLEM_JSON:
        body = {"instance": request.url.path, **body}
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body.setdefault("request_id", request_id)
    return JSONResponse(
        body, status_code=reply.status, headers=reply.headers, media_type=reply.media_type
    )


def require_key(key: str | None, what: str) -> str:
    """The ``Idempotency-Key`` of a mutation that must have one (428 problem otherwise)."""
    if key is None:
        raise Problem(
            428,
            "IDEMPOTENCY.KEY_REQUIRED",
            "Idempotency-Key required",
            f"{what} needs an Idempotency-Key header",
            hint="send 'Idempotency-Key: <uuid4>' and reuse it only to retry the same request",
        )
    return key


def take_mutation_slot(runtime: Runtime, caller: Caller) -> None:
    """Apply the per-principal mutation rate limit (429 problem with Retry-After)."""
    wait = runtime.limiter.acquire(caller.principal_id)
    if wait is not None:
        raise Problem(
            429,
            "INTERLOCK.RATE_LIMITED",
            "Too many mutations",
            f"principal {caller.name!r} exceeded {runtime.settings.mutation_rate:g} mutations/s",
            hint="slow down, or use a batch for many sessions",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            retry_after=wait,
        )
