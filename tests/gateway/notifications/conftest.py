"""Fixtures for the candidate side: a real SMTP server process, a gateway routing to it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.loopback import free_port
from harness.smtp_sink import SmtpSink
from interlock_gateway.settings import NotificationSettings

from ..api.harness import FakeClock, Harness, gateway, gateway_settings

MAIL = "mail"
ADMIN_ADDRESS = "admin.hr@example.com"


def mail_settings(port: int, **overrides: Any) -> NotificationSettings:
    """E-mail to the requester for every operation that ends; candidate texts to a fixed box."""
    values: dict[str, Any] = {
        "channels": {
            MAIL: {"type": "email", "host": "127.0.0.1", "port": port, "sender": "il@example.com"}
        },
        "routes": [
            {
                "events": [
                    "operation.finished",
                    "candidate.needs_time",
                    "candidate.paused",
                    "approval.decided",
                ],
                "channel": MAIL,
                "to": ["requester"],
            },
            {"events": ["approval.requested"], "channel": MAIL, "to": ["approvers@example.com"]},
            {
                "events": ["session.paused"],
                "channel": MAIL,
                "to": ["candidate-box@example.com"],
                "audience": "candidate",
                "language": "en",
            },
        ],
        "contacts": {"admin": {MAIL: ADMIN_ADDRESS}, "spec": {MAIL: "spec@example.com"}},
        "retry_base": 1,
        "poll_interval": 0.05,
        **overrides,
    }
    return NotificationSettings(**values)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def sink(smtp_port: int, tmp_path: Path) -> Iterator[SmtpSink]:
    """A real aiosmtpd process, not started (tests start it when the channel should be up)."""
    server = SmtpSink(smtp_port, tmp_path / "mail")
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def notified(
    database_url: str, tmp_path: Path, clock: FakeClock, smtp_port: int
) -> AsyncIterator[Harness]:
    """A gateway on this test's database (SQLite and PostgreSQL) routing e-mail to the sink."""
    settings = gateway_settings(database_url, str(tmp_path))
    async with gateway(settings, clock=clock, notifications=mail_settings(smtp_port)) as running:
        yield running


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], within: float = 15.0
) -> None:
    """Wait until ``check`` holds (the notifier runs in the background)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def harness_without_routes(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Harness]:
    async with gateway(gateway_settings(database_url, str(tmp_path)), clock=clock) as running:
        yield running


@pytest.fixture
async def harness(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    async with gateway(gateway_settings(database_url, str(tmp_path)), clock=clock) as running:
        yield running
