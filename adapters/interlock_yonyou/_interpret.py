"""Reading Yonyou's answers: envelopes, the four code spaces, duplicate submissions.

YonBIP reports nearly everything inside HTTP 200 bodies (``code`` "200" for business success,
"00000" for the data centre and the token service); the tables are in ``_errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from interlock import errors
from interlock_yonyou._errors import (
    AUTH_CODES,
    DISPLAY_CODES,
    DUPLICATE_CODES,
    GATEWAY_CODES,
    CodeRule,
)

__all__ = [
    "DuplicateSubmission",
    "error_from",
    "interpret_auth",
    "interpret_business",
    "parsed",
    "rule_for",
]

BUSINESS_SUCCESS = "200"
AUTH_SUCCESS = "00000"
PLAIN_TEXT_INVALID_TOKEN = "非法token"  # noqa: S105 - the vendor's error text, not a token


def _body(response: httpx.Response) -> dict[str, Any]:
    """The JSON envelope, or the neutral error for a body that is not one."""
    try:
        body = response.json()
    except ValueError:
        if response.text.strip() == PLAIN_TEXT_INVALID_TOKEN:
            # Some YonBIP APIs answer a bad token with this plain text instead of JSON 310036.
            raise errors.VendorTokenExpired("yonyou 310036: 非法token (text/plain)") from None
        if response.status_code >= 500:
            raise errors.VendorUnavailable(
                f"yonyou answered HTTP {response.status_code} without a JSON body"
            ) from None
        raise errors.VendorProtocolError(
            "yonyou answered a body that is not JSON", field="body"
        ) from None
    if not isinstance(body, dict) or "code" not in body:
        if response.status_code >= 500:
            raise errors.VendorUnavailable(f"yonyou answered HTTP {response.status_code}")
        raise errors.VendorProtocolError("yonyou envelope has no 'code'", field="code")
    return body


@dataclass(frozen=True)
class DuplicateSubmission:
    """A write the gateway had already done under this key (MDD ``100004``/``10004``, after its
    one-hour replay window): it names only the id, which the caller already knows."""


def interpret_business(response: httpx.Response) -> Any:
    """``data`` of a gateway success (``code`` "200", or numeric 200); neutral errors otherwise.

    A batch's partial failure is a success here (``code`` 200 with ``data.failCount`` > 0): the
    adapter turns its ``messages`` into per-item results.
    """
    body = _body(response)
    code = str(body["code"])
    if code == BUSINESS_SUCCESS:
        return body.get("data")
    if code in DUPLICATE_CODES:
        return DuplicateSubmission()
    raise error_from(code, body, status_code=response.status_code)


def interpret_auth(response: httpx.Response) -> Any:
    """``data`` of a data-centre or token success (``code`` "00000")."""
    body = _body(response)
    code = str(body["code"])
    if code == AUTH_SUCCESS:
        return body.get("data")
    rule = AUTH_CODES.get(code)
    if rule is None and code != "310036":  # an auth endpoint cannot ask for a refresh
        rule = GATEWAY_CODES.get(code)
    raise error_from(code, body, status_code=response.status_code, rule=rule)


def rule_for(code: str, display_code: str | None) -> CodeRule | None:
    """The rule of a gateway code; a ``999`` is refined by the tenant API's ``displayCode``."""
    if code == "999" and display_code in DISPLAY_CODES:
        return DISPLAY_CODES[display_code]
    return GATEWAY_CODES.get(code)


def error_from(
    code: str,
    body: Mapping[str, Any],
    *,
    status_code: int = 200,
    rule: CodeRule | None = None,
) -> errors.InterlockError:
    """The neutral error for one vendor code (unknown codes: unavailable on 5xx, else protocol).

    :param rule: the rule to apply; looked up in the gateway tables when not given.
    """
    display = body.get("displayCode")
    display_code = str(display) if display else None
    rule = rule or rule_for(code, display_code)
    label = f"{code}/{display_code}" if display_code else code
    message = f"yonyou {label}: {str(body.get('message') or 'no message')[:200]}"
    if rule is None:
        if status_code >= 500:
            return errors.VendorUnavailable(message, vendor_code=label)
        return errors.VendorProtocolError(
            f"{message} (a code this adapter does not know)", field="code", vendor_code=label
        )
    common: dict[str, Any] = {"vendor_code": label, "hint": rule.hint}
    cls = rule.error
    if cls is errors.VendorRateLimited:
        return errors.VendorRateLimited(message, retry_after=rule.retry_after, **common)
    if cls is errors.VendorTimeout:
        return errors.VendorTimeout(message, ambiguous=rule.ambiguous, **common)
    if cls is errors.InvalidTransition:
        return errors.InvalidTransition(message, from_state="unknown", verb="unknown")
    if issubclass(cls, errors.VendorError):
        return cls(message, **common)
    return cls(message, hint=rule.hint)


_Model = TypeVar("_Model", bound=BaseModel)


def parsed(model: type[_Model]) -> Callable[[httpx.Response], _Model]:
    """An auth interpreter that also validates ``data`` (so a bad payload names its field)."""

    def interpret(response: httpx.Response) -> _Model:
        return model.model_validate(interpret_auth(response))

    return interpret
