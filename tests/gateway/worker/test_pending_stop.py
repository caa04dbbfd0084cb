"""A stop in its undo window is visible everywhere and is never silently overridden.

* every view shows ``pending`` while a terminate or revoke waits for its window;
* any other verb on that session is refused (``SESSION.PENDING_COMMIT``), audited;
* a resume that happens *at the vendor* during the window — reported by a push, or found
  by the read before the commit, also across a restart — is never committed over: the worker
  holds the session again and reopens the window, tells the requester, audits it, and gives
  up (``OPERATION.CONTESTED``) after ``max_reholds``.

Both backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from interlock import Interlock, get_plugin_manager
from interlock.adapter import AccountContext, InterviewAdapter
from interlock.doubles import make_double, wire_adapter
from interlock.models import SessionState, Verb
from interlock.plugins import Notification, hookimpl
from interlock_sandbox.adapter import SandboxAdapter

from ..api.harness import ACCOUNT, FakeClock, Harness, gateway, gateway_settings

WINDOW_S = 60
DINGTALK = "dingtalk-hq"


class Inbox:
    """An ``interlock_notify`` plug-in that keeps what it is told."""

    def __init__(self) -> None:
        self.notices: list[Notification] = []

    @hookimpl
    def interlock_notify(self, notification: Notification) -> None:
        self.notices.append(notification)


@pytest.fixture
def inbox(harness: Harness) -> Inbox:
    found = Inbox()
    harness.interlock.plugins.manager.register(found)
    return found


async def _terminate(harness: Harness, sid: str, account: str = ACCOUNT) -> dict[str, Any]:
    response = await harness.verb("terminate", sid, "admin", account=account)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["outcome"] == "grace"
    return body


async def _session(harness: Harness, sid: str, account: str = ACCOUNT) -> dict[str, Any]:
    response = await harness.client.get(
        f"/v1/accounts/{account}/sessions/{sid}", headers=harness.headers("admin")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_view_shows_the_pending_stop_until_it_is_final(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op = await _terminate(harness, sid)

    pending = (await _session(harness, sid))["pending"]
    assert pending == {
        "verb": "terminate",
        "operation": op["id"],
        "status": "grace",
        "commit_at": op["commit_at"],
        "undo": f"/v1/operations/{op['id']}/undo",
        "requested_by": "admin",
    }
    listed = await harness.client.get(
        "/v1/sessions", params={"state": "paused"}, headers=harness.headers("admin")
    )
    rows = {s["id"]: s for s in listed.json()["sessions"]}
    assert rows[sid]["pending"] == pending
    assert all(s["pending"] is None for i, s in rows.items() if i != sid)

    harness.clock.advance(seconds=WINDOW_S + 1)
    await harness.settle()
    assert (await _session(harness, sid))["pending"] is None  # committed: nothing pending


@pytest.mark.parametrize("verb", ["resume", "pause", "terminate", "revoke"])
async def test_other_verbs_are_refused_while_a_stop_is_pending(harness: Harness, verb: str) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op = await _terminate(harness, sid)
    mutations = harness.mutations()

    response = await harness.verb(verb, sid, "admin", key=f"{verb}-again")

    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "SESSION.PENDING_COMMIT"
    assert problem["operation"] == op["id"]
    assert problem["undo"] == f"/v1/operations/{op['id']}/undo"
    assert op["id"] in problem["hint"]
    assert harness.mutations() == mutations  # nothing reached the vendor
    assert harness.state(sid) is SessionState.PAUSED
    refused = [r for r in await harness.audit() if r.action == f"operation.{verb}"]
    assert refused[-1].outcome == "rejected"
    assert '"refused":"SESSION.PENDING_COMMIT"' in refused[-1].record


async def test_a_resume_at_the_vendor_is_held_again_not_terminated(
    harness: Harness, inbox: Inbox
) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    op = await _terminate(harness, sid)
    harness.double().world.apply(sid, Verb.RESUME)  # someone resumed it in the vendor console

    harness.clock.advance(seconds=WINDOW_S + 1)
    await harness.settle()

    assert harness.state(sid) is SessionState.PAUSED  # held again, not cut off
    row = await harness.operation(op["id"])
    assert (row.status, row.outcome) == ("grace", "grace")
    assert row.commit_at is not None
    assert row.commit_at > harness.clock()
    viewed = (
        await harness.client.get(f"/v1/operations/{op['id']}", headers=harness.headers("admin"))
    ).json()
    assert [n["kind"] for n in viewed["notices"]] == ["rehold"]
    assert [(n.message_key, n.recipient, n.operation_id) for n in inbox.notices] == [
        ("stop.rehold", "admin", op["id"])
    ]
    actions = [r.action for r in await harness.audit() if r.operation_id == op["id"]]
    assert actions[-1] == "operation.terminate.rehold"

    harness.clock.advance(seconds=WINDOW_S + 1)  # the new window closes; nobody resumed
    await harness.settle()
    assert harness.state(sid) is SessionState.TERMINATED
    assert (await harness.operation(op["id"])).status == "committed"


async def test_a_stop_resumed_again_and_again_fails_as_contested(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    settings = gateway_settings(database_url, str(tmp_path), max_reholds=1)
    async with gateway(settings, clock=clock) as harness:
        inbox = Inbox()
        harness.interlock.plugins.manager.register(inbox)
        sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
        op = await _terminate(harness, sid)
        for _ in range(2):  # resumed at the vendor in both windows
            harness.double().world.apply(sid, Verb.RESUME)
            harness.clock.advance(seconds=WINDOW_S + 1)
            await harness.settle()

        row = await harness.operation(op["id"])
        assert (row.status, row.error_code) == ("failed", "OPERATION.CONTESTED")
        assert harness.state(sid) is SessionState.IN_PROGRESS  # never cut off
        assert [n.message_key for n in inbox.notices] == ["stop.rehold", "stop.contested"]
        assert (await _session(harness, sid))["pending"] is None


async def test_a_resume_at_the_vendor_is_found_after_a_restart(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    settings = gateway_settings(database_url, str(tmp_path))
    async with gateway(settings, clock=clock) as first:
        sid = first.session("Backend Engineer", SessionState.IN_PROGRESS)
        op = await _terminate(first, sid)
        interlock, keys = first.interlock, first.keys
    interlock.adapter(ACCOUNT).double.world.apply(sid, Verb.RESUME)  # type: ignore[attr-defined]
    clock.advance(seconds=WINDOW_S + 1)
    async with gateway(settings, clock=clock, interlock=interlock, keys=keys) as second:
        await second.settle()
        assert second.state(sid) is SessionState.PAUSED
        row = await second.operation(op["id"])
        assert row.status == "grace"
        assert [n["kind"] for n in row.details["notices"]] == ["rehold"]


@pytest.fixture
async def with_push(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The sandbox account plus a DingTalk-style account wired to its double (it pushes)."""
    plugins = get_plugin_manager()
    spec = plugins.adapter("dingtalk")
    double = make_double(spec)
    adapters: dict[str, InterviewAdapter] = {
        ACCOUNT: SandboxAdapter(AccountContext(account=ACCOUNT)),
        DINGTALK: wire_adapter(spec, double, account=DINGTALK),
    }
    interlock = Interlock(adapters, plugins=plugins)
    settings = gateway_settings(database_url, str(tmp_path))
    try:
        async with gateway(settings, clock=clock, interlock=interlock) as harness:
            harness.dingtalk = double  # type: ignore[attr-defined]
            yield harness
    finally:
        await interlock.aclose()


async def test_a_vendor_push_of_a_resume_is_noted_told_and_held_again(with_push: Harness) -> None:
    harness = with_push
    inbox = Inbox()
    harness.interlock.plugins.manager.register(inbox)
    double: Any = harness.dingtalk  # type: ignore[attr-defined]
    sid = double.put_session(SessionState.IN_PROGRESS)
    op = await _terminate(harness, sid, DINGTALK)
    assert double.world.get(sid).state is SessionState.PAUSED

    double.world.apply(sid, Verb.RESUME)
    pushed = double.signed_callback(sid)
    response = await harness.client.post(
        f"/v1/callbacks/{DINGTALK}",
        params=dict(pushed.query),
        headers=dict(pushed.headers),
        content=pushed.body,
    )

    assert response.status_code == 200, response.text
    row = await harness.operation(op["id"])
    assert row.status == "grace"  # the window stays open: undo is still possible
    assert [n["kind"] for n in row.details["notices"]] == ["resumed_at_vendor"]
    assert [(n.message_key, n.recipient) for n in inbox.notices] == [
        ("stop.resumed_at_vendor", "admin")
    ]
    actions = [r.action for r in await harness.audit() if r.operation_id == op["id"]]
    assert actions[-1] == "operation.terminate.resumed_at_vendor"

    harness.clock.advance(seconds=WINDOW_S + 1)
    await harness.settle()
    assert double.world.get(sid).state is SessionState.PAUSED  # held again, not terminated
    assert (await harness.operation(op["id"])).status == "grace"
