"""Access tokens: cached, refreshed once for many waiters (single flight), never printed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["Token", "TokenCache"]


@dataclass(frozen=True)
class Token:
    """An access token and when it stops being usable (monotonic seconds)."""

    value: str = field(repr=False)
    expires_at: float

    @classmethod
    def expiring_in(
        cls, value: str, seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> Token:
        return cls(value=value, expires_at=clock() + seconds)

    def __repr__(self) -> str:
        return f"Token(value='***', expires_at={self.expires_at:.0f})"


class TokenCache:
    """Hands out a valid token, fetching a new one at most once at a time.

    Fifty callers arriving after expiry wait on one fetch (single flight), and share its
    outcome: when the fetch fails, they all get that error instead of each trying again in
    turn. ``invalidate`` is how the client reacts to the vendor's "token expired" signal: only
    the token that failed is dropped, so a token another caller already refreshed is kept.

    A token is refreshed ``refresh_margin_s`` before it expires, but never earlier than half
    way through its life, so that a vendor issuing short-lived tokens does not cost one token
    request per call.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Token]],
        *,
        refresh_margin_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._margin = refresh_margin_s
        self._clock = clock
        self._token: Token | None = None
        self._refresh_at = 0.0
        self._inflight: asyncio.Future[Token] | None = None
        self.fetch_count = 0

    async def get(self) -> str:
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token.value
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._refresh())
            self._inflight.add_done_callback(self._settle)
        # shield: a caller that gives up must not cancel the fetch the others wait for
        return (await asyncio.shield(self._inflight)).value

    async def _refresh(self) -> Token:
        self.fetch_count += 1
        fetched_at = self._clock()
        token = await self._fetch()
        lifetime = max(0.0, token.expires_at - fetched_at)
        self._token = token
        self._refresh_at = token.expires_at - min(self._margin, lifetime / 2)
        return token

    def _settle(self, done: asyncio.Future[Token]) -> None:
        self._inflight = None
        if not done.cancelled():
            done.exception()  # retrieved here, so a failure nobody awaited is not reported

    def invalidate(self, value: str) -> None:
        if self._token is not None and self._token.value == value:
            self._token = None

    def __repr__(self) -> str:
        return f"<TokenCache cached={self._token is not None} fetches={self.fetch_count}>"
