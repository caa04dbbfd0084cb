"""Console sign-ins: an API key exchanged for a server-side session, kept in the database.

The browser holds a random token in a cookie; the database keeps only its SHA-256, the
principal, which key signed in (revoking that key or the principal ends the sign-in at once)
and the CSRF token of the sign-in's forms. A sign-in ends after ``idle`` without a request
or ``lifetime`` after it began, whichever comes first, or when its user signs out. Every
replica reads the same rows, so a user can land on any of them.

Like API keys (``keycache.py``), a sign-in found live is remembered in the process for
``remember`` (the gateway passes ``key_cache_ttl``, 1 s by default): a page and the requests
that follow it within that window cost no database read, as the API's key check costs none.
The bound is the API's: a sign-in ended or a key revoked on another replica keeps working
for at most ``remember`` here; signing out here, and a change to the principal made here
(:meth:`SignIns.forget`), take effect at once. Idle and absolute expiry are checked on every
request, remembered or not.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update

from .clock import Clock, system_clock
from .principals import Authenticated, PrincipalInfo
from .store.engine import Database
from .store.tables import ApiKey, ConsoleSession, Principal

__all__ = ["SignIn", "SignIns"]

#: ``last_seen_at`` is written at most this often per sign-in (a write per page view would
#: serialise every console request on SQLite's one writer for no gain in precision).
TOUCH_INTERVAL = timedelta(seconds=30)
#: Ended and expired rows are deleted this long after they stopped mattering.
_KEEP_ENDED = timedelta(days=1)
_MAX_REMEMBERED = 4096


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignIn:
    """A live sign-in: who, with which key, its forms' CSRF token and when it ends."""

    principal: PrincipalInfo
    key_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    idle_until: datetime


class SignIns:
    """Starts, finds and ends console sign-ins.

    :param idle: a sign-in unused this long has ended.
    :param lifetime: a sign-in ends this long after it began, however active.
    """

    def __init__(
        self,
        db: Database,
        *,
        idle: timedelta,
        lifetime: timedelta,
        clock: Clock = system_clock,
        remember: timedelta = timedelta(0),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock
        self.remember = remember.total_seconds()
        self._monotonic = monotonic
        # token digest → (remembered until, monotonic; the sign-in; its last_seen_at)
        self._seen: OrderedDict[str, tuple[float, SignIn, datetime]] = OrderedDict()

    async def start(self, authenticated: Authenticated) -> tuple[str, SignIn]:
        """A new sign-in for a key that just authenticated: ``(cookie token, sign-in)``."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.lifetime
        async with self.db.write() as session:
            await session.execute(delete(ConsoleSession).where(_stale(now)))
            session.add(
                ConsoleSession(
                    id=_digest(token),
                    principal_id=authenticated.principal.id,
                    key_id=authenticated.key_id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires,
                )
            )
        return token, SignIn(
            principal=authenticated.principal,
            key_id=authenticated.key_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
            idle_until=min(expires, now + self.idle),
        )

    async def find(self, token: str) -> SignIn | None:
        """The live sign-in behind ``token``, or ``None`` (unknown, ended, expired, idle too
        long, or its key or principal revoked). Marks it as used."""
        now = self.clock()
        digest = _digest(token)
        remembered = self._seen.get(digest)
        if remembered is not None and self._monotonic() < remembered[0]:
            _, signin, last_seen = remembered
            if now < signin.expires_at and now - last_seen < self.idle:
                return replace(signin, idle_until=min(signin.expires_at, now + self.idle))
            self._seen.pop(digest, None)
            return None
        async with self.db.session() as session:
            found = (
                await session.execute(
                    select(ConsoleSession, Principal, ApiKey)
                    .join(Principal, ConsoleSession.principal_id == Principal.id)
                    .join(ApiKey, ApiKey.prefix == ConsoleSession.key_id)
                    .where(ConsoleSession.id == digest)
                )
            ).one_or_none()
        if found is None:
            self._seen.pop(digest, None)
            return None
        row, principal, key = found
        if not _live(row, now, self.idle) or principal.revoked_at or key.revoked_at:
            self._seen.pop(digest, None)
            return None
        last_seen = row.last_seen_at
        if now - last_seen >= TOUCH_INTERVAL:
            last_seen = now
            async with self.db.write() as session:
                await session.execute(
                    update(ConsoleSession)
                    .where(ConsoleSession.id == digest)
                    .values(last_seen_at=now)
                )
        signin = SignIn(
            principal=PrincipalInfo.of(principal),
            key_id=row.key_id,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            expires_at=row.expires_at,
            idle_until=min(row.expires_at, now + self.idle),
        )
        if self.remember > 0:
            self._seen[digest] = (self._monotonic() + self.remember, signin, last_seen)
            self._seen.move_to_end(digest)
            while len(self._seen) > _MAX_REMEMBERED:
                self._seen.popitem(last=False)
        return signin

    def forget(self, principal: str) -> None:
        """Forget every remembered sign-in of ``principal`` (its role or links just changed,
        or it was revoked, in this process)."""
        stale = [d for d, (_, s, _) in self._seen.items() if s.principal.name == principal]
        for digest in stale:
            del self._seen[digest]

    async def end(self, token: str) -> None:
        """Sign out: the token stops working on every replica."""
        self._seen.pop(_digest(token), None)
        async with self.db.write() as session:
            await session.execute(
                update(ConsoleSession)
                .where(ConsoleSession.id == _digest(token), ConsoleSession.ended_at.is_(None))
                .values(ended_at=self.clock())
            )


def _live(row: ConsoleSession, now: datetime, idle: timedelta) -> bool:
    return row.ended_at is None and now < row.expires_at and now - row.last_seen_at < idle


def _stale(now: datetime) -> ColumnElement[bool]:
    cutoff = now - _KEEP_ENDED
    return (ConsoleSession.expires_at < cutoff) | (ConsoleSession.ended_at < cutoff)
