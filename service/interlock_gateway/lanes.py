"""Fair use of a vendor's quota: interactive operations first, bulk reads and batches share
the rest, principal by principal.

A vendor allows so many calls per second per account (the account limiter in
:mod:`.quota` keeps every replica together under it). Without lanes a preview of 1,000 names
reserves the next 1,000 slots, and an HR user's single pause queues behind all of them. So
every vendor call runs in a *lane*, set by the operation that makes it:

* **interactive** (the default: single operations, undo, session reads) goes straight to the
  account limiter;
* **bulk** (previews, batch resolution, batch items) takes turns: per account and process,
  one bulk call at a time may hold a reserved slot, and principals waiting for the turn are
  served round robin — so an interactive call waits behind at most one bulk slot per
  replica, and one specialist's 1,000-name preview cannot starve another's. Bulk work still
  gets every slot no one else wants (work-conserving: a batch alone runs at the full rate).

The lane travels in a :class:`~contextvars.ContextVar`: tasks inherit it, and the SDK's HTTP
client needs to know nothing about it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from interlock.http import RateLimiter

__all__ = ["FairLimiter", "Lane", "RoundRobin", "bulk", "current_lane"]


class Lane(StrEnum):
    """Who is waiting on the vendor: a person at a screen, or a batch."""

    INTERACTIVE = "interactive"
    BULK = "bulk"


@dataclass(frozen=True, slots=True)
class _InLane:
    lane: Lane
    principal: str


_INTERACTIVE = _InLane(Lane.INTERACTIVE, "")
_current: ContextVar[_InLane | None] = ContextVar("interlock_quota_lane", default=None)


def current_lane() -> tuple[Lane, str]:
    """The lane (and its principal) of vendor calls made here."""
    here = _current.get() or _INTERACTIVE
    return here.lane, here.principal


@contextlib.contextmanager
def bulk(principal: str) -> Iterator[None]:
    """Vendor calls made inside (and in tasks started inside) use the bulk lane."""
    token = _current.set(_InLane(Lane.BULK, principal))
    try:
        yield
    finally:
        _current.reset(token)


class RoundRobin:
    """One turn at a time, cycling through the principals that wait (each principal's own
    waiters in order). A principal alone gets every turn; two get every other one."""

    def __init__(self) -> None:
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._busy = False

    @contextlib.asynccontextmanager
    async def turn(self, principal: str) -> AsyncIterator[None]:
        """Wait for ``principal``'s turn; the turn ends with the block."""
        if self._busy:
            granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(principal, deque()).append(granted)
            try:
                await granted
            except asyncio.CancelledError:
                if granted.done() and not granted.cancelled():
                    self._pass_on()  # the turn came as we were cancelled: hand it on
                else:
                    self._withdraw(principal, granted)
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._pass_on()

    def _withdraw(self, principal: str, granted: asyncio.Future[None]) -> None:
        waiters = self._waiting.get(principal)
        if waiters is not None and granted in waiters:
            waiters.remove(granted)
            if not waiters:
                del self._waiting[principal]

    def _pass_on(self) -> None:
        while self._waiting:
            principal, waiters = self._waiting.popitem(last=False)
            granted = waiters.popleft()
            if waiters:
                self._waiting[principal] = waiters  # to the back: others go first
            if not granted.done():
                granted.set_result(None)
                return
        self._busy = False


class FairLimiter:
    """The gateway's vendor limiter: the account limiter, behind lanes.

    A bulk call waits for its principal's turn (round robin per account) and keeps the turn
    while the account limiter holds it back, so bulk work of this process never has more
    than one slot reserved ahead: an interactive call queues behind at most that one, and
    when no one else waits, bulk work still gets every slot (nothing is held in reserve).

    :param account: spaces every call of an account at its rate (``rates``: account → calls
        per second; filled after the adapters are built).
    """

    def __init__(self, account: RateLimiter) -> None:
        self.account = account
        self._turns: dict[str, RoundRobin] = {}

    @property
    def rates(self) -> dict[str, float]:
        """Account → calls per second."""
        rates: dict[str, float] = self.account.rates  # type: ignore[attr-defined]
        return rates

    async def acquire(self, key: str, cost: int = 1) -> None:
        """Wait until ``cost`` more calls on ``key`` (``account:api``) may go out."""
        lane, principal = current_lane()
        if lane is Lane.INTERACTIVE:
            await self.account.acquire(key, cost)
            return
        account = key.split(":", 1)[0]
        async with self._turns.setdefault(account, RoundRobin()).turn(principal):
            await self.account.acquire(key, cost)
