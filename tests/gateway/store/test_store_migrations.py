"""Migrations create exactly the declared schema, on both backends, and are repeatable."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from interlock_gateway.store import Database, current_revision, head_revision, upgrade
from interlock_gateway.store.migrate import alembic_config
from interlock_gateway.store.tables import GENESIS_HASH, AuditHead, Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_creates_the_declared_schema(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None
    await upgrade(empty_database_url)
    assert await current_revision(empty_database_url) == head_revision() == "0002"
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


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_0002_drops_the_unused_tables_and_its_downgrade_brings_them_back(
    empty_database_url: str,
) -> None:
    unused = {"replicas", "leases"}
    await upgrade(empty_database_url, "0001")  # a database deployed before 0002
    db = Database(empty_database_url)
    try:
        async with db.engine.connect() as connection:
            assert unused <= await connection.run_sync(_tables)
        await upgrade(empty_database_url)
        async with db.engine.connect() as connection:
            assert not unused & await connection.run_sync(_tables)
            assert await connection.run_sync(_diff) == []
        async with db.engine.begin() as connection:
            await connection.run_sync(_downgrade, "0001")
        async with db.engine.connect() as connection:
            assert unused <= await connection.run_sync(_tables)
        assert await current_revision(empty_database_url) == "0001"
    finally:
        await db.dispose()
