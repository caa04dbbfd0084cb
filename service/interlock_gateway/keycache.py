"""Request authentication with a short in-process memory of recently checked keys.

Every ``/v1`` request carries a key, and looking it up is a database read (a thread hop per
statement on SQLite) — at a few hundred requests a second it was a tenth of the gateway's CPU.
A key that authenticated within the last ``ttl`` is answered from memory instead.

The price is bounded and stated: a key revoked elsewhere (the CLI, another replica) keeps
working for at most ``ttl`` in a process that accepted it just before. Unknown or refused
keys are never remembered, so a revoked key is refused from the first lookup after the
window, and guessing keys costs a database read each time as before. The same bound holds
for a change of what a principal owns; the process that makes the change forgets the
principal's keys at once (:meth:`KeyCache.forget`). Entries are keyed by the key's SHA-256,
never the key itself.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta

from .principals import Authenticated, authenticate
from .store.engine import Database

__all__ = ["KeyCache"]

_MAX_ENTRIES = 4096


class KeyCache:
    """Authenticates keys through :func:`~.principals.authenticate`, remembering successes."""

    def __init__(
        self,
        db: Database,
        ttl: timedelta,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        on_forget: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self._on_forget = on_forget  # what else remembers principals (console sign-ins)
        self.ttl = ttl.total_seconds()
        self._monotonic = monotonic
        self._seen: OrderedDict[bytes, tuple[float, Authenticated]] = OrderedDict()

    async def authenticate(self, key: str) -> Authenticated | None:
        """The principal behind ``key``, or ``None`` (unknown, malformed, wrong or revoked)."""
        if self.ttl <= 0:
            return await authenticate(self.db, key)
        digest = hashlib.sha256(key.encode()).digest()
        now = self._monotonic()
        remembered = self._seen.get(digest)
        if remembered is not None and now < remembered[0]:
            return remembered[1]
        found = await authenticate(self.db, key)
        if found is None:
            self._seen.pop(digest, None)
            return None
        self._seen[digest] = (now + self.ttl, found)
        self._seen.move_to_end(digest)
        while len(self._seen) > _MAX_ENTRIES:
            self._seen.popitem(last=False)
        return found

    def forget(self, principal: str) -> None:
        """Forget every remembered key of ``principal`` (its links or role just changed)."""
        stale = [d for d, (_, found) in self._seen.items() if found.principal.name == principal]
        for digest in stale:
            del self._seen[digest]
        if self._on_forget is not None:
            self._on_forget(principal)
