"""Vendor quotas shared by every replica: a :class:`~interlock.http.RateLimiter` on the database.

Each ``{account}:{api}`` key gets a call *slot* every ``1 / (limit × share)`` seconds. A caller
reserves the earliest free slot with ``INSERT … ON CONFLICT DO NOTHING`` into ``vendor_quota``
(one row per slot, ``count`` = calls in it), then sleeps until the slot starts. The primary
key makes a slot unique across replicas, so the vendor sees at most one call per slot in
total, and any sliding second holds at most ``ceil(limit × share) + 1`` slots — within the
vendor's limit for every limit ≥ 5/s at the default share of 80 %. (Fixed one-second
windows would let two windows' worth land in one sliding second.)

On SQLite (one replica by design) the in-process token bucket gives the same spacing
without a write transaction per vendor call. Slot times come from the wall clock, so
replicas on several hosts need synchronised clocks (NTP); see docs/decisions/batches.md.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql

from interlock.adapter import InterviewAdapter

from .store.engine import Database
from .store.tables import VendorQuota

__all__ = [
    "LocalRateLimiter",
    "SharedRateLimiter",
    "account_rate",
    "build_limiter",
    "purge_quota",
    "slack",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_SCAN = 10_000  # slots looked at per acquire before giving up the hint and re-reading


def _slot_start(index: int, interval: float) -> datetime:
    # Integer microseconds, so every replica derives the identical key for a slot.
    return _EPOCH + timedelta(microseconds=round(index * interval * 1_000_000))


class SharedRateLimiter:
    """Spaces calls per ``account:api`` at ``rate`` per second across all replicas.

    :param db: the shared (PostgreSQL) database.
    :param rates: account → allowed calls per second (the vendor limit × share already).
    """

    def __init__(
        self,
        db: Database,
        rates: dict[str, float],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.db = db
        self.rates = dict(rates)
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._next: dict[str, int] = {}  # per key: first slot not known to be taken

    def rate(self, key: str) -> float | None:
        """Allowed calls per second for ``key`` (``account:api``), or None (unlimited)."""
        return self.rates.get(key.split(":", 1)[0])

    async def acquire(self, key: str, cost: int = 1) -> None:
        """Reserve ``cost`` slots for ``key`` and wait until the last one starts."""
        rate = self.rate(key)
        if rate is None:
            return
        start = 0.0
        # One reserver per key and process: local callers queue here instead of racing
        # each other for the same rows.
        async with self._locks.setdefault(key, asyncio.Lock()):
            for _ in range(max(1, cost)):
                start = await self._reserve(key, 1.0 / rate)
        wait = start - self._clock()
        if wait > 0:
            await self._sleep(wait)

    async def _reserve(self, key: str, interval: float) -> float:
        account, _, api = key.partition(":")
        # A caller woken late may take a free slot up to ``slack`` slots in the past (see
        # ``slack``), so the event loop's lateness does not waste the vendor's quota.
        earliest = math.ceil(self._clock() / interval) - slack(1.0 / interval) + 1
        index = max(earliest, self._next.get(key, 0))
        for _ in range(_MAX_SCAN):
            statement = (
                postgresql.insert(VendorQuota)
                .values(
                    account=account,
                    api=api or "-",
                    window_start=_slot_start(index, interval),
                    count=1,
                )
                .on_conflict_do_nothing()
                .returning(VendorQuota.count)
            )
            async with self.db.write() as session:
                taken = (await session.execute(statement)).scalar_one_or_none()
            if taken is not None:
                self._next[key] = index + 1
                return index * interval
            index += 1  # another replica holds this slot
        raise RuntimeError(f"no free vendor-quota slot for {key} in {_MAX_SCAN} slots")


class LocalRateLimiter:
    """The single-replica (SQLite) variant: the same slots, kept in memory.

    Each ``account:api`` key hands out start times ``1 / rate`` apart, first come first
    served (the generic cell rate algorithm): a caller takes the next free start and sleeps
    until it. A token bucket would do the same spacing but not the same order — a newcomer
    can catch a token between two wake-ups of those already waiting — and the lanes
    (lanes.py) rely on the order: an interactive call must queue behind only the calls
    already reserved. A start may lie up to ``slack - 1`` slots in the past, so a caller
    woken late does not waste the quota and an idle key may send ``slack`` calls at once —
    the same allowance as the token bucket it replaces.

    :param rates: account → allowed calls per second.
    """

    def __init__(
        self,
        rates: dict[str, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rates = dict(rates)
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}  # per key: the first start not yet handed out

    async def acquire(self, key: str, cost: int = 1) -> None:
        """Take the next ``cost`` starts for ``key`` and wait until the last one."""
        rate = self.rates.get(key.split(":", 1)[0])
        if rate is None:
            return
        interval = 1.0 / rate
        now = self._clock()
        start = max(self._next.get(key, 0.0), now - (slack(rate) - 1) * interval)
        self._next[key] = start + max(1, cost) * interval
        wait = start + (max(1, cost) - 1) * interval - now
        if wait > 0:
            await self._sleep(wait)


def slack(rate: float) -> int:
    """Calls a limiter may send early to make up for a waiter the event loop woke late.

    Without any, every late wake-up is time lost for good (a bucket of one token cannot
    save up), which cost ~12 % of throughput under load. At the default share of 80 % the
    vendor's limit leaves a quarter of our rate as headroom; half of that is spent here, so
    no sliding second sees more than ``rate + slack`` ≤ the vendor's limit.
    """
    return max(1, math.floor(rate / 8))


def account_rate(
    adapter: InterviewAdapter, fallback_qps: float | None, fallback_share: float
) -> float | None:
    """Allowed calls per second: the adapter's ``vendor_qps × rate_share`` options where it
    has them (DingTalk, Beisen, sandbox), else the gateway's configured limit for it."""
    options = adapter.context.options
    qps = getattr(options, "vendor_qps", None) or fallback_qps
    share = getattr(options, "rate_share", None) or fallback_share
    return None if not qps else float(qps) * float(share)


def build_limiter(db: Database) -> SharedRateLimiter | LocalRateLimiter:
    """The gateway's limiter: shared through ``vendor_quota`` on PostgreSQL, local on SQLite.

    Pass it to :meth:`interlock.Interlock.from_accounts` (``rate_limiter=``), then fill
    ``rates`` from the built adapters with :func:`account_rate`.
    """
    return LocalRateLimiter({}) if db.is_sqlite else SharedRateLimiter(db, {})


async def purge_quota(db: Database, now: datetime, keep: timedelta = timedelta(minutes=1)) -> None:
    """Delete slots older than ``keep`` (they only ever mattered for one second)."""
    async with db.write() as session:
        await session.execute(delete(VendorQuota).where(VendorQuota.window_start < now - keep))
