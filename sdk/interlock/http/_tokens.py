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

    Fifty callers arriving after expiry wait on one fetch (single flight). ``invalidate`` is
    how the client reacts to the vendor's "token expired" signal: only the token that failed
    is dropped, so a token another caller already refreshed is kept.
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
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    def _usable(self, token: Token | None) -> bool:
        return token is not None and token.expires_at - self._margin > self._clock()

    async def get(self) -> str:
        token = self._token
        if token is not None and self._usable(token):
            return token.value
        async with self._lock:
            token = self._token
            if token is None or not self._usable(token):
                self.fetch_count += 1
                token = await self._fetch()
                self._token = token
            return token.value

    def invalidate(self, value: str) -> None:
        if self._token is not None and self._token.value == value:
            self._token = None

    def __repr__(self) -> str:
        return f"<TokenCache cached={self._token is not None} fetches={self.fetch_count}>"
