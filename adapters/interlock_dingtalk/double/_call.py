"""One routed request as a handler sees it, plus DingTalk's parameter rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from interlock_dingtalk.double._auth import Caller
from interlock_dingtalk.double._catalogue import DingTalkError
from interlock_dingtalk.double._render import body_of
from interlock_dingtalk.double._tenant import Tenant

__all__ = ["Call", "int_param", "millis_field", "offset_of", "string_field", "string_list"]


@dataclass
class Call:
    """A request that passed routing, auth, permission, throttle and quota checks."""

    tenant: Tenant
    request: httpx.Request
    args: dict[str, str]
    caller: Caller | None
    request_id: str
    _body: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def params(self) -> httpx.QueryParams:
        return self.request.url.params

    @property
    def body(self) -> dict[str, Any]:
        if self._body is None:
            self._body = body_of(self.request)
        return self._body


def int_param(call: Call, name: str, *, default: int, low: int, high: int) -> int:
    raw = call.params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise DingTalkError("invalidParam", f"{name} must be an integer in [{low}, {high}]")
    return int(raw)


def offset_of(call: Call) -> int:
    """``nextToken`` is opaque to clients; this double encodes an offset in it."""
    raw = call.params.get("nextToken") or "0"
    if not raw.isdigit():
        raise DingTalkError("invalidParam", "nextToken is invalid")
    return int(raw)


def string_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise DingTalkError("invalidParam", f"{name} is mandatory")
        return None
    if not isinstance(value, str) or not value:
        raise DingTalkError("invalidParam", f"{name} must be a non-empty string")
    return value


def millis_field(body: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise DingTalkError("invalidParam", f"{name} is mandatory")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DingTalkError("invalidParam", f"{name} must be epoch milliseconds")
    return value


def string_list(body: dict[str, Any], name: str, *, max_items: int) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DingTalkError("invalidParam", f"{name} must be a list of strings")
    if len(value) > max_items:
        raise DingTalkError("invalidParam", f"{name} holds at most {max_items} items")
    return value
