"""Recording phase results (``services.finish``): one outcome or a chunk's many in one
transaction, each a compare-and-set on its lease with its own audit record (both backends)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from interlock import Interlock
from interlock.models import OperationOutcome
from interlock_gateway.audit import AuditEntry, AuditTrail, CheckpointSigner
from interlock_gateway.operations.phases import Phase
from interlock_gateway.operations.rows import EXPIRY_ACTOR
from interlock_gateway.store import Database
from interlock_gateway.store.tables import AuditRecord, Operation, OperationStatus
from interlock_gateway.worker.execute import Step
from interlock_gateway.worker.finish import Outcome, finish
from interlock_gateway.worker.followups import followups
from interlock_gateway.worker.queue import Claim

from ..factories import NOW, make_operation


def in_flight(owner: str) -> Operation:
    return make_operation(
        status="in_flight",
        lease_owner=owner,
        lease_until=NOW + timedelta(seconds=30),
        attempts=1,
    )


def outcome(op: Operation, state: str = "terminated") -> Outcome:
    entry = AuditEntry.model_validate(
        {
            "actor": {"principal": "system:worker", "role": "system"},
            "action": "operation.terminate.outcome",
            "target": {"account": op.account, "session_id": op.session_id},
            "outcome": "applied",
            "operation_id": op.id,
        }
    )
    changes = {"status": "succeeded", "outcome": "applied", "state_after": state}
    return Outcome(op.id, changes, [entry])


async def store(db: Database, ops: list[Operation]) -> None:
    async with db.write() as session:
        session.add_all(ops)


async def rows(db: Database) -> tuple[dict[str, tuple[str, str | None]], list[str | None]]:
    async with db.session() as session:
        ops = (await session.scalars(select(Operation))).all()
        audited = (
            await session.scalars(select(AuditRecord.operation_id).order_by(AuditRecord.seq))
        ).all()
    return {op.id: (op.status, op.lease_owner) for op in ops}, list(audited)


def trail() -> AuditTrail:
    return AuditTrail(CheckpointSigner(Ed25519PrivateKey.generate()), checkpoint_every=3)


async def test_a_chunk_is_recorded_except_the_items_whose_lease_was_lost(db: Database) -> None:
    mine = [in_flight("w1") for _ in range(5)]
    taken_over = in_flight("w2")  # its lease ended and another worker claimed it
    await store(db, [*mine, taken_over])
    chunk = (
        [outcome(op) for op in mine[:2]]
        + [outcome(taken_over)]
        + [
            outcome(op, "paused")
            for op in mine[2:]  # a second set of values in the same chunk
        ]
    )
    audit = trail()
    done = await finish(db, audit, owner="w1", outcomes=chunk)
    assert done == [True, True, False, True, True, True]
    status, audited = await rows(db)
    assert all(status[op.id] == ("succeeded", None) for op in mine)
    assert status[taken_over.id] == ("in_flight", "w2")  # untouched: not ours any more
    assert audited == [o.op_id for o in chunk if o.op_id != taken_over.id]
    async with db.session() as session:
        assert (await audit.verify(session)).ok  # one gapless chain, checkpoints included


async def test_a_single_outcome_is_its_own_compare_and_set(db: Database) -> None:
    op = in_flight("w1")
    await store(db, [op])
    audit = trail()
    assert await finish(db, audit, owner="w2", outcomes=[outcome(op)]) == [False]
    assert await rows(db) == ({op.id: ("in_flight", "w1")}, [])
    assert await finish(db, audit, owner="w1", outcomes=[outcome(op)]) == [True]
    assert await rows(db) == ({op.id: ("succeeded", None)}, [op.id])


async def test_a_chunks_follow_ups_cancel_each_sessions_pending_pause_expiry(
    db: Database,
) -> None:
    chunk = [in_flight("w1") for _ in range(4)]
    expiries = [pending_expiry(op.session_id) for op in chunk[:3]]  # the 4th had no pause
    elsewhere = pending_expiry("s-other")  # another session's expiry stays
    await store(db, [*chunk, *expiries, elsewhere])
    audit = trail()
    step = Step(OperationStatus.SUCCEEDED, OperationOutcome.APPLIED, "operation.terminate.outcome")
    outcomes = []
    for op in chunk:
        after = followups(
            Claim(op, Phase.APPLY), step, interlock=cast(Interlock, None), trail=audit, now=NOW
        )
        outcomes.append(Outcome(op.id, outcome(op).changes, outcome(op).entries, after))
    assert await finish(db, audit, owner="w1", outcomes=outcomes) == [True] * 4
    status, _ = await rows(db)
    assert [status[e.id][0] for e in expiries] == ["cancelled"] * 3
    assert status[elsewhere.id][0] == "pending"


def pending_expiry(session_id: str) -> Operation:
    return make_operation(
        session_id=session_id,
        reason_code="pause_expired",
        actor=EXPIRY_ACTOR,
        next_attempt_at=NOW + timedelta(hours=24),
        details={"phase": "expire"},
    )
