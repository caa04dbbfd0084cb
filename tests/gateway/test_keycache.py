"""The key cache: an accepted key is remembered for ``ttl`` (and no longer), refused keys are
never remembered, and ``ttl = 0`` looks every key up (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from interlock_gateway import keycache
from interlock_gateway.keycache import KeyCache
from interlock_gateway.principals import create_principal, revoke_principal
from interlock_gateway.store import Database


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts database lookups (the real ones still run)."""
    seen: list[str] = []
    real = keycache.authenticate

    async def counting(db: Database, key: str) -> object:
        seen.append(key[:12])
        return await real(db, key)

    monkeypatch.setattr(keycache, "authenticate", counting)
    return seen


async def add_key(db: Database, name: str) -> str:
    async with db.write() as session:
        return (await create_principal(session, name, "manager")).key


async def revoke(db: Database, name: str) -> None:
    async with db.write() as session:
        await revoke_principal(session, name)


async def test_an_accepted_key_is_remembered_for_the_ttl_only(
    db: Database, lookups: list[str]
) -> None:
    clock = Monotonic()
    cache = KeyCache(db, timedelta(seconds=1), monotonic=clock)
    key = await add_key(db, "alice")
    first = await cache.authenticate(key)
    assert first is not None
    assert first.principal.name == "alice"
    await revoke(db, "alice")
    clock.now += 0.9  # inside the window: the stated price of the cache
    assert await cache.authenticate(key) == first
    assert len(lookups) == 1
    clock.now += 0.2  # the window has passed: looked up again, and refused
    assert await cache.authenticate(key) is None
    assert len(lookups) == 2


async def test_refused_keys_are_never_remembered(db: Database, lookups: list[str]) -> None:
    cache = KeyCache(db, timedelta(seconds=60), monotonic=Monotonic())
    key = await add_key(db, "bob")
    wrong = key[:-4] + "AAAA" if not key.endswith("AAAA") else key[:-4] + "BBBB"
    assert await cache.authenticate(wrong) is None
    assert await cache.authenticate(wrong) is None
    assert await cache.authenticate("not-a-key") is None
    assert len(lookups) == 3
    assert await cache.authenticate(key) is not None  # a near miss did not shadow the real key


async def test_zero_ttl_looks_every_key_up(db: Database, lookups: list[str]) -> None:
    cache = KeyCache(db, timedelta(0), monotonic=Monotonic())
    key = await add_key(db, "carol")
    assert await cache.authenticate(key) is not None
    await revoke(db, "carol")
    assert await cache.authenticate(key) is None  # the revocation counts at once
    assert len(lookups) == 2
