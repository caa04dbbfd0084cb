"""Fixtures for the DingTalk adapter tests: the double, an adapter wired to it through respx,
and a retry sleep that does not sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from dingtalk_support import REASON, AdapterFactory, RecordingSleep

from interlock.adapter import AccountContext
from interlock.doubles import DEFAULT_DOUBLE_TIMEZONE, DoubleSettings
from interlock.http import RetryBudget, RetryPolicy
from interlock.models import Reason
from interlock_dingtalk.adapter import DingTalkAdapter
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.options import DingTalkOptions


@pytest.fixture
def reason() -> Reason:
    return REASON


@pytest.fixture
def double() -> DingTalkDouble:
    # A generous vendor limit: throttling has its own tests.
    return DingTalkDouble(DoubleSettings(seed=11, sessions=24, qps=1000))


@pytest.fixture
def retry_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def router(double: DingTalkDouble) -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        double.mount(mock)
        yield mock


@pytest.fixture
async def make_adapter(
    double: DingTalkDouble, router: respx.MockRouter, retry_sleep: RecordingSleep
) -> AsyncIterator[AdapterFactory]:
    """Builds adapters against the double (through respx); options can be overridden."""
    made: list[DingTalkAdapter] = []

    def build(
        *,
        isv: bool = False,
        clock: Callable[[], datetime] | None = None,
        timezone: Any = DEFAULT_DOUBLE_TIMEZONE,
        **overrides: Any,
    ) -> DingTalkAdapter:
        base = double.isv_adapter_options if isv else double.adapter_options
        options = DingTalkOptions.model_validate(
            {**base(double.base_url), "vendor_qps": None, **overrides}
        )
        context = AccountContext(
            account="dingtalk-hq",
            options=options,
            # Through the respx router (requests recorded in router.calls), without building a
            # real transport (and its TLS context) per adapter.
            transport=httpx.MockTransport(router.async_handler),
            timezone=timezone,
            clock=clock or (lambda: datetime.now(UTC)),
            retry_policy=RetryPolicy(sleep=retry_sleep, budget=RetryBudget(min_retries=100)),
        )
        adapter = DingTalkAdapter(context)
        made.append(adapter)
        return adapter

    yield build
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
def adapter(make_adapter: AdapterFactory) -> DingTalkAdapter:
    return make_adapter()
