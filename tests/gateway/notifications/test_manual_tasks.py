"""Manual tasks from creation to done (and failed), on SQLite and PostgreSQL: an account whose
adapter cannot pause declares ``manual``; the HR user gets a task, does it in the vendor's
console, marks it done, and the gateway confirms the session's state by reading it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interlock.models import SessionState

from ..api.harness import NO_PAUSE_ACCOUNT, FakeClock, Harness, gateway, gateway_settings


@pytest.fixture
async def manual(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    settings = gateway_settings(
        database_url, str(tmp_path), manual_verbs={NO_PAUSE_ACCOUNT: ("pause",)}
    )
    async with gateway(settings, clock=clock) as running:
        yield running


async def test_a_manual_pause_from_creation_to_done(manual: Harness, clock: FakeClock) -> None:
    session_id = manual.session("Backend Engineer", SessionState.IN_PROGRESS, NO_PAUSE_ACCOUNT)

    response = await manual.verb("pause", session_id, account=NO_PAUSE_ACCOUNT)

    assert response.status_code == 202, response.text
    task = response.json()["task"]
    assert response.headers["location"] == f"/v1/tasks/{task['id']}"
    assert task["status"] == "open"
    assert task["assignee"] == "admin"
    assert task["state_before"] == "in_progress"
    assert "sandbox console" in task["instructions"]
    assert manual.mutations(NO_PAUSE_ACCOUNT) == 0  # nothing was sent to the vendor
    listed = await manual.client.get("/v1/tasks?status=open", headers=manual.headers("admin"))
    assert [t["id"] for t in listed.json()["tasks"]] == [task["id"]]
    hidden = await manual.client.get(f"/v1/tasks/{task['id']}", headers=manual.headers("mgr_hr"))
    assert hidden.status_code == 404  # not their department, not theirs
    mine = await manual.client.get(f"/v1/tasks/{task['id']}", headers=manual.headers("spec"))
    assert mine.status_code == 200  # the position's owner sees it

    manual.double(NO_PAUSE_ACCOUNT).world.move(session_id, SessionState.PAUSED)  # by hand
    clock.advance(minutes=5)
    done = await manual.post(f"/v1/tasks/{task['id']}/done", "admin", {"note": "done in console"})

    assert done.status_code == 200, done.text
    closed = done.json()
    assert (closed["status"], closed["state_confirmed"], closed["confirmed"]) == (
        "done",
        "paused",
        True,
    )
    assert closed["closed_by"] == "admin"
    again = await manual.post(f"/v1/tasks/{task['id']}/done", "admin", {})
    assert again.status_code == 409
    assert again.json()["code"] == "TASK.CLOSED"
    actions = [r.action for r in await manual.audit()]
    assert actions.count("task.created") == 1
    assert actions.count("task.done") == 1


async def test_a_task_that_could_not_be_done(manual: Harness) -> None:
    session_id = manual.session("Backend Engineer", SessionState.IN_PROGRESS, NO_PAUSE_ACCOUNT)
    task = (await manual.verb("pause", session_id, account=NO_PAUSE_ACCOUNT)).json()["task"]

    failed = await manual.post(f"/v1/tasks/{task['id']}/failed", "admin", {"note": "no button"})

    assert failed.json()["status"] == "failed"
    assert failed.json()["state_confirmed"] is None
    assert "task.failed" in [r.action for r in await manual.audit()]


async def test_without_the_declaration_the_verb_is_still_refused(harness: Harness) -> None:
    session_id = harness.session("Backend Engineer", SessionState.IN_PROGRESS, NO_PAUSE_ACCOUNT)
    response = await harness.verb("pause", session_id, account=NO_PAUSE_ACCOUNT)
    assert response.status_code == 422
    assert response.json()["code"] == "OPERATION.UNSUPPORTED"


async def test_the_matrix_shows_manual_as_its_own_level(manual: Harness) -> None:
    matrix = (await manual.client.get("/v1/adapters", headers=manual.headers("admin"))).json()
    levels = {row["account"]: row["capabilities"] for row in matrix["accounts"]}
    assert levels[NO_PAUSE_ACCOUNT]["pause"] == "manual"
    assert levels[NO_PAUSE_ACCOUNT]["resume"] == "unsupported"
    assert levels["demo"]["pause"] == "native"
