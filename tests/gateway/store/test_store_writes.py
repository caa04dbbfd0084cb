"""``Database.run``: write bodies commit before the caller hears back, fail alone, and on
SQLite share commits (group commit) — on both backends where the semantics are shared."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from interlock_gateway.store import Database
from interlock_gateway.store.tables import VendorQuota

MOMENT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def add_slot(name: str, *, fail: bool = False) -> Callable[[Session], str]:
    """A body that stores a quota slot named ``name`` (and then raises, if ``fail``)."""

    def body(session: Session) -> str:
        session.add(VendorQuota(account="test", api=name, window_start=MOMENT, count=1))
        session.flush()
        if fail:
            raise ValueError(f"body {name} refuses")
        group: str = session.info.setdefault("group", uuid.uuid4().hex)
        return group

    return body


async def stored_names(url: str) -> set[str]:
    """What another connection (another Database) sees: only committed rows."""
    other = Database(url)
    try:
        async with other.session() as session:
            return set((await session.scalars(select(VendorQuota.api))).all())
    finally:
        await other.dispose()


async def test_a_body_is_committed_before_run_returns(db: Database, database_url: str) -> None:
    await db.run(add_slot("first"))
    assert await stored_names(database_url) == {"first"}


async def test_a_failing_body_fails_alone(db: Database, database_url: str) -> None:
    bodies = [add_slot(f"ok-{i}", fail=(i == 4)) for i in range(10)]
    results = await asyncio.gather(*(db.run(b) for b in bodies), return_exceptions=True)
    assert isinstance(results[4], ValueError)
    assert str(results[4]) == "body ok-4 refuses"
    assert all(isinstance(r, str) for i, r in enumerate(results) if i != 4)
    assert await stored_names(database_url) == {f"ok-{i}" for i in range(10) if i != 4}


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL: a transaction each


@SQLITE_ONLY
async def test_concurrent_bodies_share_commits_on_sqlite(db: Database, database_url: str) -> None:
    groups = await asyncio.gather(*(db.run(add_slot(f"n-{i}")) for i in range(40)))
    # Forty writers, far fewer transactions: each body saw the session of its group.
    assert len(set(groups)) < 20
    assert len(await stored_names(database_url)) == 40


@SQLITE_ONLY
async def test_a_body_cancelled_before_it_started_is_not_written(
    db: Database, database_url: str
) -> None:
    async with db.write():  # holds the write lock: the body below waits in the queue
        waiting = asyncio.create_task(db.run(add_slot("cancelled")))
        await asyncio.sleep(0.05)
        waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await db.run(add_slot("after"))
    assert await stored_names(database_url) == {"after"}


@SQLITE_ONLY
async def test_async_writers_and_bodies_take_turns_on_sqlite(
    db: Database, database_url: str
) -> None:
    async def async_writer(i: int) -> None:
        async with db.write() as session:
            session.add(VendorQuota(account="test", api=f"async-{i}", window_start=MOMENT, count=1))

    await asyncio.gather(
        *(async_writer(i) for i in range(10)),
        *(db.run(add_slot(f"body-{i}")) for i in range(10)),
    )
    names = await stored_names(database_url)
    assert names == {f"async-{i}" for i in range(10)} | {f"body-{i}" for i in range(10)}


async def test_dispose_twice_is_harmless(database_url: str) -> None:
    database = Database(database_url)
    await database.run(add_slot("once"))
    await database.dispose()
    await database.dispose()
    assert await stored_names(database_url) == {"once"}
