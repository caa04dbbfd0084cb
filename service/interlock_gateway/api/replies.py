"""Replies: what a mutating route answers (stored under its Idempotency-Key when final), and
the checks every mutation shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from ..operations.accept import Accepted
from ..policy import Caller
from ..problems import Problem, problem_body, status_for_code
from .problems import PROBLEM_JSON, with_request
from .ratelimit import MutationRateLimiter
from .schemas import dump
from .views import operation_view

__all__ = [
    "Reply",
    "operation_reply",
    "problem_reply",
    "require_key",
    "take_mutation_slot",
    "to_response",
]


@dataclass(frozen=True)
class Reply:
    """A response to send (and, for final answers, to store under the key)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"

    @property
    def storable(self) -> bool:
        """Final answers are stored; transient ones (5xx, 429) release the key."""
        return self.status < 500 and self.status != 429


def problem_reply(problem: Problem) -> Reply:
    """A problem as a reply (without request details: a stored replay must not depend on
    the request; :func:`to_response` adds this request's)."""
    return Reply(problem.status, problem_body(problem), problem.headers, PROBLEM_JSON)


def operation_reply(accepted: Accepted) -> Reply:
    """200 when settled, 202 while queued or awaiting approval, the problem when refused."""
    op = accepted.op
    view = dump(operation_view(op, accepted.approval))
    location = {"Location": f"/v1/operations/{op.id}"}
    if accepted.refused:
        assert op.error_code is not None
        status, title = status_for_code(op.error_code)
        problem = Problem(
            status,
            op.error_code,
            title,
            op.error_message or "the operation did not succeed",
            hint="see the operation for details; nothing more will be sent for it",
            vendor_request_id=op.vendor_request_id,
            operation=view,
        )
        return Reply(problem.status, problem_body(problem), location, PROBLEM_JSON)
    return Reply(202 if accepted.waiting else 200, view, location)


def to_response(reply: Reply, request: Request) -> JSONResponse:
    """The reply as JSON (or problem+json, with this request's path and id) with its headers."""
    body = with_request(reply.body, request) if reply.media_type == PROBLEM_JSON else reply.body
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


def take_mutation_slot(limiter: MutationRateLimiter, caller: Caller) -> None:
    """Apply the per-principal mutation rate limit (429 problem with Retry-After)."""
    wait = limiter.acquire(caller.principal_id)
    if wait is not None:
        raise Problem(
            429,
            "INTERLOCK.RATE_LIMITED",
            "Too many mutations",
            f"principal {caller.name!r} exceeded {limiter.rate:g} mutations/s",
            hint="slow down, or use a batch for many sessions",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            retry_after=wait,
        )
