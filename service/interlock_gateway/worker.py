"""The worker: an asyncio task inside the app that carries out stored operations.

Loop: extend the leases it holds, expire overdue approvals, then — if anything is due —
claim up to its free slots (:func:`~.services.queue.claim`) and run each claim as a task:
:class:`~.services.execute.Executor` talks to the vendor through the facade, then
:func:`~.services.finish.finish` records the outcome, its audit record and follow-ups in one
transaction. A request handler that just stored an operation calls :meth:`Worker.wake` and
:meth:`Worker.wait_for` to answer with the outcome when it comes quickly.

If the process dies between a vendor call and the finishing commit, the row stays
``in_flight`` until its lease ends; then any worker claims it again and the executor reads
the session back before deciding (never a blind resend).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from interlock import Interlock

from .audit import AuditTrail
from .clock import Clock
from .services import approvals, queue
from .services.audit import SYSTEM_ACTOR, entry_for_operation
from .services.execute import Executor, FaultHook, Step
from .services.finish import Outcome, finish
from .services.followups import followups, makes_work_due
from .services.queue import Claim, claim, due_exists, heartbeat
from .settings import GatewaySettings
from .store import Database
from .store.tables import IdempotencyKey, Operation, OperationKind

if TYPE_CHECKING:
    from .batches.engine import BatchEngine

__all__ = ["Worker"]

log = logging.getLogger("interlock.gateway.worker")
_CLEANUP_EVERY_S = 60.0
_HOUSEKEEPING_EVERY_S = 1.0  # approval expiry needs no finer grain than a second
_STOP_GRACE_S = 5.0
_RECENT = 4096


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
        owner: str | None = None,
        fault: FaultHook | None = None,
    ) -> None:
        self.db = db
        self.interlock = interlock
        self.trail = trail
        self.settings = settings
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.executor = Executor(interlock, settings, clock, fault)
        self.batches: BatchEngine | None = None
        """Set by the runtime: claims batch items per account (concurrency, breaker, chunks)."""
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._running: dict[str, asyncio.Task[None]] = {}
        self._claiming = asyncio.Lock()
        self._waiters: dict[str, list[asyncio.Event]] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._last_heartbeat = time.monotonic()
        self._last_cleanup = 0.0
        self._last_housekeeping = 0.0

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background loop."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="interlock-worker")

    async def stop(self) -> None:
        """Stop claiming; give running phases a moment, then leave the rest to their leases.

        The loop is asked to stop rather than cancelled: a tick in the middle of a database
        call finishes it first. Cancelling an aiosqlite call abandons its future while the
        connection's thread still runs the statement; if the event loop closes before that
        thread answers, it raises "Event loop is closed" in the thread. Cancellation is only
        the fallback for a tick that does not end within the grace period.
        """
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            task, self._task = self._task, None
            done, _ = await asyncio.wait([task], timeout=_STOP_GRACE_S)
            if not done:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=_STOP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    @property
    def running(self) -> bool:
        """Whether the background loop runs (if not, requests do not wait for it)."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    def claim_new(self, op: Operation) -> Claim | None:
        """Claim ``op`` before it is inserted, if this worker runs and has a free slot."""
        if not self.running or len(self._running) >= self.settings.worker_concurrency:
            return None
        return queue.claim_new(
            op, owner=self.owner, now=self.clock(), lease=self.settings.worker_lease
        )

    def claim_new_items(self, rows: list[dict[str, Any]]) -> list[list[Claim]]:
        """Claim a new batch's first wave before its rows are inserted (see
        :meth:`~.batches.engine.BatchEngine.claim_new`); [] if this worker does not run."""
        if not self.running or self.batches is None:
            return []
        lease = self.settings.worker_lease
        return self.batches.claim_new(rows, owner=self.owner, now=self.clock(), lease=lease)

    def adopt_units(self, units: list[list[Claim]]) -> None:
        """Run units from :meth:`claim_new_items` once their rows are committed."""
        for unit in units:
            self._spawn_unit(unit)

    def release_units(self, units: list[list[Claim]]) -> None:
        """Give back units from :meth:`claim_new_items` whose rows were not stored."""
        if self.batches is not None:
            self.batches.release(units)

    def adopt(self, item: Claim) -> asyncio.Task[None]:
        """Run a claim made with :meth:`claim_new` once its row is committed.

        The task belongs to the worker: a request that stops waiting (or is cancelled)
        does not stop the operation.
        """
        task = asyncio.create_task(self._run(item), name=f"interlock-op-{item.op.id}")
        self._running[item.op.id] = task
        task.add_done_callback(functools.partial(self._forget, item.op.id))
        return task

    async def wait_for(self, op_id: str, seconds: float) -> None:
        """Return when this process finished a phase of ``op_id``, or after ``seconds``."""
        if op_id in self._recent or seconds <= 0:
            return
        event = asyncio.Event()
        self._waiters.setdefault(op_id, []).append(event)
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            pass
        finally:
            waiters = self._waiters.get(op_id, [])
            if event in waiters:
                waiters.remove(event)
            if not waiters:
                self._waiters.pop(op_id, None)

    # -- one round -------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim everything due now (up to the concurrency) and run it to the end.

        :returns: how many operations were claimed. Tests drive the worker with this.
        """
        await self._housekeeping()
        tasks = await self._claim_and_spawn()
        if tasks:
            await asyncio.wait(tasks)
        return len(tasks)

    async def settle(self, rounds: int = 100) -> None:
        """Run until nothing is running and nothing is due (tests; draining before a stop)."""
        for _ in range(rounds):
            async with self._claiming:  # no claim is half-way while we look
                running = [t for t in self._running.values() if not t.done()]
            if running:
                await asyncio.wait(running)
                continue
            if not await self.run_once():
                async with self._claiming:
                    if all(t.done() for t in self._running.values()):
                        return

    async def _loop(self) -> None:
        interval = self.settings.worker_poll_interval.total_seconds()
        while not self._stopping:
            try:
                await self._tick()
            except Exception:  # the database may be briefly unavailable; keep the loop alive
                log.exception("worker tick failed; retrying at the next poll")
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()

    async def _tick(self) -> None:
        await self._heartbeat()
        if time.monotonic() - self._last_housekeeping >= _HOUSEKEEPING_EVERY_S:
            self._last_housekeeping = time.monotonic()
            await self._housekeeping()
        await self._claim_and_spawn()

    async def _claim_and_spawn(self) -> list[asyncio.Task[None]]:
        # One claim at a time per process, and a claimed row is in ``_running`` before the
        # lock is released, so ``settle`` never sees "nothing running" mid-claim.
        async with self._claiming:
            tasks = []
            for item in await self._claim():
                task = asyncio.create_task(self._run(item), name=f"interlock-op-{item.op.id}")
                self._running[item.op.id] = task
                task.add_done_callback(functools.partial(self._forget, item.op.id))
                tasks.append(task)
            if self.batches is not None:
                lease = self.settings.worker_lease
                for unit in await self.batches.claim(self.owner, self.clock(), lease):
                    tasks.append(self._spawn_unit(unit))
            return tasks

    def _spawn_unit(self, unit: list[Claim]) -> asyncio.Task[None]:
        task = asyncio.create_task(self._run_unit(unit), name="interlock-batch-unit")
        for item in unit:
            self._running[item.op.id] = task
            task.add_done_callback(functools.partial(self._forget, item.op.id))
        return task

    def _forget(self, op_id: str, task: asyncio.Task[None]) -> None:
        # Only if the entry is still this task's: an item that a unit handed back to the
        # queue may already run again in a newer task by the time the unit's task ends.
        if self._running.get(op_id) is task:
            del self._running[op_id]

    async def _claim(self) -> list[Claim]:
        free = self.settings.worker_concurrency - len(self._running)
        now = self.clock()
        if free <= 0 or not await due_exists(self.db, now):
            return []
        lease = self.settings.worker_lease
        # Batch items are the batch engine's (per-account claims); the rest are claimed here.
        where = Operation.kind == OperationKind.SINGLE if self.batches is not None else None
        return await claim(self.db, owner=self.owner, now=now, lease=lease, limit=free, where=where)

    async def _heartbeat(self) -> None:
        lease = self.settings.worker_lease
        if time.monotonic() - self._last_heartbeat < lease.total_seconds() / 3:
            return
        self._last_heartbeat = time.monotonic()
        ids = list(self._running)
        await heartbeat(self.db, owner=self.owner, ids=ids, now=self.clock(), lease=lease)

    async def _housekeeping(self) -> None:
        await approvals.expire_due(self.db, self.trail, self.clock())
        if time.monotonic() - self._last_cleanup >= _CLEANUP_EVERY_S:
            self._last_cleanup = time.monotonic()
            async with self.db.write() as session:
                await session.execute(
                    delete(IdempotencyKey).where(IdempotencyKey.expires_at <= self.clock())
                )

    # -- one operation ---------------------------------------------------------------------------

    async def _run(self, item: Claim) -> None:
        try:
            step = await self.executor.run(item)
            await self._finish(item, step)
        except Exception:
            # Unknown failure (or a simulated crash): leave the row in flight; its lease
            # ends and the next claim reconciles it by reading the session back.
            log.exception("operation %s: phase %s interrupted", item.op.id, item.phase)
        finally:
            self._notify(item.op.id)

    async def _run_unit(self, unit: list[Claim]) -> None:
        assert self.batches is not None
        try:
            await self.batches.run(unit, self.executor, self._finish_many)
        except Exception:
            # As in _run: the items stay in flight until their leases end, then reconcile.
            log.exception("batch unit of %d item(s) interrupted", len(unit))
        finally:
            for item in unit:
                self._notify(item.op.id)
            self.wake()  # the account has a free slot again: claim its next unit now

    async def _finish(self, item: Claim, step: Step) -> None:
        await self._finish_many([(item, step)])

    async def _finish_many(self, results: Sequence[tuple[Claim, Step]]) -> None:
        """Record phase results in one transaction (a native chunk's items together)."""
        now = self.clock()
        outcomes = [self._outcome(item, step, now) for item, step in results]
        done = await finish(self.db, self.trail, owner=self.owner, outcomes=outcomes)
        for (item, _), recorded in zip(results, done, strict=True):
            if not recorded:
                log.warning(
                    "operation %s: lease lost before finishing; another worker owns it",
                    item.op.id,
                )
        due = any(
            recorded and outcome.after and makes_work_due(item, now)
            for (item, _), outcome, recorded in zip(results, outcomes, done, strict=True)
        )
        if due:
            self.wake()  # a follow-up is due already: do not wait for the next poll

    def _outcome(self, item: Claim, step: Step, now: datetime) -> Outcome:
        op = item.op
        columns = {**step.columns(op), "updated_at": now}
        _apply(op, columns)
        outcome = step.outcome.value if step.outcome else step.status.value
        entry = entry_for_operation(op, step.action, outcome, actor=SYSTEM_ACTOR)
        after = followups(item, step, interlock=self.interlock, trail=self.trail, now=now)
        return Outcome(op.id, columns, [entry], after)

    def _notify(self, op_id: str) -> None:
        self._recent[op_id] = None
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        for event in self._waiters.pop(op_id, []):
            event.set()


def _apply(op: Operation, columns: dict[str, Any]) -> None:
    """Mirror ``columns`` onto the detached copy, so the audit entry shows the new values."""
    for name, value in columns.items():
        setattr(op, name, value)
