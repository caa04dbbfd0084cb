"""Fixtures of the Beisen tests: the double, respx in front of it, adapters against it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import respx
from beisen_support import SHANGHAI, AdapterFactory, RecordingSleep

from interlock.adapter import AccountContext
from interlock.doubles import DoubleSettings
from interlock.http import RetryBudget, RetryPolicy
from interlock_beisen.adapter import BeisenAdapter
from interlock_beisen.double import BeisenDouble, BeisenDoubleConfig
from interlock_beisen.options import BeisenOptions


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def double() -> BeisenDouble:
    # Jobs finish on their second poll; the time-based finish is far away, so tests decide.
    return BeisenDouble(
        DoubleSettings(seed=11, sessions=16), config=BeisenDoubleConfig(job_run_time_s=30.0)
    )


@pytest.fixture
def router(double: BeisenDouble) -> Iterator[respx.Router]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        double.mount(mock)
        yield mock


@pytest.fixture
async def make_adapter(
    double: BeisenDouble, router: respx.Router, sleep: RecordingSleep
) -> AsyncIterator[AdapterFactory]:
    """Build adapters against the double (option overrides as keywords), closed afterwards."""
    built: list[BeisenAdapter] = []

    async def make(*, timezone: Any = SHANGHAI, **overrides: Any) -> BeisenAdapter:
        options = {**double.adapter_options(double.base_url), **overrides}
        context = AccountContext(
            account="beisen-test",
            options=BeisenOptions.model_validate(options),
            timezone=timezone,
            retry_policy=RetryPolicy(sleep=sleep, budget=RetryBudget(min_retries=1000)),
        )
        adapter = BeisenAdapter(context)
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        await adapter.aclose()


@pytest.fixture
async def adapter(make_adapter: AdapterFactory) -> BeisenAdapter:
    return await make_adapter()
