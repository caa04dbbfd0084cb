"""Fixtures for the search tests: a gateway on a fresh SQLite copy (the API harness of
tests/gateway/api), with and without a configured ``time_zone``."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.api.harness import Harness, gateway, gateway_settings
from interlock_gateway.store import upgrade


@pytest.fixture(scope="session")
def search_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("search-template") / "interlock.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_url(search_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "interlock.db"
    shutil.copyfile(search_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def harness(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A gateway with the sandbox vendor, no time_zone setting (UTC)."""
    async with gateway(gateway_settings(sqlite_url, str(tmp_path))) as running:
        yield running


@pytest.fixture
async def shanghai_harness(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A gateway whose time_zone setting is Asia/Shanghai."""
    settings = gateway_settings(sqlite_url, str(tmp_path), time_zone="Asia/Shanghai")
    async with gateway(settings) as running:
        yield running
