"""A new batch's first wave: stored already claimed by the accepting worker and run at once,
the rest left to the claim; a failed store gives the reserved room back (both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from interlock.models import SessionState
from interlock_gateway.store.tables import Operation
from interlock_gateway.worker.queue import Claim

from ..api.harness import Harness
from .helpers import REASON, names, run_to_end, submit


def watch_claims(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the batch items the scheduler's claim hands out from now on."""
    engine = harness.runtime.worker.scheduler
    claimed: list[str] = []
    original = engine.claim

    async def claim(*args: Any, **kwargs: Any) -> list[list[Claim]]:
        units = await original(*args, **kwargs)
        claimed.extend(item.op.id for unit in units for item in unit)
        return units

    monkeypatch.setattr(engine, "claim", claim)
    return claimed


async def items(harness: Harness, batch_id: str) -> list[Operation]:
    async with harness.runtime.db.session() as session:
        statement = select(Operation).where(Operation.batch_id == batch_id)
        return list((await session.scalars(statement.order_by(Operation.item_index))).all())


async def test_the_first_wave_runs_without_a_claim(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed = watch_claims(harness, monkeypatch)
    sessions = names(harness, 6, SessionState.IN_PROGRESS)

    response = await submit(harness, {"action": "pause", "sessions": sessions, "reason": REASON})

    assert response.status_code == 202, response.text
    batch = await run_to_end(harness, response.json()["id"])
    assert batch["counts"]["succeeded"] == 6
    assert claimed == []  # every item was taken by the accepting worker, none claimed
    assert all(item["attempts"] == 1 for item in batch["items"])
    for name in sessions:
        assert harness.double().mutation_counts[name.rsplit("/", 1)[1]] == 1


async def test_items_beyond_the_room_are_left_to_the_claim(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = harness.runtime.worker.scheduler
    # Two units while none runs; a terminate in the undo window is one item per unit.
    monkeypatch.setattr(engine, "_free_units", lambda account: 2 - engine._units[account])
    pending_at_store: list[tuple[str, str | None]] = []
    original_start = harness.runtime.worker.start_reserved

    def start_reserved(reservation: Any) -> None:
        # Stored by now: look at what the insert wrote before anything runs.
        units: list[list[Claim]] = reservation.units
        pending_at_store.extend((c.op.status, c.op.lease_owner) for u in units for c in u)
        original_start(reservation)

    monkeypatch.setattr(harness.runtime.worker, "start_reserved", start_reserved)
    claimed = watch_claims(harness, monkeypatch)
    sessions = names(harness, 5, SessionState.IN_PROGRESS)
    body = {"action": "terminate", "sessions": sessions, "reason": REASON}

    response = await submit(harness, body)

    assert response.status_code == 202, response.text
    owner = harness.runtime.worker.owner
    assert pending_at_store == [("in_flight", owner)] * 2
    batch = await run_to_end(harness, response.json()["id"])
    assert batch["counts"]["succeeded"] == 5
    rows = await items(harness, batch["id"])
    assert sorted(claimed) == sorted(op.id for op in rows[2:])  # the three beyond the room
    assert harness.mutations() == 5  # each candidate held (paused) once, in its undo window


async def test_a_failed_store_gives_the_room_back_and_stores_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = harness.runtime.worker.scheduler
    trail = harness.runtime.trail
    original_append = trail.append_sync
    failures = [RuntimeError("disk full")]

    def append(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return original_append(*args, **kwargs)

    monkeypatch.setattr(trail, "append_sync", append)
    sessions = names(harness, 4, SessionState.IN_PROGRESS)
    body = {"action": "pause", "sessions": sessions, "reason": REASON}

    with pytest.raises(RuntimeError, match="disk full"):  # a 500 (the test client re-raises)
        await submit(harness, body)

    assert +engine._units == {}  # nothing reserved is left behind
    async with harness.runtime.db.session() as session:
        assert (await session.scalars(select(Operation.id))).all() == []
    assert harness.mutations() == 0
    accepted = await submit(harness, body)  # the room is there for the next batch
    assert accepted.status_code == 202, accepted.text
    batch = await run_to_end(harness, accepted.json()["id"])
    assert batch["counts"]["succeeded"] == 4
