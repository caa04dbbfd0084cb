"""The gateway's problem+json answers as typed exceptions."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "ApprovalRequired",
    "Conflict",
    "GatewayError",
    "GatewayUnavailable",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "Unauthenticated",
    "ValidationFailed",
    "error_from_response",
]


class GatewayError(Exception):
    """A problem the gateway answered (RFC 9457): its machine ``code`` and what to do."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        hint: str | None = None,
        request_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.hint = hint
        self.request_id = request_id
        self.body = body or {}
        super().__init__(f"{status} {code}: {detail or title}")


class Unauthenticated(GatewayError):
    """401: no API key, or one the gateway does not know."""


class PermissionDenied(GatewayError):
    """403: the key's role or grants do not allow this."""


class NotFound(GatewayError):
    """404: no such resource, or one the caller may not see."""


class Conflict(GatewayError):
    """409: the resource's state does not allow this (e.g. an invalid transition)."""


class ValidationFailed(GatewayError):
    """422 (or 400): the request was refused; ``errors`` names each field and rule."""

    @property
    def errors(self) -> list[dict[str, str]]:
        return list(self.body.get("errors") or [])


class ApprovalRequired(GatewayError):
    """428: a precondition is missing (an Idempotency-Key, or a confirm token)."""


class RateLimited(GatewayError):
    """429: too many requests; ``retry_after`` seconds until the next may pass."""

    def __init__(self, *, retry_after: float | None = None, **fields: Any) -> None:
        super().__init__(**fields)
        self.retry_after = retry_after


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached, or answered something that is not a problem."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(status=status, code="GATEWAY.UNAVAILABLE", title=message)

    def __str__(self) -> str:
        return self.title


_BY_STATUS: dict[int, type[GatewayError]] = {
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    400: ValidationFailed,
    422: ValidationFailed,
    428: ApprovalRequired,
}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta form only; the gateway sends no dates)."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> GatewayError:
    """The exception for an error ``response``: typed by status when it is problem+json."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "code" not in body:
        return GatewayUnavailable(
            f"{response.request.method} {response.request.url.path}: HTTP "
            f"{response.status_code} without a problem body",
            status=response.status_code,
        )
    fields: dict[str, Any] = {
        "status": response.status_code,
        "code": str(body["code"]),
        "title": str(body.get("title") or ""),
        "detail": body.get("detail"),
        "hint": body.get("hint"),
        "request_id": body.get("request_id") or response.headers.get("x-request-id"),
        "body": body,
    }
    if response.status_code == 429:
        return RateLimited(retry_after=retry_after_seconds(response), **fields)
    if response.status_code == 503:
        return GatewayError(**fields)
    return _BY_STATUS.get(response.status_code, GatewayError)(**fields)
