"""The audit head within a transaction: read once, written once before commit, forgotten on
rollback, and never left behind by a savepoint (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlock_gateway.audit import AuditTrail
from interlock_gateway.store import Database
from interlock_gateway.store.tables import AuditHead, AuditRecord

from .helpers import append_many, make_entry


async def head_and_count(db: Database) -> tuple[int, str, int, str | None]:
    """The head (seq, hash), how many records there are, and the last record's hash."""
    async with db.session() as session:
        head = (await session.execute(select(AuditHead.last_seq, AuditHead.last_hash))).one()
        count = await session.scalar(select(func.count()).select_from(AuditRecord))
        last = await session.scalar(select(AuditRecord.hash).order_by(AuditRecord.seq.desc()))
    return head.last_seq, head.last_hash, count or 0, last


async def verifies(db: Database, trail: AuditTrail) -> bool:
    async with db.session() as session:
        return (await trail.verify(session)).ok


async def assert_chain_ends_at(db: Database, trail: AuditTrail, seq: int, last_hash: str) -> None:
    """The head is record ``seq`` with ``last_hash``, there are ``seq`` records, all verify."""
    head_seq, head_hash, count, _ = await head_and_count(db)
    assert (head_seq, head_hash, count) == (seq, last_hash, seq)
    assert await verifies(db, trail)


async def test_many_appends_in_one_transaction_end_with_the_head_on_the_last(
    db: Database, trail: AuditTrail
) -> None:
    await append_many(db, trail, 2)
    async with db.write() as session:
        appended = [await trail.append(session, make_entry(i)) for i in range(2, 7)]
    assert [r.seq for r in appended] == [3, 4, 5, 6, 7]
    assert [r.prev_hash for r in appended[1:]] == [r.hash for r in appended[:-1]]
    seq, head_hash, count, last = await head_and_count(db)
    assert (seq, head_hash, count, last) == (7, appended[-1].hash, 7, appended[-1].hash)
    assert await verifies(db, trail)


async def test_a_rolled_back_transaction_leaves_neither_records_nor_head(
    db: Database, trail: AuditTrail
) -> None:
    await append_many(db, trail, 3)
    before = await head_and_count(db)

    async def append_two_then_fail() -> None:
        async with db.write() as session:
            await trail.append(session, make_entry(10))
            await trail.append(session, make_entry(11))
            raise RuntimeError("give up")

    with pytest.raises(RuntimeError, match="give up"):
        await append_two_then_fail()
    assert await head_and_count(db) == before
    async with db.write() as session:  # the sequence continues without a gap
        record = await trail.append(session, make_entry(12))
    assert record.seq == 4
    assert await verifies(db, trail)


async def test_a_session_reused_after_a_rollback_reads_the_head_again(
    db: Database, trail: AuditTrail
) -> None:
    await append_many(db, trail, 1)
    async with db.session() as session:
        async with session.begin():
            await trail.append(session, make_entry(1))
            await session.rollback()
        async with session.begin():
            record = await trail.append(session, make_entry(2))
    assert record.seq == 2
    assert await verifies(db, trail)


async def test_savepoints_around_pending_appends_keep_one_chain(
    db: Database, trail: AuditTrail
) -> None:
    async with db.write() as session:
        await trail.append(session, make_entry(0))  # pending: the head is not written yet
        await _append_in_savepoint(session, trail, 1, keep=False)
        await _append_in_savepoint(session, trail, 2, keep=True)
        last = await trail.append(session, make_entry(3))
    assert last.seq == 3
    await assert_chain_ends_at(db, trail, 3, last.hash)


async def test_appends_only_inside_savepoints_roll_back_cleanly(
    db: Database, trail: AuditTrail
) -> None:
    await append_many(db, trail, 2)
    async with db.write() as session:
        await _append_in_savepoint(session, trail, 5, keep=False)
        await _append_in_savepoint(session, trail, 6, keep=True)
        last = await trail.append(session, make_entry(7))
    assert last.seq == 4
    await assert_chain_ends_at(db, trail, 4, last.hash)


async def _append_in_savepoint(
    session: AsyncSession, trail: AuditTrail, i: int, *, keep: bool
) -> None:
    savepoint = await session.begin_nested()
    await trail.append(session, make_entry(i))
    if keep:
        await savepoint.commit()
    else:
        await savepoint.rollback()
