"""Migrations create exactly the declared schema, on both backends, and are repeatable."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from interlock_gateway.principals import list_principals
from interlock_gateway.store import Database, current_revision, head_revision, upgrade
from interlock_gateway.store.migrate import alembic_config
from interlock_gateway.store.tables import GENESIS_HASH, AuditHead, Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_creates_the_declared_schema(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None
    await upgrade(empty_database_url)
    assert await current_revision(empty_database_url) == head_revision() == "0009"
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


_APPROVAL = (
    "INSERT INTO batches (id, action, reason_code, actor, status, item_count, counts, "
    "created_at, updated_at) VALUES ('b1', 'pause', 'other', 'alice', 'awaiting_approval', 1, "
    "'{}', :now, :now);"
    " INSERT INTO approvals (id, batch_id, request_hash, requester, state, created_at, "
    "expires_at) VALUES ('a1', 'b1', 'h', 'alice', :state, :now, :now)"
)


async def _insert_approval(db: Database, state: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    async with db.engine.begin() as connection:
        for statement in _APPROVAL.split(";"):
            await connection.execute(text(statement), {"now": now, "state": state})


async def _approval_state(db: Database) -> str:
    async with db.engine.connect() as connection:
        state: str = (await connection.execute(text("SELECT state FROM approvals"))).scalar_one()
    return state


async def test_0003_allows_cancelled_approvals_keeps_rows_and_downgrades_them_to_rejected(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url, "0002")
    db = Database(empty_database_url)
    try:
        with pytest.raises(IntegrityError):
            await _insert_approval(db, "cancelled")  # not a state before 0003
        await _insert_approval(db, "pending")
        await upgrade(empty_database_url)
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
        assert await _approval_state(db) == "pending"  # the table rebuild kept the row
        async with db.engine.begin() as connection:
            await connection.execute(text("UPDATE approvals SET state = 'cancelled'"))
        async with db.engine.begin() as connection:
            await connection.run_sync(_downgrade, "0002")
        assert await _approval_state(db) == "rejected"
    finally:
        await db.dispose()


async def test_0004_sets_aside_grants_without_an_account_and_keeps_the_scoped_ones(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url, "0003")
    db = Database(empty_database_url)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO principals (name, role, positions, departments, tenant, "
                    "created_at) VALUES ('alice', 'specialist', :p, :d, 'default', :now)"
                ),
                {"p": '["p-1", "hq/p-2"]', "d": '["sales"]', "now": now},
            )
        await upgrade(empty_database_url)
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
        async with db.session() as session:
            (alice,) = await list_principals(session)
        assert alice.positions == ("hq/p-2",)  # named its account: still granted
        assert alice.departments == ()
        assert alice.legacy_grants == {"positions": ("p-1",), "departments": ("sales",)}
        assert alice.vendor_users == {}
        async with db.engine.begin() as connection:
            await connection.run_sync(_downgrade, "0003")
        async with db.engine.connect() as connection:
            row = (await connection.execute(text("SELECT positions FROM principals"))).scalar_one()
        assert sorted(row if isinstance(row, list) else json.loads(row)) == ["hq/p-2", "p-1"]
    finally:
        await db.dispose()
