"""A real gateway on loopback (uvicorn in a thread, the in-process sandbox vendor) with one
API key per role, for the client's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.api.harness import gateway_settings, make_interlock
from gateway.live import serving
from gateway.test_schemathesis import _principals
from interlock_gateway.app import create_app
from interlock_gateway.store import upgrade


@dataclass
class Served:
    """The gateway's URL and one API key per principal (spec, mgr, admin, auditor)."""

    url: str
    keys: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("client")
    url = f"sqlite+aiosqlite:///{folder / 'interlock.db'}"
    asyncio.run(upgrade(url))
    interlock = make_interlock()
    keys = asyncio.run(_principals(url, interlock))
    settings = gateway_settings(url, str(folder), sync_wait=timedelta(seconds=2))
    with serving(create_app(settings, interlock=interlock)) as base:
        yield Served(base, keys)
