"""Event streams are bounded: per principal and per process (429 beyond), they beat and
close when idle, and streams of one batch share one poller (real HTTP, SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.api.harness import ACCOUNT, FakeClock, Harness, gateway, gateway_settings
from interlock.models import SessionState
from interlock_gateway.operations import streams as streams_module
from interlock_gateway.server import serving


@contextlib.asynccontextmanager
async def served(
    sqlite_url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Harness, str]]:
    values = {"worker_enabled": False, "sync_wait": timedelta(0), **settings}
    async with (
        gateway(
            gateway_settings(sqlite_url, str(tmp_path), **values), clock=FakeClock()
        ) as harness,
        serving(harness.app, lifespan=False) as url,
    ):
        yield harness, url


async def _batch(harness: Harness) -> str:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    body = {
        "action": "pause",
        "sessions": [f"accounts/{ACCOUNT}/sessions/{sid}"],
        "reason": {"code": "system_fault"},
    }
    created = await harness.post("/v1/batches", "admin", body, str(uuid.uuid4()))
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


class Streams:
    """Open streams on a real server; each is read until its first event."""

    def __init__(self, url: str, harness: Harness, batch_id: str) -> None:
        self.client = httpx.AsyncClient(base_url=url, timeout=10)
        self.harness, self.batch_id = harness, batch_id
        # The line iterators are kept too: one dropped and collected closes its stream.
        self._open: list[tuple[Any, Any]] = []

    async def open(self, who: str, console: httpx.AsyncClient | None = None) -> httpx.Response:
        """An API stream with ``who``'s key, or the console's stream in the signed-in
        ``console`` browser."""
        if console is None:
            manager = self.client.stream(
                "GET", f"/v1/batches/{self.batch_id}/events", headers=self.harness.headers(who)
            )
        else:
            manager = console.stream("GET", f"/console/batches/{self.batch_id}/events")
        response = await manager.__aenter__()
        if response.status_code == 200:
            lines = response.aiter_lines()
            while not (await anext(lines)).startswith("event: progress"):
                pass
            self._open.append((manager, lines))
        else:
            await response.aread()
            await manager.__aexit__(None, None, None)
        return response

    async def close_one(self) -> None:
        manager, lines = self._open.pop()
        await lines.aclose()
        await manager.__aexit__(None, None, None)

    async def aclose(self) -> None:
        while self._open:
            await self.close_one()
        await self.client.aclose()


@pytest.fixture
async def five(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, Streams]]:
    async with served(sqlite_url, tmp_path, max_streams_per_principal=5) as (harness, url):
        streams = Streams(url, harness, await _batch(harness))
        try:
            yield harness, streams
        finally:
            await streams.aclose()


async def test_a_principal_may_hold_five_streams(five: tuple[Harness, Streams]) -> None:
    harness, streams = five
    for _ in range(5):
        assert (await streams.open("admin")).status_code == 200
    assert harness.app.state.streams.open_streams == 5
    refused = await streams.open("admin")
    assert refused.status_code == 429
    assert refused.json()["code"] == "INTERLOCK.TOO_MANY_STREAMS"
    assert int(refused.headers["retry-after"]) >= 1
    assert (await streams.open("mgr")).status_code == 200  # someone else still can
    await streams.close_one()
    await streams.close_one()
    await asyncio.sleep(0.2)  # the server notices the disconnects
    assert (await streams.open("admin")).status_code == 200


async def _console_signed_in(url: str, harness: Harness, who: str) -> httpx.AsyncClient:
    """A browser-like client signed in to the console with ``who``'s key."""
    client = httpx.AsyncClient(base_url=url, timeout=10)
    page = await client.get("/console/signin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    key = harness.headers(who)["Authorization"].removeprefix("Bearer ")
    signed = await client.post("/console/signin", data={"csrf_token": csrf.group(1), "key": key})
    assert signed.status_code == 303, signed.text
    return client


async def test_console_streams_count_against_the_same_limits(
    five: tuple[Harness, Streams],
) -> None:
    harness, streams = five
    console = await _console_signed_in(str(streams.client.base_url), harness, "admin")
    try:
        for _ in range(4):
            assert (await streams.open("admin")).status_code == 200
        assert (await streams.open("admin", console)).status_code == 200  # the fifth
        assert harness.app.state.streams.open_streams == 5
        refused_api = await streams.open("admin")
        assert refused_api.status_code == 429  # the console's stream took the last place
        refused_page = await streams.open("admin", console)
        assert refused_page.status_code == 429
        assert "text/html" in refused_page.headers["content-type"]  # a page in the console
        await streams.close_one()  # the console's stream, opened last
        await asyncio.sleep(0.2)
        assert harness.app.state.streams.open_streams == 4  # given back when it closed
    finally:
        await streams.aclose()
        await console.aclose()


async def test_the_process_serves_at_most_max_streams(sqlite_url: str, tmp_path: Path) -> None:
    async with served(sqlite_url, tmp_path, max_streams=2) as (harness, url):
        streams = Streams(url, harness, await _batch(harness))
        try:
            for who in ("admin", "mgr"):
                assert (await streams.open(who)).status_code == 200
            refused = await streams.open("spec")  # within its own limit, not the process's
            assert refused.status_code == 429
        finally:
            await streams.aclose()


async def test_a_quiet_stream_beats_then_closes(sqlite_url: str, tmp_path: Path) -> None:
    settings = {
        "stream_heartbeat": timedelta(seconds=0.2),
        "stream_idle_timeout": timedelta(seconds=0.7),
    }
    async with served(sqlite_url, tmp_path, **settings) as (harness, url):
        batch_id = await _batch(harness)
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            response = await client.get(
                f"/v1/batches/{batch_id}/events", headers=harness.headers("admin")
            )
    lines = response.text.splitlines()
    assert lines[0] == "event: progress"
    assert lines.count(": keep-alive") >= 2
    assert "event: idle" in lines
    assert lines.index("event: idle") > max(
        i for i, line in enumerate(lines) if line == ": keep-alive"
    )


async def test_streams_of_one_batch_share_one_poller(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = 0
    real = streams_module.progress

    async def counting(*args: Any) -> Any:
        nonlocal reads
        reads += 1
        return await real(*args)

    monkeypatch.setattr(streams_module, "progress", counting)
    async with served(sqlite_url, tmp_path, max_streams_per_principal=50) as (harness, url):
        streams = Streams(url, harness, await _batch(harness))
        try:
            for _ in range(20):
                assert (await streams.open("admin")).status_code == 200
            before = reads
            await asyncio.sleep(1.0)
            polled = reads - before
        finally:
            await streams.aclose()
    interval = harness.runtime.context.batches.events_interval
    assert polled <= 1.0 / interval + 2  # one reader for all twenty, not twenty
