"""How the worker carries out batch items.

The worker's generic claim leaves batch items to this engine, which claims them *per
account*: at most the account's concurrency in flight (units: single items, or native
chunks), none while the account's circuit breaker is open, one probe while it is half-open.
Claims use the same queue (``FOR UPDATE SKIP LOCKED`` + leases on PostgreSQL, one writer on
SQLite), so replicas share the work and a dead replica's items return after their lease.

A unit is one item through the :class:`~..services.execute.Executor` (read-back on recovery,
the retry policy), or — with native batch calls on — a chunk of up to the adapter's
``native_batch_size`` first-attempt items sent as one vendor call. A chunk item that failed
goes back to the queue as a recovering single item, so it is read back before anything is
resent. A retryable failure while the account's breaker is open *holds* the item: it is
re-queued for when the breaker half-opens without spending an attempt.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from interlock import Interlock
from interlock.models import OperationOutcome, OperationResult, SessionRef, Verb
from interlock.transitions import TARGET_STATE

from ..audit import AuditEntry, AuditTrail
from ..breaker import BreakerState, CircuitBreaker
from ..clock import Clock
from ..quota import LocalRateLimiter, SharedRateLimiter, purge_quota
from ..services.audit import SYSTEM_ACTOR
from ..services.execute import Executor, FaultHook, Step, _reason
from ..services.queue import Claim, Phase, claim, phase_of
from ..settings import GatewaySettings
from ..store.engine import Database
from ..store.tables import (
    Batch,
    BatchStatus,
    Operation,
    OperationKind,
    OperationStatus,
    operation_from_row,
)
from .counts import count_items
from .settings import BatchSettings

__all__ = ["BatchEngine"]

log = logging.getLogger("interlock.gateway.batches")
Status = OperationStatus
Finish = Callable[[Sequence[tuple[Claim, Step]]], Awaitable[None]]
"""Records phase results in one transaction (the worker's ``_finish_many``)."""
_TRANSIENT = frozenset({"VENDOR.UNAVAILABLE", "VENDOR.RATE_LIMITED", "VENDOR.TIMEOUT"})
_GOOD = frozenset({Status.SUCCEEDED, Status.GRACE, Status.COMMITTED, Status.REJECTED})
_HOUSEKEEPING_S = 0.2
_PURGE_S = 30.0
_PREVIEWS_KEPT = 8
_NATIVE_ITEMS_IN_FLIGHT = 400  # per account and process, in native chunks
_ChunkKey = tuple[str | None, str]
"""A native chunk's items share a batch and a verb."""


def _due_batch_items(now: datetime) -> object:
    return and_(
        Operation.kind == OperationKind.BATCH_ITEM,
        or_(
            and_(Operation.status == Status.PENDING, Operation.next_attempt_at <= now),
            and_(Operation.status == Status.GRACE, Operation.commit_at <= now),
            and_(Operation.status == Status.IN_FLIGHT, Operation.lease_until <= now),
        ),
    )


def _of(account: str) -> ColumnElement[bool]:
    return and_(Operation.kind == OperationKind.BATCH_ITEM, Operation.account == account)


def _is_transient(step: Step) -> bool:
    return step.status in (Status.PENDING, Status.FAILED) and (
        step.changes.get("error_code") in _TRANSIENT
    )


class BatchEngine:
    """Per-account claiming, native chunks, the breaker and batch completion."""

    def __init__(
        self,
        *,
        db: Database,
        interlock: Interlock,
        trail: AuditTrail,
        gateway: GatewaySettings,
        settings: BatchSettings,
        clock: Clock,
        limiter: SharedRateLimiter | LocalRateLimiter | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.interlock = interlock
        self.trail = trail
        self.gateway = gateway
        self.settings = settings
        self.limiter = limiter
        from .tokens import ConfirmTokens  # here: tokens → api → runtime → this module

        self.tokens = ConfirmTokens(trail.signer)
        self.breaker = CircuitBreaker(
            threshold=settings.breaker_threshold,
            cooldown_s=settings.breaker_cooldown,
            max_cooldown_s=settings.breaker_max_cooldown,
            clock=lambda: clock().timestamp(),  # the injected clock, so tests can move it
        )
        self.fault: FaultHook | None = None
        # Preview resolutions by (principal, request digest): a batch confirmed with the
        # preview's token reuses them instead of reading every session again.
        self.previews: OrderedDict[tuple[int, str], tuple[datetime, Any]] = OrderedDict()
        self._units: Counter[str] = Counter()
        self._last_housekeeping = 0.0
        self._last_purge = time.monotonic()

    # -- what the previews ask -----------------------------------------------------------

    def rate(self, account: str) -> float | None:
        """Calls per second the account's limiter allows (None: not limited)."""
        return None if self.limiter is None else self.limiter.rates.get(account)

    def native_size(self, account: str, verb: Verb) -> int:
        """Items per native call for ``verb`` on ``account`` (0: no native batches)."""
        if not self.settings.native_batches:
            return 0
        adapter = self.interlock.adapter(account)
        return (
            adapter.capabilities.native_batch_size or 0
            if adapter.capabilities.supports(verb)
            else 0
        )

    def remember(self, principal_id: int, digest: str, expires: datetime, resolved: Any) -> None:
        """Keep a preview's resolution until its token expires (a few, newest first)."""
        self.previews[(principal_id, digest)] = (expires, resolved)
        self.previews.move_to_end((principal_id, digest))
        while len(self.previews) > _PREVIEWS_KEPT:
            self.previews.popitem(last=False)

    def recall(self, principal_id: int, digest: str, now: datetime) -> Any | None:
        """The resolution a still-valid preview of this request made, if this process has it."""
        found = self.previews.get((principal_id, digest))
        return found[1] if found is not None and found[0] > now else None

    def concurrency(self, account: str) -> int:
        """Units of the account in flight at once in this process."""
        return self.settings.account_concurrency or self.interlock.concurrency(account)

    # -- claiming ------------------------------------------------------------------------

    async def claim(self, owner: str, now: datetime, lease: timedelta) -> list[list[Claim]]:
        """Claim due batch items, per account, grouped into units."""
        await self._housekeeping(now)
        async with self.db.session() as session:
            accounts = (
                await session.scalars(
                    select(Operation.account).where(_due_batch_items(now)).distinct()  # type: ignore[arg-type]
                )
            ).all()
        # Free units are read here, in the event loop: ``fit`` runs in the claim's body (the
        # writer thread on SQLite) and reads nothing but the accounts' configuration.
        free = {account: n for account in accounts if (n := self._free_units(account))}
        # Claimed together: on SQLite the group commit makes them one transaction.
        claimed = await asyncio.gather(
            *(
                claim(
                    self.db,
                    owner=owner,
                    now=now,
                    lease=lease,
                    limit=n * self._largest_chunk(account),  # each unit a full chunk at most
                    where=_of(account),
                    fit=functools.partial(self._fitting_due, account, n),
                )
                for account, n in free.items()
            )
        )
        units: list[list[Claim]] = []
        for account, claims in zip(free, claimed, strict=True):
            for unit in self._group(account, claims):
                self._units[account] += 1
                units.append(unit)
        return units

    def claim_new(
        self, rows: list[dict[str, Any]], *, owner: str, now: datetime, lease: timedelta
    ) -> list[list[Claim]]:
        """Claim a new batch's first wave before its rows are inserted.

        Like :func:`~..services.queue.claim_new` for a single operation: up to each
        account's room, ``pending`` rows are changed to be stored already ``in_flight`` under
        ``owner``'s lease, so the accepting process runs them without a claim transaction
        (on an idle gateway the claim was most of the time to the first vendor call). Their
        units are reserved now: hand them to the worker once the rows are committed, or give
        them back with :meth:`release`. If this process dies, the leases end and any replica
        reconciles the items like every other claim.
        """
        pending: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            if row["status"] == Status.PENDING:
                pending.setdefault(row["account"], []).append(row)
        units: list[list[Claim]] = []
        for account, account_rows in pending.items():
            free = self._free_units(account)
            chunks = (
                self._chunk_of(
                    account, row["batch_id"], row["verb"], Phase(row["details"]["phase"]), True
                )
                for row in account_rows[: free * self._largest_chunk(account)]
            )
            fitting = self._fitting(free, chunks)
            claims = []
            for row in account_rows[:fitting]:
                row.update(
                    status=Status.IN_FLIGHT.value,
                    lease_owner=owner,
                    lease_until=now + lease,
                    attempts=1,
                )
                claims.append(Claim(operation_from_row(row), Phase(row["details"]["phase"])))
            for unit in self._group(account, claims):
                self._units[account] += 1
                units.append(unit)
        return units

    def release(self, units: list[list[Claim]]) -> None:
        """Give back units reserved by :meth:`claim_new` that will not run here."""
        for unit in units:
            self._units[unit[0].op.account] -= 1

    def _largest_chunk(self, account: str) -> int:
        return max(1, *(self.native_size(account, verb) for verb in Verb))

    def _free_units(self, account: str) -> int:
        """How many more units of the account this process may run now (0: none)."""
        state = self.breaker.state(account)
        if state is BreakerState.OPEN or account not in self.interlock.accounts:
            return 0
        cap = 1 if state is BreakerState.HALF_OPEN else self.concurrency(account)
        size = self._largest_chunk(account)
        if size > 1:  # chunks are heavy: a bounded number of items in flight keeps
            # memory flat, whatever the account's chunk size
            cap = min(cap, max(1, _NATIVE_ITEMS_IN_FLIGHT // size))
        return max(0, cap - self._units[account])

    def _chunk_of(
        self, account: str, batch_id: str | None, verb: str, phase: Phase, first_attempt: bool
    ) -> tuple[_ChunkKey, int] | None:
        """The native chunk an item goes out in (key and size), or None: a unit of its own.

        Only first attempts of the apply phase are chunked; an item tried before is read
        back on its own first, and the undo window's phases are per item.
        """
        if verb == "undo" or phase is not Phase.APPLY or not first_attempt:
            return None
        size = self.native_size(account, Verb(verb))
        return ((batch_id, verb), size) if size > 1 else None

    @staticmethod
    def _fitting(free: int, chunks: Iterable[tuple[_ChunkKey, int] | None]) -> int:
        """How many of an account's next items (in order; each with its :meth:`_chunk_of`)
        fit in ``free`` units: a single item is a unit, a chunk one per ``size`` items."""
        units = taken = 0
        filling: dict[_ChunkKey, int] = {}
        for chunk in chunks:
            if chunk is None:
                units += 1
            else:
                key, size = chunk
                if filling.get(key, 0) == 0:
                    units += 1  # this item opens a chunk
                filling[key] = (filling.get(key, 0) + 1) % size
            if units > free:
                break
            taken += 1
        return taken

    def _fitting_due(self, account: str, free: int, ops: Sequence[Operation]) -> int:
        """:meth:`_fitting` for due rows as the claim reads them (before it updates them)."""
        return self._fitting(
            free,
            (
                self._chunk_of(account, op.batch_id, op.verb, phase_of(op), op.attempts == 0)
                for op in ops
            ),
        )

    def _group(self, account: str, claims: list[Claim]) -> list[list[Claim]]:
        units: list[list[Claim]] = []
        chunks: dict[_ChunkKey, list[Claim]] = {}
        for item in claims:
            op = item.op
            chunk = self._chunk_of(account, op.batch_id, op.verb, item.phase, not item.recovering)
            if chunk is not None:
                key, size = chunk
                members = chunks.setdefault(key, [])
                members.append(item)
                if len(members) == size:
                    units.append(members)
                    chunks[key] = []
            else:
                units.append([item])
        units.extend(chunk for chunk in chunks.values() if chunk)
        return units

    # -- running -------------------------------------------------------------------------

    async def run(self, unit: list[Claim], executor: Executor, finish: Finish) -> None:
        """Carry out one unit and record its items' outcomes through ``finish``."""
        account = unit[0].op.account
        try:
            if len(unit) == 1:
                step = await executor.run(unit[0])
                await finish([(unit[0], self._after(unit[0], step))])
            else:
                await self._run_chunk(unit, finish)
        finally:
            self._units[account] -= 1
        if not +self._units:
            # Nothing of any account runs here any more: the unit may have been a batch's
            # last, so look now rather than at the next housekeeping round.
            await self.advance_batches(self.clock())

    async def _run_chunk(self, unit: list[Claim], finish: Finish) -> None:
        first = unit[0].op
        verb = Verb(first.verb)
        refs = [SessionRef(account=c.op.account, session_id=c.op.session_id) for c in unit]
        if self.fault is not None:
            await self.fault("before_vendor_call", first)
        results: dict[str, OperationResult] = {}
        async for result in self.interlock.batch(
            verb, refs, _reason(first), idempotency_key=f"{first.batch_id}:{first.id}"
        ):
            results[result.ref.session_id] = result
        if self.fault is not None:
            await self.fault("after_vendor_call", first)
        steps = [self._chunk_step(item, results.get(item.op.session_id)) for item in unit]
        # One vendor call, one breaker observation (not one per item of the chunk).
        transient = [s for s in steps if _is_transient(s)]
        if transient:
            self.breaker.record_failure(first.account)
        else:
            self.breaker.record_success(first.account)
        # All the chunk's outcomes in one transaction (executemany), each still a
        # compare-and-set on its lease with its own audit record.
        await finish([(i, self._hold_if_open(i, s)) for i, s in zip(unit, steps, strict=True)])

    def _chunk_step(self, item: Claim, result: OperationResult | None) -> Step:
        verb = Verb(item.op.verb)
        action = f"operation.{verb}.outcome"
        changes: dict[str, Any]
        if result is not None and result.outcome in (
            OperationOutcome.APPLIED,
            OperationOutcome.ALREADY_IN_STATE,
        ):
            changes = {
                "state_after": (result.state_after or TARGET_STATE[verb]).value,
                "error_code": None,
                "error_message": None,
            }
            if result.vendor_request_id:
                changes["vendor_request_id"] = result.vendor_request_id
            return Step(Status.SUCCEEDED, result.outcome, action, changes, {"native": True})
        # Failed inside the chunk: back to the queue as a recovering single item (read
        # back first), so nothing is ever resent blind.
        changes = {
            "next_attempt_at": self.clock(),
            "error_code": result.error_code if result else "VENDOR.UNAVAILABLE",
            "error_message": result.error_message if result else "no result in the chunk",
            "vendor_request_id": result.vendor_request_id if result else None,
        }
        return Step(Status.PENDING, None, f"operation.{verb}.retry", changes, {"phase": "apply"})

    def _after(self, item: Claim, step: Step) -> Step:
        """Tell the breaker how the item's call went, then :meth:`_hold_if_open`."""
        if _is_transient(step):
            self.breaker.record_failure(item.op.account)
        elif step.status in _GOOD:
            self.breaker.record_success(item.op.account)
        return self._hold_if_open(item, step)

    def _hold_if_open(self, item: Claim, step: Step) -> Step:
        """A transient failure while the breaker is not closed holds the item (no attempt
        spent) instead of retrying it by the policy or failing it."""
        if _is_transient(step) and self.breaker.state(item.op.account) is not BreakerState.CLOSED:
            return self._hold(item, step)
        return step

    def _hold(self, item: Claim, step: Step) -> Step:
        wait = max(self.breaker.retry_in(item.op.account), 0.2)
        changes = {
            **step.changes,
            "next_attempt_at": self.clock() + timedelta(seconds=wait),
            # Not an attempt of the item: the next claim brings it back to this count, and
            # ≥ 2 there means "read back before sending".
            "attempts": max(item.op.attempts - 1, 1),
        }
        details = {**step.details, "phase": item.phase.value, "held_by_breaker": True}
        return Step(Status.PENDING, None, f"operation.{item.op.verb}.held", changes, details)

    # -- batch life cycle ----------------------------------------------------------------

    async def _housekeeping(self, now: datetime) -> None:
        if time.monotonic() - self._last_housekeeping < _HOUSEKEEPING_S:
            return
        self._last_housekeeping = time.monotonic()
        if not self.db.is_sqlite and time.monotonic() - self._last_purge >= _PURGE_S:
            self._last_purge = time.monotonic()
            await purge_quota(self.db, now)
        await self.advance_batches(now)

    async def advance_batches(self, now: datetime) -> None:
        """Mark batches running once work started, completed once no item needs the worker."""
        active = (BatchStatus.PENDING.value, BatchStatus.RUNNING.value)
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(Batch.id, Batch.status).where(Batch.status.in_(active))
                )
            ).all()
            waiting = await session.scalar(
                select(Batch.id).where(Batch.status == BatchStatus.AWAITING_APPROVAL).limit(1)
            )
        if waiting is not None:
            from .approvals import reject_expired  # here: it imports the API's problems

            async with self.db.write() as tx:
                await reject_expired(tx, self.trail, now)
        for batch_id, status in rows:
            await self._advance(batch_id, status, now)

    async def _advance(self, batch_id: str, status: str, now: datetime) -> None:
        counts, _ = await count_items(self.db, batch_id)
        active = (BatchStatus.PENDING.value, BatchStatus.RUNNING.value)
        if counts.pending or counts.in_flight or counts.awaiting_approval:
            started = counts.in_flight or counts.succeeded or counts.failed
            if status == BatchStatus.PENDING and started:
                async with self.db.write() as tx:
                    await tx.execute(
                        update(Batch)
                        .where(Batch.id == batch_id, Batch.status == BatchStatus.PENDING)
                        .values(status=BatchStatus.RUNNING.value, updated_at=now)
                    )
            return
        async with self.db.write() as tx:
            done = await tx.execute(
                update(Batch)
                .where(Batch.id == batch_id, Batch.status.in_(active))
                .values(
                    status=BatchStatus.COMPLETED.value,
                    finished_at=now,
                    updated_at=now,
                    counts=counts.model_dump(),
                )
            )
            if getattr(done, "rowcount", 0) == 1:  # one replica records the completion
                await self.trail.append(
                    tx,
                    AuditEntry(
                        actor=SYSTEM_ACTOR,
                        action="batch.complete",
                        outcome="completed",
                        batch_id=batch_id,
                        details=counts.model_dump(),
                    ),
                )
