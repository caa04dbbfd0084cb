"""Fixtures for the Yonyou adapter tests: the double behind respx, an adapter, a fake sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from yonyou_helpers import SHANGHAI, AdapterFactory, RecordingSleep

from interlock.adapter import AccountContext
from interlock.doubles import DoubleSettings
from interlock.http import RetryBudget, RetryPolicy
from interlock.models import utc_now
from interlock_yonyou.adapter import YonyouAdapter
from interlock_yonyou.double import YonyouDouble
from interlock_yonyou.options import YonyouOptions


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture(scope="session")
def network() -> httpx.AsyncHTTPTransport:
    """The real network transport, built once (a TLS context costs ~60 ms); respx patches
    its connection pool, so nothing leaves the process."""
    return httpx.AsyncHTTPTransport()


@pytest.fixture
def router() -> Iterator[respx.Router]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mocked:
        yield mocked


@pytest.fixture
def double(router: respx.Router) -> YonyouDouble:
    served = YonyouDouble(DoubleSettings(seed=11, sessions=16))
    served.mount(router)
    return served


@pytest.fixture
async def make_adapter(
    double: YonyouDouble, sleep: RecordingSleep, network: httpx.AsyncHTTPTransport
) -> AsyncIterator[AdapterFactory]:
    """Builds adapters for the respx-mounted double (network transport, so respx sees it)."""
    built: list[YonyouAdapter] = []

    def factory(
        *,
        clock: Callable[[], datetime] = utc_now,
        timezone: ZoneInfo = SHANGHAI,
        **overrides: Any,
    ) -> YonyouAdapter:
        options = YonyouOptions.model_validate(double.adapter_options(double.base_url) | overrides)
        context = AccountContext(
            account="yonyou-test",
            options=options,
            timezone=timezone,
            transport=network,
            clock=clock,
            retry_policy=RetryPolicy(sleep=sleep, budget=RetryBudget(min_retries=1000)),
        )
        adapter = YonyouAdapter(context)
        built.append(adapter)
        return adapter

    yield factory
    for adapter in built:
        await adapter.aclose()


@pytest.fixture
def adapter(make_adapter: AdapterFactory) -> YonyouAdapter:
    return make_adapter()
