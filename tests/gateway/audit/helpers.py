"""Audit test helpers: deterministic entries and a synthetic chain hashed by production code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from interlock_gateway.audit import AuditEntry, AuditTrail, CheckpointSigner
from interlock_gateway.audit.chain import ChainRow, row_for
from interlock_gateway.audit.verify import CheckpointRow, HeadRow
from interlock_gateway.store import Database
from interlock_gateway.store.tables import GENESIS_HASH, AuditCheckpoint, AuditHead, AuditRecord

ACCOUNTS = ("dingtalk-hq", "beisen-cn", "yonyou-sh")
ACTORS = ("alice", "bob", "carol", "ats-bot")
ACTIONS = ("operation.pause", "operation.terminate", "operation.revoke", "operation.undo")
OUTCOMES = ("applied", "grace", "rejected", "failed", "already_in_state")
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def make_entry(i: int) -> AuditEntry:
    """A varied, deterministic entry (the ``i``-th of a synthetic log)."""
    return AuditEntry.model_validate(
        {
            "actor": {"principal": ACTORS[i % 4], "role": "manager", "key_id": "ilk_abcdefgh"},
            "action": ACTIONS[i % 4],
            "target": {
                "account": ACCOUNTS[i % 3],
                "session_id": f"s-{i:06d}",
                "position_id": f"p-{i % 17}",
                "candidate": f"cand-{i % 101}",
            },
            "reason": {"code": "operator_error", "note": f"note {i}"},
            "state_before": "in_progress",
            "state_after": "paused",
            "outcome": OUTCOMES[i % 5],
            "operation_id": f"op-{i:08d}",
            "details": {"attempt": i % 3, "tags": ["a", "b"]},
        }
    )


async def append_many(db: Database, trail: AuditTrail, count: int, start: int = 0) -> None:
    """Append ``count`` synthetic entries, one transaction each."""
    for i in range(start, start + count):
        async with db.write() as session:
            await trail.append(session, make_entry(i))


@dataclass(frozen=True)
class Chain:
    """A complete synthetic chain in memory."""

    rows: list[ChainRow]
    checkpoints: list[CheckpointRow]
    head: HeadRow


def build_chain(signer: CheckpointSigner, size: int, checkpoint_every: int = 1000) -> Chain:
    """``size`` records hashed by the production code, with signed checkpoints."""
    rows: list[ChainRow] = []
    checkpoints: list[CheckpointRow] = []
    prev = GENESIS_HASH
    for seq in range(1, size + 1):
        row = row_for(seq, EPOCH + timedelta(seconds=seq), make_entry(seq), prev)
        rows.append(row)
        prev = row.hash
        if seq % checkpoint_every == 0:
            signature = signer.sign(seq, row.hash)
            checkpoints.append(CheckpointRow(seq, row.hash, signature, signer.key_id))
    return Chain(rows, checkpoints, HeadRow(size, prev))


async def store_chain(db: Database, chain: Chain) -> None:
    """Bulk-insert ``chain`` (rows, checkpoints, head) into an empty trail."""
    async with db.write() as session:
        await session.execute(insert(AuditRecord), [row._asdict() for row in chain.rows])
        await session.execute(
            insert(AuditCheckpoint),
            [{**cp._asdict(), "created_at": EPOCH} for cp in chain.checkpoints],
        )
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_seq=chain.head.last_seq, last_hash=chain.head.last_hash)
        )
