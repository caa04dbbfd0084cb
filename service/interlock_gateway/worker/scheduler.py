"""Claiming batch items per account: units, concurrency, the circuit breaker.

The worker's own claim takes single operations; batch items are claimed here, *per account*:
at most the account's concurrency in flight (units: single items, or native chunks), none
while the account's circuit breaker is open, one probe while it is half-open. Claims use the
same queue (``FOR UPDATE SKIP LOCKED`` + leases on PostgreSQL, one writer on SQLite), so
replicas share the work and a dead replica's items return after their lease.

A unit is one item, or — with native batch calls on — a chunk of up to the adapter's
``native_batch_size`` first-attempt items of one batch and verb, sent as one vendor call
(chunking happens here and nowhere else in the gateway). An item tried before is read back
on its own first, and the undo window's later phases are per item.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from interlock.models import Verb

from ..operations.context import Context
from ..operations.phases import Phase, phase_of
from ..store.tables import Operation, OperationKind, OperationStatus
from .breaker import BreakerState, CircuitBreaker
from .queue import Claim, claim, reserve_row

__all__ = ["Scheduler"]

Status = OperationStatus
_NATIVE_ITEMS_IN_FLIGHT = 400  # per account and process, in native chunks
_ChunkKey = tuple[str | None, str]
"""A native chunk's items share a batch and a verb."""


def _due_batch_items(now: datetime) -> ColumnElement[bool]:
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


class Scheduler:
    """Which batch items of which account run next, and how many at once."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        settings = ctx.batches
        self.breaker = CircuitBreaker(
            threshold=settings.breaker_threshold,
            cooldown_s=settings.breaker_cooldown,
            max_cooldown_s=settings.breaker_max_cooldown,
            clock=lambda: ctx.clock().timestamp(),  # the injected clock, so tests can move it
        )
        self._units: Counter[str] = Counter()

    @property
    def idle(self) -> bool:
        """No unit of any account runs in this process."""
        return not +self._units

    def claim_started(self, account: str) -> None:
        """A unit of ``account`` began (counted against its concurrency)."""
        self._units[account] += 1

    def unit_ended(self, account: str) -> None:
        """A unit of ``account`` ended: its room is free again."""
        self._units[account] -= 1

    async def claim(self, owner: str, now: datetime, lease: timedelta) -> list[list[Claim]]:
        """Claim due batch items, per account, grouped into units."""
        async with self.ctx.db.session() as session:
            accounts = (
                await session.scalars(
                    select(Operation.account).where(_due_batch_items(now)).distinct()
                )
            ).all()
        # Free units are read here, in the event loop: ``fit`` runs in the claim's body (the
        # writer thread on SQLite) and reads nothing but the accounts' configuration.
        free = {account: n for account in accounts if (n := self._free_units(account))}
        # Claimed together: on SQLite the group commit makes them one transaction.
        claimed = await asyncio.gather(
            *(
                claim(
                    self.ctx.db,
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
                self.claim_started(account)
                units.append(unit)
        return units

    def reserve(
        self, rows: Sequence[dict[str, Any]], *, owner: str, now: datetime, lease: timedelta
    ) -> list[list[Claim]]:
        """Reserve a new batch's first wave before its rows are inserted: up to each account's
        room, ``pending`` rows are changed to be stored in flight under ``owner``'s lease."""
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
            claims = [
                reserve_row(row, owner=owner, now=now, lease=lease)
                for row in account_rows[:fitting]
            ]
            for unit in self._group(account, claims):
                self.claim_started(account)
                units.append(unit)
        return units

    def release(self, units: Iterable[list[Claim]]) -> None:
        """Give back reserved units that will not run here."""
        for unit in units:
            self.unit_ended(unit[0].op.account)

    # -- sizing ------------------------------------------------------------------------------

    def _largest_chunk(self, account: str) -> int:
        return max(1, *(self.ctx.native_size(account, verb) for verb in Verb))

    def _free_units(self, account: str) -> int:
        """How many more units of the account this process may run now (0: none)."""
        state = self.breaker.state(account)
        if state is BreakerState.OPEN or account not in self.ctx.interlock.accounts:
            return 0
        cap = 1 if state is BreakerState.HALF_OPEN else self.ctx.concurrency(account)
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
        size = self.ctx.native_size(account, Verb(verb))
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
