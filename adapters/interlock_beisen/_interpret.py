"""Reading Beisen's answers: every error layer, status line *and* body.

Gateway errors come in the status line (400/401/403/404/429/5xx), business errors inside
HTTP 200 (the RecruitV6 ``code``), token errors OAuth-style; the tables are in ``_errors``.
A payload that does not match its model is ``VENDOR.PROTOCOL_ERROR`` naming the field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from interlock import errors
from interlock_beisen._errors import (
    BUSINESS_CODES,
    GATEWAY_MESSAGES,
    IP_NOT_TRUSTED_MARKER,
    TOKEN_ERRORS,
)

__all__ = ["REQUEST_ID_HEADER", "interpret", "interpret_as", "interpret_token"]

REQUEST_ID_HEADER = "X-PAAS-Request-ID"


def interpret(response: httpx.Response) -> Any:
    """``data`` of a successful RecruitV6 envelope; the neutral error for anything else."""
    request_id = response.headers.get(REQUEST_ID_HEADER)
    if response.status_code != 200:
        raise _status_error(response, request_id)
    body = _json(response, request_id)
    if not isinstance(body, dict) or "code" not in body:
        raise errors.VendorProtocolError(
            "beisen: the response has no envelope 'code'",
            field="code",
            vendor_request_id=request_id,
        )
    code = _code(body["code"], request_id)
    if code == 200:
        return body.get("data")
    raise _business_error(code, body.get("message"), request_id)


def interpret_as(shape: Any) -> Callable[[httpx.Response], Any]:
    """An interpreter returning the envelope's ``data`` validated as ``shape`` (a model or a
    type such as ``list[Interview]``); a mismatch is a protocol error naming the field."""
    adapter = _type_adapter(shape)

    def run(response: httpx.Response) -> Any:
        return _validated(adapter, interpret(response), response, prefix="data")

    return run


def interpret_token(shape: Any) -> Callable[[httpx.Response], Any]:
    """An interpreter for the token endpoints: a bare JSON object on success, OAuth errors."""
    adapter = _type_adapter(shape)

    def run(response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise _status_error(response, response.headers.get(REQUEST_ID_HEADER))
        body = _json(response, response.headers.get(REQUEST_ID_HEADER))
        return _validated(adapter, body, response, prefix="")

    return run


@functools.cache
def _type_adapter(shape: Any) -> TypeAdapter[Any]:
    # Building a validator is costly next to using one: once per shape, not once per call.
    return TypeAdapter(shape)


def _validated(adapter: TypeAdapter[Any], value: Any, response: httpx.Response, prefix: str) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = [str(part) for part in first["loc"]]
        field = ".".join([prefix, *path] if prefix else path)
        # Only the location and pydantic's reason: the offending value may be personal data.
        raise errors.VendorProtocolError(
            f"beisen: malformed payload at {field or 'body'}: {first['msg']}",
            field=field or prefix or "body",
            vendor_request_id=response.headers.get(REQUEST_ID_HEADER),
        ) from None


def _json(response: httpx.Response, request_id: str | None) -> Any:
    try:
        return response.json()
    except ValueError:
        raise errors.VendorProtocolError(
            "beisen: the response body is not JSON", field="body", vendor_request_id=request_id
        ) from None


def _code(value: Any, request_id: str | None) -> int:
    # RecruitV6 sends an integer; other Beisen product lines send "200" (vendors.md §2.3).
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise errors.VendorProtocolError(
        "beisen: envelope 'code' is not a number", field="code", vendor_request_id=request_id
    )


def _business_error(code: int, message: Any, request_id: str | None) -> errors.InterlockError:
    text = f"beisen: {message or 'business error'} (code {code})"
    cls = BUSINESS_CODES.get(code)
    if cls is errors.InvalidTransition:
        return errors.InvalidTransition(
            text, from_state="unknown", verb="unknown", vendor_request_id=request_id
        )
    if cls is errors.SessionNotFound:
        return errors.SessionNotFound(text, vendor_request_id=request_id)
    if cls is not None and issubclass(cls, errors.VendorError):
        return cls(text, vendor_request_id=request_id, vendor_code=str(code))
    return errors.VendorProtocolError(
        f"beisen: unknown business code {code}: {message}",
        field="code",
        vendor_request_id=request_id,
        vendor_code=str(code),
    )


def _status_error(response: httpx.Response, request_id: str | None) -> errors.VendorError:
    """The gateway's (or a token endpoint's) refusal, read from the status *and* the body."""
    status = response.status_code
    text = response.text.strip()
    if status == 403 and IP_NOT_TRUSTED_MARKER in text:
        return errors.VendorPermissionDenied(
            f"beisen: {text[:300]}",
            vendor_request_id=request_id,
            vendor_code="403",
            hint="add this server's egress IP to the tenant's OpenAPI trusted-IP list",
        )
    body = _maybe_json(response)
    message = str(body.get("message") or "")
    if status == 429:
        return _throttled(response, message, request_id)
    code = str(status)  # the gateway says it in the status line only
    if status == 401:
        return errors.VendorTokenExpired(
            f"beisen: {message or 'un-authorized'}", vendor_request_id=request_id, vendor_code=code
        )
    cls = GATEWAY_MESSAGES.get(message)
    if cls is not None:
        return cls(f"beisen: {message}", vendor_request_id=request_id, vendor_code=code)
    if "error" in body:
        return _token_error(body, request_id)
    said = f": {message or text[:200]}" if message or text else ""
    if status >= 500:
        return errors.VendorUnavailable(
            f"beisen: HTTP {status}{said}", vendor_request_id=request_id, vendor_code=code
        )
    if status == 403:
        return errors.VendorPermissionDenied(
            f"beisen: HTTP 403{said}", vendor_request_id=request_id, vendor_code=code
        )
    if status == 404:
        return errors.VendorProtocolError(
            "beisen: no such endpoint (HTTP 404); check base_url",
            field="path",
            vendor_request_id=request_id,
            vendor_code=code,
        )
    return errors.VendorProtocolError(
        f"beisen: unexpected HTTP {status}{said}",
        field="status",
        vendor_request_id=request_id,
        vendor_code=code,
    )


def _throttled(
    response: httpx.Response, message: str, request_id: str | None
) -> errors.VendorError:
    if GATEWAY_MESSAGES.get(message) is errors.VendorQuotaExhausted:
        return errors.VendorQuotaExhausted(
            f"beisen: {message}",
            vendor_request_id=request_id,
            vendor_code="429",
            hint="the tenant's daily call total is used up; it resets at local midnight",
        )
    # Beisen sends Retry-After on some 429s only; without it the window is the second.
    retry_after = _retry_after(response.headers.get("retry-after"))
    return errors.VendorRateLimited(
        f"beisen: {message or 'HTTP 429'}",
        retry_after=1.0 if retry_after is None else retry_after,
        vendor_request_id=request_id,
        vendor_code="429",
    )


def _token_error(body: dict[str, Any], request_id: str | None) -> errors.VendorError:
    error = str(body.get("error"))
    description = body.get("error_description")
    text = f"beisen token endpoint: {error}" + (f" ({description})" if description else "")
    cls = TOKEN_ERRORS.get(error, errors.VendorAuthFailed)
    code = str(body.get("error_code") or error)
    if cls is errors.VendorProtocolError:
        return errors.VendorProtocolError(
            text, field="request", vendor_request_id=request_id, vendor_code=code
        )
    return cls(text, vendor_request_id=request_id, vendor_code=code)


def _maybe_json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return None if seconds is None or seconds < 0 else seconds
