"""A real gateway on loopback (uvicorn in a thread, the in-process sandbox vendor) with one
API key per role, for the client's tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from gateway.api.harness import gateway_settings, make_interlock
from gateway.test_schemathesis import _principals
from interlock_gateway.app import create_app
from interlock_gateway.server import uvicorn_config
from interlock_gateway.store import upgrade


@dataclass
class Served:
    """The gateway's URL and one API key per principal (spec, mgr, admin, auditor)."""

    url: str
    keys: dict[str, str]


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port; its base URL until the generator ends."""
    server = uvicorn.Server(uvicorn_config(app, host="127.0.0.1", port=0))
    thread = threading.Thread(target=server.run, name="served", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start in time"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("client")
    url = f"sqlite+aiosqlite:///{folder / 'interlock.db'}"
    asyncio.run(upgrade(url))
    interlock = make_interlock()
    keys = asyncio.run(_principals(url, interlock))
    settings = gateway_settings(url, str(folder), sync_wait=timedelta(seconds=2))
    with serve_in_thread(create_app(settings, interlock=interlock)) as base:
        yield Served(base, keys)
