"""Console sign-ins: stored server-side, idle and absolute expiry, revocation, sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from interlock_gateway.principals import authenticate, create_principal, revoke_key
from interlock_gateway.signins import SignIns
from interlock_gateway.store import Database
from interlock_gateway.store.tables import ConsoleSession


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def _signed_in(db: Database, clock: Clock) -> tuple[SignIns, str, str]:
    async with db.write() as session:
        created = await create_principal(session, "ann", "specialist", positions=["demo/p1"])
    found = await authenticate(db, created.key)
    assert found is not None
    signins = SignIns(db, idle=timedelta(minutes=30), lifetime=timedelta(hours=12), clock=clock)
    token, signin = await signins.start(found)
    assert signin.principal.positions == ("demo/p1",)
    return signins, token, created.key_id


async def test_a_sign_in_is_stored_hashed_and_found_by_another_instance(db: Database) -> None:
    clock = Clock()
    signins, token, _ = await _signed_in(db, clock)
    async with db.session() as session:
        stored = list(await session.scalars(select(ConsoleSession)))
    assert len(stored) == 1
    assert stored[0].id != token  # only the token's digest is kept
    replica = SignIns(db, idle=signins.idle, lifetime=signins.lifetime, clock=clock)
    found = await replica.find(token)
    assert found is not None
    assert found.principal.name == "ann"
    assert await replica.find(token + "x") is None


async def test_idle_and_absolute_expiry(db: Database) -> None:
    clock = Clock()
    signins, token, _ = await _signed_in(db, clock)
    clock.now += timedelta(minutes=29)
    assert await signins.find(token) is not None  # used: the idle clock restarts
    clock.now += timedelta(minutes=29)
    assert await signins.find(token) is not None
    clock.now += timedelta(minutes=31)
    assert await signins.find(token) is None  # idle too long
    signins, token, _ = await _signed_in_again(db, clock)
    for _ in range(30):  # active all day long
        clock.now += timedelta(minutes=25)
        found = await signins.find(token)
    assert found is None  # 12.5 h after it began: over, however active


async def _signed_in_again(db: Database, clock: Clock) -> tuple[SignIns, str, str]:
    async with db.write() as session:
        created = await create_principal(session, "bob", "manager", departments=["demo/rnd"])
    found = await authenticate(db, created.key)
    assert found is not None
    signins = SignIns(db, idle=timedelta(minutes=30), lifetime=timedelta(hours=12), clock=clock)
    token, _ = await signins.start(found)
    return signins, token, created.key_id


async def test_revoking_the_key_or_signing_out_ends_it(db: Database) -> None:
    clock = Clock()
    signins, token, key_id = await _signed_in(db, clock)
    await signins.end(token)
    assert await signins.find(token) is None
    signins, token, key_id = await _signed_in_again(db, clock)
    async with db.write() as session:
        await revoke_key(session, key_id)
    assert await signins.find(token) is None
