"""Fixtures for API tests: a running gateway on a fresh SQLite copy (``harness``).

API behaviour does not depend on the database, so these run on SQLite; the storage-bound
tests (idempotency under concurrency, the worker) use ``database_url`` and run on both.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .harness import FakeClock, Harness, gateway, gateway_settings


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the migrated SQLite template."""
    path = tmp_path / "interlock.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def harness(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """A gateway with the sandbox vendor and the six test principals."""
    async with gateway(gateway_settings(sqlite_url, str(tmp_path)), clock=clock) as running:
        yield running
