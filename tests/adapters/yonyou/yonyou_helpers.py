"""Helpers shared by the Yonyou tests (a module with a unique name: no conftest clashes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from interlock.models import Reason, ReasonCode
from interlock_yonyou.adapter import YonyouAdapter

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = ZoneInfo("Asia/Shanghai")
REASON = Reason(code=ReasonCode.OPERATOR_ERROR)

AdapterFactory = Callable[..., YonyouAdapter]
"""``make_adapter(**option_overrides, clock=, timezone=)`` (the fixture in conftest)."""


def load(name: str) -> Any:
    """A recorded vendor payload from ``fixtures/``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class RecordingSleep:
    """An ``asyncio.sleep`` stand-in for the retry policy: records waits, sleeps not at all."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)
