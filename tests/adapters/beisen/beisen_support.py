"""Helpers of the Beisen tests: recorded exchanges and a sleep that only records.

(A uniquely named module, not ``conftest``: test folders of other adapters have their own.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from interlock.models import Reason, ReasonCode

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = ZoneInfo("Asia/Shanghai")
AdapterFactory = Callable[..., Awaitable[Any]]
"""``make_adapter(**option_overrides, timezone=...)`` → a ``BeisenAdapter``."""
REASON = Reason(code=ReasonCode.OPERATOR_ERROR)


def recorded(name: str) -> httpx.Response:
    """The response of a recorded Beisen exchange (``fixtures/<name>.json``)."""
    exchange = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    answer = exchange["response"]
    headers = answer.get("headers", {})
    if "body" in answer:
        content = json.dumps(answer["body"], ensure_ascii=False).encode()
    else:
        content = answer["text"].encode()
    return httpx.Response(answer["status"], headers=headers, content=content)


def recorded_body(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["response"]["body"]


class RecordingSleep:
    """The retry policy's sleep: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)
