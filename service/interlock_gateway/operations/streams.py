"""Server-sent event streams of batch progress: shared, bounded, and closed when idle.

Every stream of one batch reads the same snapshot: one poller per batch (not one per
stream) reads the progress every ``events_interval`` while anyone listens, so 300 streams of
a batch cost one read per interval, not 300. Streams are counted per principal and per
process; beyond either limit the request is refused with 429 and ``Retry-After``. A stream
sends a comment every ``stream_heartbeat`` (proxies keep it open, the client learns it is
alive) and closes with ``event: idle`` after ``stream_idle_timeout`` without a change.

The API (``GET /v1/batches/{id}/events``) and the console (``/console/batches/{id}/events``)
both stream through the one :class:`BatchStreams` of the process (``app.state.streams``), so
a console tab counts against the same limits as an API client. It lives here, below both
HTTP layers (which may not import each other), and speaks no HTTP itself: it yields the
``text/event-stream`` text and refuses with a :class:`~interlock_gateway.problems.Problem`.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from ..problems import Problem
from ..settings import GatewaySettings
from .batch_reads import Progress, progress
from .context import Context

__all__ = ["BatchStreams"]


@dataclass
class _Feed:
    """The latest snapshot of one batch and who waits for the next."""

    listeners: int = 0
    snapshot: Progress | None = None
    version: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    poller: asyncio.Task[None] | None = None


class BatchStreams:
    """Open streams of batch progress, their limits and their shared pollers."""

    def __init__(self, ctx: Context, settings: GatewaySettings) -> None:
        self.ctx = ctx
        self.per_principal = settings.max_streams_per_principal
        self.per_process = settings.max_streams
        self.heartbeat_s = settings.stream_heartbeat.total_seconds()
        self.idle_s = settings.stream_idle_timeout.total_seconds()
        self.interval_s = ctx.batches.events_interval
        self._open: Counter[int] = Counter()
        self._feeds: dict[str, _Feed] = {}

    @property
    def open_streams(self) -> int:
        return sum(self._open.values())

    def reserve(self, principal_id: int) -> Callable[[], None]:
        """Count one more open stream for ``principal_id``; returns what gives it back.

        :raises Problem: 429 when the principal or the process has as many open as allowed.
        """
        if self._open[principal_id] >= self.per_principal:
            raise _too_many(f"you have {self.per_principal} event streams open already")
        if self.open_streams >= self.per_process:
            raise _too_many("this gateway serves as many event streams as it allows")
        self._open[principal_id] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._open[principal_id] -= 1
                if not self._open[principal_id]:
                    del self._open[principal_id]

        return release

    def open(self, principal_id: int, batch_id: str) -> AsyncIterator[str]:
        """One counted stream of ``batch_id`` for ``principal_id``: reserved now (so the
        refusal comes before a response starts), given back when the stream ends or the client
        goes away.

        :raises Problem: 429 when the principal or the process has as many open as allowed.
        """
        release = self.reserve(principal_id)

        async def counted() -> AsyncIterator[str]:
            try:
                async for event in self.events(batch_id):
                    yield event
            finally:
                release()

        return counted()

    async def events(self, batch_id: str) -> AsyncIterator[str]:
        """``progress`` events whenever the batch changes, then ``done`` (or ``idle``)."""
        feed = self._feeds.setdefault(batch_id, _Feed())
        feed.listeners += 1
        if feed.poller is None or feed.poller.done():
            feed.poller = asyncio.create_task(self._poll(batch_id, feed), name="batch-events")
        try:
            async for event in self._follow(feed):
                yield event
        finally:
            feed.listeners -= 1

    async def _follow(self, feed: _Feed) -> AsyncIterator[str]:
        seen, quiet = 0, 0.0  # version 0: nothing read yet
        while True:
            if feed.version != seen:
                if feed.snapshot is None:
                    return  # the batch is gone
                seen, quiet = feed.version, 0.0
                payload = json.dumps(feed.snapshot.as_dict())
                yield f"event: progress\ndata: {payload}\n\n"
                if feed.snapshot.finished:
                    yield f"event: done\ndata: {payload}\n\n"
                    return
            if quiet >= self.idle_s:
                yield "event: idle\ndata: {}\n\n"
                return
            waited = min(self.heartbeat_s, self.idle_s - quiet)
            async with feed.changed:  # checked under the lock: no change slips past unseen
                if feed.version != seen:
                    continue
                if feed.poller is None or feed.poller.done():
                    return  # the batch is gone, or reading it failed: the client reconnects
                try:
                    await asyncio.wait_for(feed.changed.wait(), waited)
                    continue
                except TimeoutError:
                    quiet += waited
            yield ": keep-alive\n\n"

    async def _poll(self, batch_id: str, feed: _Feed) -> None:
        last = ""
        try:
            while feed.listeners > 0:
                now = await progress(self.ctx, batch_id)
                payload = json.dumps(now.as_dict()) if now is not None else ""
                if payload != last:
                    last = payload
                    async with feed.changed:
                        feed.snapshot, feed.version = now, feed.version + 1
                        feed.changed.notify_all()
                if now is None or now.finished:
                    return
                await asyncio.sleep(self.interval_s)
        finally:
            async with feed.changed:
                feed.changed.notify_all()
            if self._feeds.get(batch_id) is feed and feed.listeners <= 0:
                del self._feeds[batch_id]


def _too_many(detail: str) -> Problem:
    return Problem(
        429,
        "INTERLOCK.TOO_MANY_STREAMS",
        "Too many event streams",
        detail,
        hint="close a stream you no longer read (or poll GET /v1/batches/{id}) and retry",
        headers={"Retry-After": "5"},
    )
