"""The undo window (DESIGN §4) with an injected clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from interlock.models import SessionState

from ..api.harness import (
    NO_PAUSE_ACCOUNT,
    FakeClock,
    Harness,
    gateway,
    gateway_settings,
    make_interlock,
)

WINDOW_S = 60  # gateway_settings' undo window


async def _terminate(harness: Harness, sid: str, who: str = "spec", **kw: str) -> str:
    response = await harness.verb("terminate", sid, who, **kw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "grace"
    assert body["commit_at"]
    return str(body["id"])


async def _undo(harness: Harness, op_id: str, who: str = "spec") -> tuple[int, dict[str, object]]:
    response = await harness.post(f"/v1/operations/{op_id}/undo", who, {"note": "wrong candidate"})
    return response.status_code, response.json()


async def test_terminate_holds_the_candidate_and_commits_when_the_window_closes(
    harness: Harness,
) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op_id = await _terminate(harness, sid)
    assert harness.state(sid) is SessionState.PAUSED  # held at once

    harness.clock.advance(seconds=WINDOW_S - 1)
    await harness.settle()
    assert harness.state(sid) is SessionState.PAUSED  # not yet

    harness.clock.advance(seconds=2)
    await harness.settle()
    op = await harness.operation(op_id)
    assert (op.status, op.outcome, op.state_after) == ("committed", "committed", "terminated")
    assert harness.state(sid) is SessionState.TERMINATED
    assert harness.double().mutation_counts[sid] == 2  # the hold, then the final verb
    actions = [r.action for r in await harness.audit() if r.operation_id == op_id]
    assert actions == [
        "operation.terminate",
        "operation.terminate.hold",
        "operation.terminate.commit",
    ]


async def test_undo_before_commit_at_restores(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op_id = await _terminate(harness, sid)
    harness.clock.advance(seconds=WINDOW_S - 1)

    status, body = await _undo(harness, op_id)

    assert status == 200, body
    assert (body["verb"], body["outcome"], body["undo_of"]) == ("undo", "applied", op_id)
    assert harness.state(sid) is SessionState.IN_PROGRESS
    target = await harness.operation(op_id)
    assert (target.status, target.outcome) == ("undone", "undone")
    harness.clock.advance(seconds=10)
    await harness.settle()
    assert harness.state(sid) is SessionState.IN_PROGRESS  # the commit was cancelled
    assert harness.double().mutation_counts[sid] == 2  # hold + resume, no terminate
    again, problem = await _undo(harness, op_id)
    assert (again, problem["code"]) == (409, "OPERATION.ALREADY_UNDONE")


async def test_undo_after_commit_at_is_refused(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op_id = await _terminate(harness, sid)
    harness.clock.advance(seconds=WINDOW_S)  # exactly commit_at: the window is closed

    status, problem = await _undo(harness, op_id)

    assert status == 409
    assert problem["code"] == "OPERATION.UNDO_WINDOW_CLOSED"
    assert "commit_at" in problem
    await harness.settle()
    assert harness.state(sid) is SessionState.TERMINATED
    late, problem = await _undo(harness, op_id)
    assert (late, problem["code"]) == (409, "OPERATION.UNDO_WINDOW_CLOSED")
    refusals = [r for r in await harness.audit() if r.action == "operation.undo"]
    assert [r.outcome for r in refusals] == ["rejected", "rejected"]


async def test_scheduled_session_is_recorded_not_paused(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.SCHEDULED)
    op_id = await _terminate(harness, sid, who="spec")
    assert harness.state(sid) is SessionState.SCHEDULED
    status, body = await _undo(harness, op_id)
    assert (status, body["state_after"]) == (200, "scheduled")
    assert harness.calls(mutating=True) == 0


async def test_adapter_that_cannot_pause_is_recorded_then_committed(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS, account=NO_PAUSE_ACCOUNT)
    op_id = await _terminate(harness, sid, who="admin", account=NO_PAUSE_ACCOUNT)
    assert harness.state(sid, NO_PAUSE_ACCOUNT) is SessionState.IN_PROGRESS
    harness.clock.advance(seconds=WINDOW_S + 1)
    await harness.settle()
    assert harness.state(sid, NO_PAUSE_ACCOUNT) is SessionState.TERMINATED
    assert (await harness.operation(op_id)).status == "committed"


async def test_only_final_verbs_can_be_undone(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    paused = await harness.verb("pause", sid, "spec")
    status, problem = await _undo(harness, paused.json()["id"])
    assert (status, problem["code"]) == (409, "OPERATION.NOT_UNDOABLE")


async def test_window_zero_sends_the_final_verb_at_once(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    settings = gateway_settings(database_url, str(tmp_path), undo_window=timedelta(0))
    async with gateway(settings, clock=clock) as harness:
        sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
        response = await harness.verb("terminate", sid, "spec")
        assert (response.status_code, response.json()["outcome"]) == (200, "applied")
        assert harness.state(sid) is SessionState.TERMINATED
        status, problem = await _undo(harness, response.json()["id"])
        assert (status, problem["code"]) == (409, "OPERATION.NOT_UNDOABLE")


async def test_the_window_survives_a_restart(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    interlock = make_interlock()
    settings = gateway_settings(database_url, str(tmp_path))
    async with gateway(settings, clock=clock, interlock=interlock) as first:
        commit_sid = first.session("Backend Engineer", SessionState.IN_PROGRESS)
        undo_sid = first.session("Backend Engineer", SessionState.IN_PROGRESS)
        commit_op = await _terminate(first, commit_sid)
        undo_op = await _terminate(first, undo_sid)
        keys = first.keys

    clock.advance(seconds=WINDOW_S - 5)
    async with gateway(settings, clock=clock, interlock=interlock, keys=keys) as second:
        status, _ = await _undo(second, undo_op)  # a new process honours the old window
        assert status == 200
        clock.advance(seconds=10)
        await second.settle()
        assert (await second.operation(commit_op)).status == "committed"
        assert second.state(commit_sid) is SessionState.TERMINATED
        assert second.state(undo_sid) is SessionState.IN_PROGRESS

    await interlock.aclose()
