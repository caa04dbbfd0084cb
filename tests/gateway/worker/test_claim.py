"""Claiming due operations (``services.queue.claim``) on both backends: what is due, what a
claim writes, and that the copies it hands out match the stored rows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interlock_gateway.operations.phases import Phase
from interlock_gateway.store import Database
from interlock_gateway.store.tables import Operation
from interlock_gateway.worker.queue import claim

from ..factories import NOW, make_operation

LEASE = timedelta(seconds=30)


def op(status: str, **columns: Any) -> Operation:
    details = {"phase": "apply", "position": {"id": "p1"}}
    return make_operation(**({"status": status, "details": details} | columns))


async def stored(db: Database) -> dict[str, Operation]:
    async with db.session() as session:
        return {o.id: o for o in (await session.scalars(select(Operation))).all()}


async def test_a_claim_takes_what_is_due_and_stores_the_lease(db: Database) -> None:
    pending = op("pending", next_attempt_at=NOW - timedelta(seconds=1), attempts=1)
    closing = op(
        "grace", commit_at=NOW, attempts=3, details={"phase": "hold", "position": {"id": "p1"}}
    )
    orphan = op("in_flight", lease_owner="dead", lease_until=NOW - timedelta(seconds=1), attempts=1)
    later = op("pending", next_attempt_at=NOW + timedelta(minutes=1))
    leased = op("in_flight", lease_owner="alive", lease_until=NOW + timedelta(seconds=5))
    done = op("succeeded")
    async with db.write() as session:
        session.add_all([pending, closing, orphan, later, leased, done])

    claims = await claim(db, owner="w1", now=NOW, lease=LEASE, limit=10)

    by_id = {c.op.id: c for c in claims}
    assert set(by_id) == {pending.id, closing.id, orphan.id}
    assert by_id[pending.id].phase is Phase.APPLY
    assert by_id[closing.id].phase is Phase.COMMIT  # a closing grace period is the commit
    # Attempts: +1 per claim, afresh for a new phase; ≥ 2 means "read back first".
    expected_attempts = {pending.id: 2, closing.id: 1, orphan.id: 2}
    assert {i: c.op.attempts for i, c in by_id.items()} == expected_attempts
    assert by_id[orphan.id].recovering
    assert not by_id[closing.id].recovering
    rows = await stored(db)
    for op_id, handed_out in by_id.items():
        row = rows[op_id]
        assert (row.status, row.lease_owner, row.lease_until) == ("in_flight", "w1", NOW + LEASE)
        assert row.attempts == expected_attempts[op_id] == handed_out.op.attempts
        assert row.details == handed_out.op.details
        assert row.details["phase"] == by_id[op_id].phase.value
        assert row.details["position"] == {"id": "p1"}  # the rest of the details kept
        assert row.updated_at == NOW
    untouched = {later.id: "pending", leased.id: "in_flight", done.id: "succeeded"}
    assert {i: (rows[i].status, rows[i].lease_owner) for i in untouched} == {
        later.id: ("pending", None),
        leased.id: ("in_flight", "alive"),
        done.id: ("succeeded", None),
    }
    assert await claim(db, owner="w2", now=NOW, lease=LEASE, limit=10) == []


async def test_a_claim_respects_its_limit_and_the_order_of_arrival(db: Database) -> None:
    ops = [
        op("pending", next_attempt_at=NOW, created_at=NOW + timedelta(milliseconds=i))
        for i in range(5)
    ]
    async with db.write() as session:
        session.add_all(reversed(ops))

    first = await claim(db, owner="w1", now=NOW + timedelta(seconds=1), lease=LEASE, limit=3)
    second = await claim(db, owner="w2", now=NOW + timedelta(seconds=1), lease=LEASE, limit=3)

    assert [c.op.id for c in first] == [o.id for o in ops[:3]]
    assert [c.op.id for c in second] == [o.id for o in ops[3:]]
    rows = await stored(db)
    assert [rows[o.id].lease_owner for o in ops] == ["w1"] * 3 + ["w2"] * 2


async def test_a_claim_leaves_other_work_of_its_transaction_alone(db: Database) -> None:
    """On SQLite a claim shares its transaction with other writers' bodies (group commit):
    it must neither drop nor write their pending objects."""
    due = op("pending", next_attempt_at=NOW)
    async with db.write() as session:
        session.add(due)
    added = op("succeeded")

    def add(session: Session) -> None:
        session.add(added)

    claims, _ = await asyncio.gather(
        claim(db, owner="w1", now=NOW, lease=LEASE, limit=10), db.run(add)
    )

    assert [c.op.id for c in claims] == [due.id]
    rows = await stored(db)
    assert rows[added.id].status == "succeeded"
    assert rows[due.id].lease_owner == "w1"
