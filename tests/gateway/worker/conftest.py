"""Fixtures for storage-bound gateway tests: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ..api.harness import FakeClock, Harness, gateway, gateway_settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def harness(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """A gateway on this test's fresh database (``sqlite`` and ``postgresql`` params)."""
    async with gateway(gateway_settings(database_url, str(tmp_path)), clock=clock) as running:
        yield running
