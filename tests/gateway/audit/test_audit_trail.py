"""Appending, checkpoints, verification, append-only enforcement and concurrency."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from interlock_gateway.audit import AuditEntry, AuditTrail, CheckpointSigner, chain_hash
from interlock_gateway.audit.canonical import canonical_json
from interlock_gateway.audit.chain import row_for
from interlock_gateway.store import Database
from interlock_gateway.store.tables import GENESIS_HASH, AuditCheckpoint, AuditHead, AuditRecord

from .helpers import append_many, make_entry


async def test_append_chains_records(db: Database, trail: AuditTrail) -> None:
    async with db.write() as session:
        first = await trail.append(session, make_entry(1))
        second = await trail.append(session, make_entry(2))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.hash == chain_hash(first.hash, second.record)
    record = json.loads(second.record)
    assert record["seq"] == 2
    assert record["v"] == 1
    assert record["ts"].endswith("Z")
    assert canonical_json(record) == second.record
    async with db.session() as session:
        head = (await session.execute(select(AuditHead.last_seq, AuditHead.last_hash))).one()
        assert tuple(head) == (2, second.hash)
        assert (await trail.verify(session)).ok


async def _append_then_fail(db: Database, trail: AuditTrail) -> None:
    async with db.write() as session:
        await trail.append(session, make_entry(1))
        raise RuntimeError("the operation failed to store")


async def test_rolled_back_append_leaves_no_gap(db: Database, trail: AuditTrail) -> None:
    with pytest.raises(RuntimeError):
        await _append_then_fail(db, trail)
    async with db.write() as session:
        record = await trail.append(session, make_entry(2))
    assert record.seq == 1


async def test_checkpoints_every_n_and_on_demand(db: Database, trail: AuditTrail) -> None:
    await append_many(db, trail, 23)
    async with db.write() as session:
        on_demand = await trail.checkpoint(session)
        again = await trail.checkpoint(session)
    assert on_demand is not None
    assert on_demand.seq == 23
    assert again is None  # the tip is already signed
    async with db.session() as session:
        seqs = (await session.scalars(select(AuditCheckpoint.seq).order_by("seq"))).all()
        result = await trail.verify(session)
    assert list(seqs) == [10, 20, 23]
    assert result.ok
    assert result.checkpoints_checked == 3
    assert result.records_checked == 23


async def test_empty_trail_verifies(db: Database, trail: AuditTrail) -> None:
    async with db.write() as session:
        assert await trail.checkpoint(session) is None
        result = await trail.verify(session)
    assert result.ok
    assert result.records_checked == 0
    assert result.last_seq == 0


async def test_checkpoints_verify_only_with_the_right_key(db: Database, trail: AuditTrail) -> None:
    await append_many(db, trail, 10)
    stranger = AuditTrail(CheckpointSigner(Ed25519PrivateKey.generate()))
    async with db.session() as session:
        assert (await trail.verify(session)).ok
        result = await stranger.verify(session)
    assert not result.ok
    assert result.first_broken_seq == 10
    assert result.reason is not None
    assert "unknown key" in result.reason


async def _rewrite_checkpoint(db: Database, signature: str) -> None:
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            await connection.exec_driver_sql("DROP TRIGGER audit_checkpoints_no_update")
        else:
            await connection.exec_driver_sql("SET session_replication_role = replica")
        await connection.execute(
            AuditCheckpoint.__table__.update().where(AuditCheckpoint.seq == 10),
            {"signature": signature},
        )
        await connection.commit()


async def test_forged_checkpoint_signature_is_detected(db: Database, trail: AuditTrail) -> None:
    await append_many(db, trail, 15)
    forged = base64.b64encode(bytes(64)).decode()
    await _rewrite_checkpoint(db, forged)
    async with db.session() as session:
        result = await trail.verify(session)
    assert not result.ok
    assert result.first_broken_seq == 10
    assert result.reason == "bad checkpoint signature at record 10"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_records SET outcome = 'applied'",
        "DELETE FROM audit_records",
        "UPDATE audit_checkpoints SET signature = 'x'",
        "DELETE FROM audit_checkpoints",
    ],
    ids=["update-records", "delete-records", "update-checkpoints", "delete-checkpoints"],
)
async def test_database_refuses_update_and_delete(
    db: Database, trail: AuditTrail, statement: str
) -> None:
    await append_many(db, trail, 10)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.write() as session:
            await session.execute(text(statement))
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditRecord)) == 10
        assert (await trail.verify(session)).ok


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("table", ["audit_records", "audit_checkpoints"])
async def test_postgresql_refuses_truncate(db: Database, trail: AuditTrail, table: str) -> None:
    """SQLite has no TRUNCATE (its DELETE is refused above); PostgreSQL's is refused too."""
    await append_many(db, trail, 10)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.write() as session:
            await session.execute(text(f"TRUNCATE {table}"))


async def test_concurrent_appends_are_gapless(db: Database, trail: AuditTrail) -> None:
    """50 concurrent transactions (separate connections) append; seq is 1..50, chain intact."""

    async def one(i: int) -> int:
        async with db.write() as session:
            record = await trail.append(session, make_entry(i))
            await asyncio.sleep(0)  # hold the transaction across a scheduling point
            return record.seq

    seqs = await asyncio.gather(*(one(i) for i in range(50)))
    assert sorted(seqs) == list(range(1, 51))
    async with db.session() as session:
        result = await trail.verify(session)
    assert result.ok
    assert result.records_checked == 50
    assert result.checkpoints_checked == 5


async def test_entry_is_stored_masked(db: Database, trail: AuditTrail) -> None:
    entry = AuditEntry.model_validate(
        {
            "action": "operation.pause",
            "reason": {"code": "other", "note": "候选人13812345678来电"},
            "details": {"candidate_name": "张三", "phone": "13900001111"},
        }
    )
    async with db.write() as session:
        stored = await trail.append(session, entry)
    async with db.session() as session:
        raw = await session.scalar(select(AuditRecord.record).where(AuditRecord.seq == stored.seq))
    assert raw is not None
    for secret in ("13812345678", "张三", "13900001111"):
        assert secret not in raw
    assert "138****5678" in raw
    assert "张*" in raw
    assert "139****1111" in raw


async def test_verify_during_concurrent_appends_sees_no_tampering(
    db: Database, trail: AuditTrail
) -> None:
    await append_many(db, trail, 20)

    async def verify_many() -> list[bool]:
        results = []
        for _ in range(5):
            async with db.session() as session:
                results.append((await trail.verify(session)).ok)
        return results

    verdicts, _ = await asyncio.gather(verify_many(), append_many(db, trail, 30, start=20))
    assert all(verdicts)


async def test_a_row_inserted_past_the_head_is_detected(db: Database, trail: AuditTrail) -> None:
    await append_many(db, trail, 5)
    async with db.session() as session:
        last = (await session.scalars(select(AuditRecord).where(AuditRecord.seq == 5))).one()
    forged = make_entry(99)
    row = row_for(6, last.created_at, forged, last.hash)  # a perfectly chained forgery
    async with db.write() as session:  # INSERT needs no trigger bypass; the head was not moved
        await session.execute(AuditRecord.__table__.insert(), [row._asdict()])
        result = await trail.verify(session)
    assert not result.ok
    assert result.first_broken_seq == 6
    assert result.reason is not None
    assert "beyond the head" in result.reason
