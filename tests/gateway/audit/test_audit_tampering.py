"""Every single-record tampering of a 10,000-record log is detected at the right record.

* 1,000 random tamperings (change a field, delete, reorder two, insert a forged record) go
  through the production verifier in memory. The verifier is a pure function of the rows,
  and each backend test below first proves that the database gives back exactly the rows
  that were hashed, so the in-memory result holds for both databases.
* On each backend, 12 more tamperings are made in the database itself (append-only triggers
  bypassed inside a transaction that is rolled back) and found by ``verify_chain``.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from interlock_gateway.audit import AuditTrail, verify_chain, verify_rows
from interlock_gateway.audit.chain import ChainRow, RowFacts
from interlock_gateway.store import Database
from interlock_gateway.store.tables import AuditRecord

from .helpers import Chain, store_chain
from .tampering import Tamper, apply_to_database, random_tamper

SIZE = 10_000


def _describe(tamper: Tamper, found: int | None, reason: str | None) -> str:
    return f"{tamper.kind} at {tamper.expected_seq}: verify said {found} ({reason})"


def test_1000_tamperings_detected_at_the_right_record(chain_10k: Chain, trail: AuditTrail) -> None:
    rows = chain_10k.rows
    assert verify_rows(rows, chain_10k.head, trail.public_keys, chain_10k.checkpoints).ok
    rng = random.Random(20260105)
    memo: dict[ChainRow, RowFacts] = {}  # rows a tampering leaves alone are inspected once
    misses = []
    kinds: dict[str, int] = {}
    for _ in range(1000):
        tamper = random_tamper(rng, SIZE)
        kind = tamper.kind.split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
        result = verify_rows(
            tamper.apply(rows), chain_10k.head, trail.public_keys, chain_10k.checkpoints, memo
        )
        if result.ok or result.first_broken_seq != tamper.expected_seq:
            misses.append(_describe(tamper, result.first_broken_seq, result.reason))
    assert misses == []
    assert set(kinds) == {"change", "delete", "reorder", "insert"}
    assert min(kinds.values()) > 150


async def _read_back(db: Database) -> list[ChainRow]:
    columns = [getattr(AuditRecord, name) for name in ChainRow._fields]
    async with db.session() as session:
        result = await session.execute(select(*columns).order_by(AuditRecord.seq))
        return [ChainRow(*row) for row in result]


async def _verify_tampered(
    connection: AsyncConnection,
    db: Database,
    trail: AuditTrail,
    rows: list[ChainRow],
    tamper: Tamper,
) -> tuple[int | None, str | None]:
    transaction = await connection.begin()
    try:
        if db.is_sqlite:
            await connection.exec_driver_sql("DROP TRIGGER audit_records_no_update")
            await connection.exec_driver_sql("DROP TRIGGER audit_records_no_delete")
        else:
            await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        await apply_to_database(connection, rows, tamper)
        async with AsyncSession(bind=connection) as session:
            result = await verify_chain(session, trail.public_keys)
        return result.first_broken_seq, result.reason
    finally:
        await transaction.rollback()  # the triggers and the rows come back


async def test_tamperings_in_the_database_are_detected(
    db: Database, chain_10k: Chain, trail: AuditTrail
) -> None:
    await store_chain(db, chain_10k)
    assert await _read_back(db) == chain_10k.rows  # exactly what was hashed comes back
    async with db.session() as session:
        untouched = await trail.verify(session)
    assert untouched.ok, untouched.reason
    assert (untouched.records_checked, untouched.checkpoints_checked) == (SIZE, SIZE // 1000)

    rng = random.Random(7)
    misses = []
    async with db.engine.connect() as connection:
        for _ in range(12):
            tamper = random_tamper(rng, SIZE)
            found, reason = await _verify_tampered(connection, db, trail, chain_10k.rows, tamper)
            if found != tamper.expected_seq:
                misses.append(_describe(tamper, found, reason))
    assert misses == []
    async with db.session() as session:
        assert (await trail.verify(session)).ok  # every tampering was rolled back
