"""Observer hooks fire exactly once per operation, with the gateway's operation ids, and say
which phase ended it — for single operations, the undo window (commit and undo) and native
batch chunks (both backends)."""

from __future__ import annotations

import uuid
from collections import defaultdict

import pytest
from sqlalchemy import select

from interlock.models import SessionState
from interlock.plugins import OperationFinished, OperationStarted, hookimpl
from interlock_gateway.store.tables import Operation

from ..api.harness import ACCOUNT, Harness

WINDOW_S = 60


class Observer:
    """Counts hook calls per operation id."""

    def __init__(self) -> None:
        self.started: dict[str, list[str | None]] = defaultdict(list)
        self.finished: dict[str, list[tuple[str | None, str]]] = defaultdict(list)

    @hookimpl
    def interlock_operation_started(self, event: OperationStarted) -> None:
        self.started[event.operation_id].append(event.phase)

    @hookimpl
    def interlock_operation_finished(self, event: OperationFinished) -> None:
        self.finished[event.operation_id].append((event.phase, str(event.result.outcome)))


@pytest.fixture
def observer(harness: Harness) -> Observer:
    found = Observer()
    harness.interlock.plugins.manager.register(found)
    return found


async def test_a_pause_is_observed_once(harness: Harness, observer: Observer) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op_id = (await harness.verb("pause", sid, "admin")).json()["id"]
    await harness.settle()
    assert dict(observer.started) == {op_id: ["apply"]}
    assert dict(observer.finished) == {op_id: [("apply", "applied")]}


async def test_one_settled_at_acceptance_is_observed_once(
    harness: Harness, observer: Observer
) -> None:
    sid = harness.session("Backend Engineer", SessionState.PAUSED)
    op_id = (await harness.verb("pause", sid, "admin")).json()["id"]  # already paused
    assert dict(observer.started) == {op_id: ["accept"]}
    assert dict(observer.finished) == {op_id: [("accept", "already_in_state")]}


async def test_a_held_terminate_is_observed_once_until_its_commit(
    harness: Harness, observer: Observer
) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op_id = (await harness.verb("terminate", sid, "admin")).json()["id"]
    assert dict(observer.started) == {op_id: ["hold"]}
    assert dict(observer.finished) == {}  # held, not ended

    harness.clock.advance(seconds=WINDOW_S + 1)
    await harness.settle()
    assert dict(observer.started) == {op_id: ["hold"]}
    assert dict(observer.finished) == {op_id: [("commit", "committed")]}


async def test_an_undone_terminate_and_its_undo_are_observed_once_each(
    harness: Harness, observer: Observer
) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op_id = (await harness.verb("terminate", sid, "admin")).json()["id"]
    undo = await harness.post(f"/v1/operations/{op_id}/undo", "admin", {})
    undo_id = undo.json()["id"]
    await harness.settle()
    assert dict(observer.started) == {op_id: ["hold"], undo_id: ["restore"]}
    assert dict(observer.finished) == {
        op_id: [("hold", "undone")],
        undo_id: [("restore", "applied")],
    }


async def test_native_batch_items_are_observed_once_by_their_operation_ids(
    harness: Harness, observer: Observer
) -> None:
    running = [harness.session("Backend Engineer", SessionState.IN_PROGRESS) for _ in range(12)]
    sessions = [f"accounts/{ACCOUNT}/sessions/{sid}" for sid in running]
    body = {"action": "pause", "sessions": sessions, "reason": {"code": "system_fault"}}
    created = await harness.post("/v1/batches", "admin", body, str(uuid.uuid4()))
    assert created.status_code == 202, created.text
    await harness.settle()

    async with harness.runtime.db.session() as session:
        ids = set(
            await session.scalars(
                select(Operation.id).where(Operation.batch_id == created.json()["id"])
            )
        )
    assert len(ids) == 12
    assert set(observer.started) == ids  # the gateway's ids, no invented "op-…" ones
    assert all(phases == ["apply"] for phases in observer.started.values())
    assert set(observer.finished) == ids
    assert all(ends == [("apply", "applied")] for ends in observer.finished.values())
    assert harness.calls(mutating=True) < 12  # they went out in native chunks
