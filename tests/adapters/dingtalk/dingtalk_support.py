"""Helpers shared by the DingTalk tests (a uniquely named module: no clash with other
test folders' helpers under pytest's default import mode)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from interlock.models import Reason, ReasonCode

if TYPE_CHECKING:
    from interlock_dingtalk.adapter import DingTalkAdapter

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> dict[str, Any]:
    """A recorded DingTalk exchange: ``{"status", "headers", "body"}`` (+ notes)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def response_of(name: str) -> httpx.Response:
    """The recorded response as an ``httpx.Response`` (a string body is sent as text)."""
    data = load_fixture(name)
    headers = {"content-type": "application/json", **data.get("headers", {})}
    body = data.get("body")
    if body is None:
        return httpx.Response(data["status"], headers=headers)
    if isinstance(body, str):
        return httpx.Response(data["status"], headers=headers, text=body)
    return httpx.Response(data["status"], headers=headers, json=body)


class RecordingSleep:
    """Stands in for ``asyncio.sleep`` in retry policies: records the waits, does not wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


class FakeClock:
    """A wall clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


REASON = Reason(code=ReasonCode.OPERATOR_ERROR)


def intercept(router: Any, method: str, path_regex: str, response: httpx.Response) -> None:
    """Answer matching requests with ``response`` *before* the double's catch-all route
    (respx matches routes in the order they were added)."""
    earlier = list(router.routes)
    router.routes.clear()
    router.route(method=method, path__regex=path_regex).mock(return_value=response)
    for route in earlier:
        router.routes.add(route)


AdapterFactory = Callable[..., "DingTalkAdapter"]
"""The ``make_adapter`` fixture's type: builds adapters against the double."""
