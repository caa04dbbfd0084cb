"""Cancel before the worker starts, and the progress event stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from interlock.models import SessionState

from ..api.harness import FakeClock, Harness, gateway, gateway_settings
from .helpers import REASON, names, run_to_end, submit


@pytest.fixture
async def idle(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A gateway whose worker does not run by itself (tests drive it)."""
    settings = gateway_settings(
        database_url, str(tmp_path), worker_enabled=False, sync_wait=timedelta(0)
    )
    async with gateway(settings, clock=FakeClock()) as running:
        yield running


async def test_cancel_stops_what_has_not_started_and_twice_is_a_conflict(idle: Harness) -> None:
    sessions = names(idle, 4, SessionState.IN_PROGRESS)
    created = await submit(idle, {"action": "pause", "sessions": sessions, "reason": REASON})
    path = f"/v1/batches/{created.json()['id']}/cancel"
    cancelled = await idle.post(path, "admin", None)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["counts"]["skipped"] == 4
    await idle.settle()
    assert idle.calls(mutating=True) == 0
    again = await idle.post(path, "admin", None)
    assert (again.status_code, again.json()["code"]) == (409, "BATCH.NOT_CANCELLABLE")
    batch = await run_to_end(idle, created.json()["id"])
    assert {i["error"]["code"] for i in batch["items"]} == {"BATCH.CANCELLED"}


async def test_events_stream_progress_then_done(idle: Harness) -> None:
    sessions = names(idle, 3, SessionState.IN_PROGRESS)
    created = await submit(idle, {"action": "pause", "sessions": sessions, "reason": REASON})
    batch_id = created.json()["id"]
    await run_to_end(idle, batch_id)
    response = await idle.client.get(
        f"/v1/batches/{batch_id}/events", headers=idle.headers("admin")
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block.startswith("event:")]
    kinds = [block.split("\n")[0].removeprefix("event: ") for block in events]
    assert kinds == ["progress", "done"]
    last = json.loads(events[-1].split("data: ", 1)[1])
    assert last["counts"]["succeeded"] == 3
    assert last["by_account"]["demo"]["succeeded"] == 3


async def test_cancelling_withdraws_the_pending_approval_and_approving_it_is_a_conflict(
    harness: Harness,
) -> None:
    protected = names(harness, 2, SessionState.IN_PROGRESS, title="Sales Director")
    body = {"action": "terminate", "sessions": protected, "reason": REASON}
    created = (await submit(harness, body, who="mgr")).json()
    assert created["status"] == "awaiting_approval"

    cancelled = await harness.post(f"/v1/batches/{created['id']}/cancel", "mgr", {})
    assert cancelled.status_code == 200, cancelled.text
    path = f"/v1/approvals/{created['approval_id']}"
    approved = await harness.post(f"{path}/approve", "admin", {"note": "too late"})

    assert approved.status_code == 409, approved.text
    assert approved.json()["code"] == "APPROVAL.NOT_PENDING"
    assert "cancelled" in approved.json()["detail"]
    batch = await run_to_end(harness, created["id"])
    assert batch["status"] == "cancelled"  # not flipped to completed by the late approval
    assert {i["status"] for i in batch["items"]} == {"cancelled"}
    assert harness.calls(mutating=True) == 0
    listed = await harness.client.get("/v1/approvals", headers=harness.headers("admin"))
    assert [a["state"] for a in listed.json()["approvals"]] == ["cancelled"]
    withdrawn = [r for r in await harness.audit() if r.action == "approval.cancel"]
    assert [(r.batch_id, r.outcome) for r in withdrawn] == [(created["id"], "cancelled")]
    denied = [r for r in await harness.audit() if r.action == "approval.decide"]
    assert [r.outcome for r in denied] == ["denied"]


async def test_approving_an_expired_single_approval_is_a_conflict(harness: Harness) -> None:
    sid = harness.session("Sales Director", SessionState.IN_PROGRESS)
    asked = await harness.verb("terminate", sid, "mgr")
    assert asked.status_code == 202, asked.text
    approval = asked.json()["approval"]["id"]
    harness.clock.advance(hours=25)

    approved = await harness.post(f"/v1/approvals/{approval}/approve", "admin", {})

    assert (approved.status_code, approved.json()["code"]) == (409, "APPROVAL.EXPIRED")
    op = await harness.operation(asked.json()["id"])
    assert (op.status, op.error_code) == ("rejected", "APPROVAL.EXPIRED")
    assert harness.calls(mutating=True) == 0
