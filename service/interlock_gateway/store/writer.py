"""Group commit for SQLite: write bodies run in one thread, several per transaction.

Why: SQLite has one writer. An async write transaction (aiosqlite) holds the write lock across
every ``await`` of its statements, and each await waits until the busy event loop comes round
again — under 16 concurrent clients the lock was held ~6 ms for ~1 ms of database work, and
every other writer queued behind it (measured in docs/decisions/gateway-storage.md).

A *body* is a plain function of a synchronous :class:`~sqlalchemy.orm.Session`. The writer
thread runs every body queued so far in one ``BEGIN IMMEDIATE … COMMIT`` and then answers each
caller: the lock is held only for database work, and one commit serves many writes. If a body
raises, the group rolls back and each body runs again in a transaction of its own, so only
the one at fault fails — bodies must therefore change nothing but the session (they may run
twice; only one run commits). A caller is answered only after the commit, so what it was
told is stored is stored. A body whose caller was cancelled before the body started is
dropped, like a transaction that never began.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

__all__ = ["Body", "GroupWriter"]

T = TypeVar("T")
Body = Callable[[Session], T]
"""A write transaction's work: runs in the writer thread; must not touch the event loop."""

_MAX_GROUP = 64  # bounds how long one commit keeps async writers (and readers' answers) waiting


@dataclass(slots=True)
class _Job:
    body: Body[Any]
    future: asyncio.Future[Any]


@dataclass
class _Queue:
    """The jobs of one event loop and the task that drains them."""

    jobs: list[_Job] = field(default_factory=list)
    drainer: asyncio.Task[None] | None = None


class GroupWriter:
    """Runs write bodies on ``engine`` in one dedicated thread, grouped per commit.

    ``lock`` is the database's in-process write lock: held around each group, so the group
    and the async write transactions of the same process take turns instead of colliding in
    SQLite's busy handler.
    """

    def __init__(self, engine: Engine, lock: Callable[[], asyncio.Lock]) -> None:
        self._engine = engine
        self._lock = lock
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="interlock-writer")
        self._closed = False
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, body: Body[T]) -> T:
        """Run ``body`` in the next group's transaction; its result once that committed."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        job = _Job(body, loop.create_future())
        queue.jobs.append(job)
        if queue.drainer is None or queue.drainer.done():
            queue.drainer = loop.create_task(self._drain(queue), name="interlock-group-commit")
        result: T = await job.future
        return result

    async def _drain(self, queue: _Queue) -> None:
        loop = asyncio.get_running_loop()
        while queue.jobs:
            async with self._lock():
                group = [job for job in queue.jobs[:_MAX_GROUP] if not job.future.cancelled()]
                del queue.jobs[:_MAX_GROUP]
                if not group:
                    continue
                try:
                    outcomes = await loop.run_in_executor(self._thread, self._commit, group)
                except Exception as error:  # the commit itself failed: nothing was stored
                    outcomes = [(False, error)] * len(group)
            for job, (ok, value) in zip(group, outcomes, strict=True):
                if job.future.done():
                    continue
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)

    def _commit(self, group: list[_Job]) -> list[tuple[bool, Any]]:
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                return [(True, job.body(session)) for job in group]
        except Exception as error:
            if len(group) == 1:
                return [(False, error)]
        # Something in the group failed and the whole transaction rolled back: run each body
        # in a transaction of its own, so only the one at fault fails. (Savepoints per body
        # would do the same up front, at two more statements for every write.)
        return [self._commit_alone(job) for job in group]

    def _commit_alone(self, job: _Job) -> tuple[bool, Any]:
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                return True, job.body(session)
        except Exception as error:
            return False, error

    def close(self) -> None:
        """Wait for the group in progress, close the connection (in its thread), stop.

        Idempotent: a second call finds the thread stopped and does nothing.
        """
        if self._closed:
            return
        self._closed = True
        self._thread.submit(self._engine.dispose).result()
        self._thread.shutdown(wait=True)
