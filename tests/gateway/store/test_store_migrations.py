"""Migrations create exactly the declared schema, on both backends, and are repeatable."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Connection

from interlock_gateway.store import Database, current_revision, head_revision, upgrade
from interlock_gateway.store.tables import GENESIS_HASH, AuditHead, Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_creates_the_declared_schema(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None
    await upgrade(empty_database_url)
    assert await current_revision(empty_database_url) == head_revision() == "0001"
    db = Database(empty_database_url)
    try:
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
        async with db.session() as session:
            head = (await session.execute(select(AuditHead.last_seq, AuditHead.last_hash))).one()
        assert tuple(head) == (0, GENESIS_HASH)
    finally:
        await db.dispose()


async def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    await upgrade(database_url)
    assert await current_revision(database_url) == head_revision()


async def test_concurrent_upgrades_take_turns(empty_database_url: str) -> None:
    await asyncio.gather(*(upgrade(empty_database_url) for _ in range(3)))
    assert await current_revision(empty_database_url) == head_revision()
