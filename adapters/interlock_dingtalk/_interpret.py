"""Reading DingTalk's answers: the status line *and* the body, into payloads or neutral errors.

DingTalk's new API reports errors as a non-2xx status with ``{"code","message","requestid"}``;
an old-style ``{"errcode": ≠0}`` or an error envelope can also arrive inside an HTTP 200. The
tables are in ``_errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from interlock import errors
from interlock_dingtalk._errors import translate, translate_legacy

__all__ = ["REQUEST_ID_HEADER", "expect", "interpret"]

REQUEST_ID_HEADER = "x-acs-request-id"

M = TypeVar("M", bound=BaseModel)


def interpret(response: httpx.Response) -> Any:
    """Return the bare result object of a 2xx; raise the neutral error otherwise.

    The body decides, not only the status line: an old-style ``{"errcode": ≠0}`` or an error
    envelope inside an HTTP 200 is an error too.
    """
    request_id = response.headers.get(REQUEST_ID_HEADER)
    status = response.status_code
    success = 200 <= status < 300
    if success and not response.content.strip():
        return {}  # e.g. PUT signInInfos answers 200 with an empty body
    try:
        body = response.json()
    except ValueError:
        if status >= 500:
            raise errors.VendorUnavailable(
                f"dingtalk answered HTTP {status}", vendor_request_id=request_id
            ) from None
        raise errors.VendorProtocolError(
            f"dingtalk answered HTTP {status} with a body that is not JSON",
            field="body",
            vendor_request_id=request_id,
        ) from None
    if not success:
        if not isinstance(body, dict):
            raise errors.VendorProtocolError(
                f"dingtalk answered HTTP {status} without an error object",
                field="body",
                vendor_request_id=request_id,
            )
        raise translate(status, body, request_id)
    if isinstance(body, dict):
        if body.get("errcode"):  # absent, or 0 for success: anything else is an error
            raise translate_legacy(body, request_id)
        if _is_error_envelope(body):
            raise translate(status, body, request_id)
    return body


def _is_error_envelope(body: dict[str, Any]) -> bool:
    return isinstance(body.get("code"), str) and "requestid" in body and "message" in body


def expect(model: type[M]) -> Callable[[httpx.Response], M]:
    """An interpreter that also validates the result into ``model`` (so a malformed payload
    becomes ``VENDOR.PROTOCOL_ERROR`` naming the field, inside the toolkit)."""

    def read(response: httpx.Response) -> M:
        return model.model_validate(interpret(response))

    return read
