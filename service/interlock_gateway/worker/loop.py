"""The worker: an asyncio task inside the app that carries out stored operations.

Loop: extend the leases it holds, do the housekeeping (expire approvals, complete batches,
purge old idempotency keys and quota slots, sign the audit trail's tip once it is a minute
old and hand signed checkpoints to the audit witnesses), then — if anything is due — claim single
operations up to its free slots (:func:`~.queue.claim`) and batch items per account
(:class:`~.scheduler.Scheduler`), and run each claim as a task: the executor talks to the
vendor through the facade, then :func:`~.finish.finish` records the outcome, its audit record
and follow-ups in one transaction. The worker observes each operation exactly once
(``operations/observers.py``) and tells requesters what they must know (notices).

It is also the :class:`~interlock_gateway.operations.dispatch.Dispatcher` of the operations it
accepts: a new operation's row can be *reserved* (stored already in flight under this worker's
lease) and started as soon as it is committed, and a request can wait for its phase to be
recorded (:meth:`Worker.settled`).

If the process dies between a vendor call and the finishing commit, the row stays
``in_flight`` until its lease ends; then any worker claims it again and the executor reads the
session back before deciding (never a blind resend).
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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..audit.witnessing import deliver_due, sign_if_due
from ..lanes import bulk
from ..operations import approvals, batches, exits, observers, requests
from ..operations.audit_entries import SYSTEM_ACTOR, entry_for_operation
from ..operations.context import Context
from ..operations.dispatch import Reservation
from ..operations.notices import tell_requester
from ..operations.phases import FINAL_STATUSES
from ..quota import purge_quota
from ..store.tables import Operation, OperationKind, OperationStatus, operation_from_row
from .chunks import UnitRunner
from .execute import Executor, FaultHook, Step
from .finish import Outcome, finish
from .followups import followups, makes_work_due
from .queue import Claim, claim, due_exists, heartbeat, reserve_row
from .scheduler import Scheduler

__all__ = ["Worker"]

log = logging.getLogger("interlock.gateway.worker")
_CLEANUP_EVERY_S = 60.0
_PURGE_QUOTA_EVERY_S = 30.0
_APPROVALS_EVERY_S = 1.0  # approval expiry needs no finer grain than a second
_BATCHES_EVERY_S = 0.2
_CHECKPOINTS_EVERY_S = 1.0
_STOP_GRACE_S = 5.0
_RECENT = 4096


@dataclass(slots=True)
class _Reserved:
    """What :meth:`Worker.reserve` took: single operations and units of batch items."""

    singles: list[Claim] = field(default_factory=list)
    units: list[list[Claim]] = field(default_factory=list)


class Worker:
    """Claims due operations from the database and carries them out through the facade."""

    def __init__(
        self, ctx: Context, *, owner: str | None = None, fault: FaultHook | None = None
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.executor = Executor(ctx.interlock, ctx.settings, ctx.clock, fault)
        self.scheduler = Scheduler(ctx)
        self.units = UnitRunner(ctx.interlock, self.executor, self.scheduler.breaker, ctx.clock)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._running: dict[str, asyncio.Task[None]] = {}
        self._claiming = asyncio.Lock()
        self._waiters: dict[str, list[asyncio.Future[Operation]]] = {}
        self._recent: OrderedDict[str, Operation] = OrderedDict()
        self._last_heartbeat = time.monotonic()
        self._last: dict[str, float] = {}

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
    def busy(self) -> bool:
        """Whether this process carries out operations right now (claimed, not finished)."""
        return bool(self._running)

    @property
    def running(self) -> bool:
        """Whether the background loop runs (if not, requests do not wait for it)."""
        return self._task is not None and not self._task.done()

    # -- the dispatcher --------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    def reserve(self, rows: Sequence[dict[str, Any]]) -> Reservation:
        """Take the ``pending`` rows that fit in this process's room (stored in flight)."""
        reserved = _Reserved()
        if not self.running:
            return reserved
        now, lease = self.ctx.clock(), self.settings.worker_lease
        singles = [
            r for r in rows if r["status"] == OperationStatus.PENDING and r["batch_id"] is None
        ]
        room = self.settings.worker_concurrency - len(self._running)
        reserved.singles = [
            reserve_row(row, owner=self.owner, now=now, lease=lease) for row in singles[:room]
        ]
        items = [r for r in rows if r["batch_id"] is not None]
        if items:
            reserved.units = self.scheduler.reserve(items, owner=self.owner, now=now, lease=lease)
        return reserved

    def start_reserved(self, reservation: Reservation) -> None:
        """Run what :meth:`reserve` took, now that its rows are committed."""
        assert isinstance(reservation, _Reserved)
        for item in reservation.singles:
            self._spawn(item)
        for unit in reservation.units:
            self._spawn_unit(unit)

    def release(self, reservation: Reservation) -> None:
        """Give back what :meth:`reserve` took for rows that were not stored."""
        assert isinstance(reservation, _Reserved)
        self.scheduler.release(reservation.units)

    async def settled(self, op_id: str, within: float) -> Operation | None:
        """The operation as recorded once this process finished its phase (or ``None``)."""
        if op_id in self._recent:
            return self._recent[op_id]
        if within <= 0 or not self.running:
            return None
        future: asyncio.Future[Operation] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(op_id, []).append(future)
        try:
            return await asyncio.wait_for(asyncio.shield(future), within)
        except TimeoutError:
            return None
        finally:
            waiters = self._waiters.get(op_id, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._waiters.pop(op_id, None)

    # -- one round -------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim everything due now (up to the concurrency) and run it to the end.

        :returns: how many claims were made. Tests drive the worker with this.
        """
        await self._housekeeping(force=True)
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
        await self._housekeeping()
        await self._claim_and_spawn()

    def _due(self, name: str, every_s: float, force: bool) -> bool:
        now = time.monotonic()
        if force or now - self._last.get(name, 0.0) >= every_s:
            self._last[name] = now
            return True
        return False

    async def _housekeeping(self, *, force: bool = False) -> None:
        now = self.ctx.clock()
        if self._due("approvals", _APPROVALS_EVERY_S, force):
            await approvals.expire_due(self.ctx, now)
        if self._due("batches", _BATCHES_EVERY_S, force):
            await batches.advance(self.ctx, now)
        if self._due("keys", _CLEANUP_EVERY_S, force):
            await requests.purge_expired(self.ctx, now)
        if not self.ctx.db.is_sqlite and self._due("quota", _PURGE_QUOTA_EVERY_S, force):
            await purge_quota(self.ctx.db, now)
        if self._due("checkpoints", _CHECKPOINTS_EVERY_S, force):
            await sign_if_due(self.ctx.db, self.ctx.trail, now, self.ctx.audit.checkpoint_interval)
            await deliver_due(self.ctx.db, self.ctx.witnesses, now)
        exits_every = self.settings.exit_poll_interval.total_seconds()
        if exits_every and self._due("exits", exits_every, force):
            await exits.poll_exits(self.ctx, now)

    async def _claim_and_spawn(self) -> list[asyncio.Task[None]]:
        # One claim at a time per process, and a claimed row is in ``_running`` before the
        # lock is released, so ``settle`` never sees "nothing running" mid-claim.
        async with self._claiming:
            tasks = [self._spawn(item) for item in await self._claim_singles()]
            lease = self.settings.worker_lease
            for unit in await self.scheduler.claim(self.owner, self.ctx.clock(), lease):
                tasks.append(self._spawn_unit(unit))
            return tasks

    async def _claim_singles(self) -> list[Claim]:
        free = self.settings.worker_concurrency - len(self._running)
        now = self.ctx.clock()
        if free <= 0 or not await due_exists(self.ctx.db, now):
            return []
        where = Operation.kind == OperationKind.SINGLE
        return await claim(
            self.ctx.db,
            owner=self.owner,
            now=now,
            lease=self.settings.worker_lease,
            limit=free,
            where=where,
        )

    def _spawn(self, item: Claim) -> asyncio.Task[None]:
        task = asyncio.create_task(self._run(item), name=f"interlock-op-{item.op.id}")
        self._running[item.op.id] = task
        task.add_done_callback(functools.partial(self._forget, item.op.id))
        return task

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

    async def _heartbeat(self) -> None:
        lease = self.settings.worker_lease
        if time.monotonic() - self._last_heartbeat < lease.total_seconds() / 3:
            return
        self._last_heartbeat = time.monotonic()
        ids = list(self._running)
        await heartbeat(self.ctx.db, owner=self.owner, ids=ids, now=self.ctx.clock(), lease=lease)

    # -- carrying out ----------------------------------------------------------------------------

    def _observe_start(self, items: Sequence[Claim]) -> None:
        now = self.ctx.clock()
        for item in items:
            if item.phase.starts_operation and item.op.attempts == 1:
                observers.started(self.ctx.plugins, item.op, item.phase.value, now)

    async def _run(self, item: Claim) -> None:
        try:
            self._observe_start([item])
            step = await self.executor.run(item)
            await self._finish([(item, step)])
        except Exception:
            # Unknown failure (or a simulated crash): leave the row in flight; its lease
            # ends and the next claim reconciles it by reading the session back.
            log.exception("operation %s: phase %s interrupted", item.op.id, item.phase)

    async def _run_unit(self, unit: list[Claim]) -> None:
        account = unit[0].op.account
        try:
            self._observe_start(unit)
            # Batch items use the bulk lane of whoever started the batch: single operations
            # go first, and batches of different people take turns (lanes.py).
            with bulk(unit[0].op.actor):
                await self.units.run(unit, self._finish)
        except Exception:
            # As in _run: the items stay in flight until their leases end, then reconcile.
            log.exception("batch unit of %d item(s) interrupted", len(unit))
        finally:
            self.scheduler.unit_ended(account)
            self.wake()  # the account has a free slot again: claim its next unit now
        if self.scheduler.idle:
            # Nothing of any account runs here any more: the unit may have been a batch's
            # last, so look now rather than at the next housekeeping round.
            await batches.advance(self.ctx, self.ctx.clock())

    async def _finish(self, results: Sequence[tuple[Claim, Step]]) -> None:
        """Record phase results in one transaction (a native chunk's items together), then
        answer waiting requests, observe ended operations and tell requesters."""
        now = self.ctx.clock()
        outcomes = [self._outcome(item, step, now) for item, step in results]
        done = await finish(self.ctx.db, self.ctx.trail, owner=self.owner, outcomes=outcomes)
        due = False
        for (item, step), outcome, recorded in zip(results, outcomes, done, strict=True):
            if not recorded:
                log.warning(
                    "operation %s: lease lost before finishing; another worker owns it",
                    item.op.id,
                )
                continue
            self._recorded(item.op)
            if item.op.status in FINAL_STATUSES:
                observers.finished(self.ctx.plugins, item.op, item.phase.value, now)
            if step.tell:
                tell_requester(self.ctx.plugins, item.op, step.tell)
            due = due or bool(outcome.after and makes_work_due(item, now))
        if due:
            self.wake()  # a follow-up is due already: do not wait for the next poll

    def _outcome(self, item: Claim, step: Step, now: datetime) -> Outcome:
        op = item.op
        columns = {**step.columns(op), "updated_at": now}
        for name, value in columns.items():  # the detached copy shows the new values
            setattr(op, name, value)
        outcome = step.outcome.value if step.outcome else step.status.value
        entry = entry_for_operation(op, step.action, outcome, actor=SYSTEM_ACTOR)
        after = followups(
            item,
            step,
            interlock=self.ctx.interlock,
            trail=self.ctx.trail,
            now=now,
            notifications=self.ctx.notifications,
            links=self.ctx.links is not None,
        )
        return Outcome(op.id, columns, [entry], after)

    def _recorded(self, op: Operation) -> None:
        """Remember ``op`` as recorded and answer whoever waits for it."""
        copy = operation_from_row({k: v for k, v in op.__dict__.items() if not k.startswith("_")})
        self._recent[op.id] = copy
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        for future in self._waiters.pop(op.id, []):
            if not future.done():
                future.set_result(copy)
