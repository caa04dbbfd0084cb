"""Pauses expire at their resume deadline (DESIGN §4), on SQLite and PostgreSQL.

The expiry is an operation of its own (terminate, reason ``pause_expired``, actor
``system:pause-expiry``) stored with the pause's outcome, so it survives restarts.
"""

from __future__ import annotations

from interlock.models import SessionState, Verb

from ..api.harness import Harness

RESUME_WINDOW_S = 300  # gateway_settings' resume window


async def _pause(harness: Harness, sid: str) -> str:
    response = await harness.verb("pause", sid, "spec", key=None)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def _expiries(harness: Harness) -> list[tuple[str, str | None]]:
    return [
        (op.status, op.outcome)
        for op in await harness.operations()
        if op.actor.startswith("system:")
    ]


async def test_a_pause_expires_at_its_deadline(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    pause_id = await _pause(harness, sid)
    assert await _expiries(harness) == [("pending", None)]

    harness.clock.advance(seconds=RESUME_WINDOW_S - 1)
    await harness.settle()
    assert harness.state(sid) is SessionState.PAUSED

    harness.clock.advance(seconds=2)
    await harness.settle()
    assert harness.state(sid) is SessionState.TERMINATED
    assert await _expiries(harness) == [("succeeded", "applied")]
    pause = await harness.operation(pause_id)
    assert pause.state_after == "expired"
    assert "expired_at" in pause.details
    expiry = next(op for op in await harness.operations() if op.actor.startswith("system:"))
    assert (expiry.verb, expiry.reason_code) == ("terminate", "pause_expired")
    actions = {r.action for r in await harness.audit()}
    assert {"operation.pause.expire", "operation.pause.expired"} <= actions


async def test_resuming_cancels_the_expiry(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    await _pause(harness, sid)
    resumed = await harness.verb("resume", sid, "spec", key=None)
    assert resumed.json()["outcome"] == "applied"
    assert await _expiries(harness) == [("cancelled", None)]

    harness.clock.advance(seconds=RESUME_WINDOW_S + 1)
    await harness.settle()
    assert harness.state(sid) is SessionState.IN_PROGRESS


async def test_a_session_resumed_at_the_vendor_is_left_alone(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    await _pause(harness, sid)
    harness.double().world.apply(sid, Verb.RESUME)  # the candidate resumed on the vendor side

    harness.clock.advance(seconds=RESUME_WINDOW_S + 1)
    await harness.settle()
    assert harness.state(sid) is SessionState.IN_PROGRESS
    assert await _expiries(harness) == [("cancelled", None)]


async def test_a_terminate_in_the_meantime_supersedes_the_expiry(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    await _pause(harness, sid)
    await harness.verb("terminate", sid, "spec")
    harness.clock.advance(seconds=61)  # the undo window closes: the terminate commits
    await harness.settle()
    assert await _expiries(harness) == [("cancelled", None)]
    assert harness.double().mutation_counts[sid] == 2  # pause, terminate
