"""Reading the sandbox vendor's answers: the envelope, its error codes, payload validation.

The body decides, not the status line: the vendor sometimes reports errors in an HTTP 200.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from interlock import errors
from interlock_sandbox._errors import ERROR_TABLE

__all__ = ["REQUEST_ID_HEADER", "expecting", "interpret"]

Model = TypeVar("Model", bound=BaseModel)

REQUEST_ID_HEADER = "x-sandbox-request-id"


def interpret(response: httpx.Response) -> Any:
    """Return ``data`` of a successful envelope; raise the neutral error otherwise.

    The body decides, not the status line: the vendor sometimes reports errors in a 200.
    """
    request_id = response.headers.get(REQUEST_ID_HEADER)
    try:
        body = response.json()
    except ValueError:
        if response.status_code >= 500:
            raise errors.VendorUnavailable(
                f"vendor answered HTTP {response.status_code}", vendor_request_id=request_id
            ) from None
        raise errors.VendorProtocolError(
            "vendor answered a body that is not JSON", field="body", vendor_request_id=request_id
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
        raise errors.VendorProtocolError(
            "vendor envelope has no boolean 'ok'", field="ok", vendor_request_id=request_id
        )
    if body["ok"]:
        return body.get("data")
    raise _error_from(body.get("error") or {}, response, request_id)


def expecting(model: type[Model]) -> Callable[[httpx.Response], Model]:
    """An interpreter that also validates ``data`` as ``model``.

    Validation happens inside the toolkit's interpret step, so a malformed payload becomes
    ``VENDOR.PROTOCOL_ERROR`` naming the field, never a raw pydantic error.
    """

    def interpret_as(response: httpx.Response) -> Model:
        return model.model_validate(interpret(response))

    return interpret_as


def _error_from(
    error: dict[str, Any], response: httpx.Response, request_id: str | None
) -> errors.InterlockError:
    code = str(error.get("code", ""))
    message = f"sandbox: {error.get('message') or code or 'unspecified error'}"
    cls = ERROR_TABLE.get(code)
    if cls is None:
        cls = (
            errors.VendorUnavailable if response.status_code >= 500 else errors.VendorProtocolError
        )
    if cls is errors.VendorRateLimited:
        after = response.headers.get("retry-after")
        return errors.VendorRateLimited(
            message,
            retry_after=float(after) if after else None,
            vendor_request_id=request_id,
            vendor_code=code,
        )
    if cls is errors.VendorTimeout:
        return errors.VendorTimeout(
            message, ambiguous=True, vendor_request_id=request_id, vendor_code=code
        )
    if cls is errors.InvalidTransition:
        return errors.InvalidTransition(message, from_state="unknown", verb="unknown")
    if issubclass(cls, errors.VendorError):
        return cls(message, vendor_request_id=request_id, vendor_code=code)
    return cls(message, vendor_request_id=request_id)
