"""Stopping the app while its worker polls the database leaves nothing behind.

Cancelling an aiosqlite call mid-statement used to leave the connection's thread answering an
event loop that had already closed ("Event loop is closed" raised in the thread). Each round
here runs in its own event loop, which closes right after the lifespan ends, so a stray answer
would show up as a thread exception.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
import warnings
from datetime import timedelta
from pathlib import Path

import pytest

from interlock_gateway.app import create_app

from .harness import FakeClock, gateway_settings, make_interlock

ROUNDS = 30


async def _start_and_stop(url: str, data_dir: str, delay: float) -> None:
    # A 1 ms poll keeps the worker inside a database call most of the time.
    settings = gateway_settings(url, data_dir, worker_poll_interval=timedelta(milliseconds=1))
    app = create_app(settings, interlock=make_interlock(), clock=FakeClock())
    async with app.router.lifespan_context(app):
        assert app.state.runtime.worker.running
        await asyncio.sleep(delay)
    assert not app.state.runtime.worker.running


def test_stopping_the_app_mid_poll_many_times_is_clean(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures: list[str] = []

    def hook(args: threading.ExceptHookArgs) -> None:
        failures.append(f"{args.thread!r}: {args.exc_type.__name__}: {args.exc_value}")

    monkeypatch.setattr(threading, "excepthook", hook)
    baseline = threading.active_count()
    rng = random.Random(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(ROUNDS):
            asyncio.run(_start_and_stop(sqlite_url, str(tmp_path), rng.random() * 0.02))
    deadline = time.monotonic() + 5
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.01)  # a stray connection thread would answer (and fail) by now
    assert failures == []
    assert threading.active_count() == baseline
