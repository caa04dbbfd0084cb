"""Fixtures for batch tests: a gateway on SQLite and on PostgreSQL with the sandbox vendor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from ..api.harness import FakeClock, Harness, gateway, gateway_settings
from .test_loopback import Stack


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def harness(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """A gateway on this test's fresh database (``sqlite`` and ``postgresql`` params)."""
    settings = gateway_settings(
        database_url, str(tmp_path), worker_retry_base=timedelta(milliseconds=10)
    )
    async with gateway(settings, clock=clock) as running:
        yield running


@pytest.fixture
async def stack_factory() -> AsyncIterator[list[Stack]]:
    """Loopback stacks a test starts, torn down after it."""
    stacks: list[Stack] = []
    yield stacks
    for stack in stacks:
        stack.close()
