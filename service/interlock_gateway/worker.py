"""The operation worker (skeleton: the executor lands in the next commit)."""

from __future__ import annotations

import asyncio
import contextlib

from interlock import Interlock

from .audit import AuditTrail
from .clock import Clock
from .settings import GatewaySettings
from .store import Database

__all__ = ["Worker"]


class Worker:
    """Claims due operations from the database and carries them out through the facade."""

    def __init__(
        self,
        *,
        db: Database,
        interlock: Interlock,
        trail: AuditTrail,
        settings: GatewaySettings,
        clock: Clock,
    ) -> None:
        self.db = db
        self.interlock = interlock
        self.trail = trail
        self.settings = settings
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Start the background loop."""
        self._task = asyncio.create_task(self._loop(), name="interlock-worker")

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        interval = self.settings.worker_poll_interval.total_seconds()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()
