"""The client against a real gateway on loopback: every method, and problems as exceptions."""

from __future__ import annotations

import socket
import uuid

import pytest

from interlock.client import (
    ApprovalRequired,
    AsyncGatewayClient,
    Conflict,
    GatewayClient,
    GatewayUnavailable,
    NotFound,
    RetryPolicy,
    Unauthenticated,
    ValidationFailed,
)
from interlock.client._core import API, Call

from .conftest import Served

ACCOUNT = "demo"


async def test_health(served: Served) -> None:
    async with AsyncGatewayClient(served.url) as client:
        assert await client.health() == {"status": "ok"}


async def test_sessions_iterates_every_page(served: Served) -> None:
    async with AsyncGatewayClient(served.url, served.keys["admin"]) as client:
        first = await client.sessions_page(page_size=2)
        assert first.next_page_token, "the sandbox world has more than two sessions"
        every = [s async for s in client.sessions(page_size=2)]
        one_page = [s async for s in client.sessions(page_size=100)]
    assert [s.name for s in every] == [s.name for s in one_page]
    assert len({s.name for s in every}) == len(every) > 2


async def test_get_pause_resume_terminate_undo(served: Served) -> None:
    async with AsyncGatewayClient(served.url, served.keys["admin"]) as client:
        running = [s async for s in client.sessions(account=ACCOUNT, state="in_progress")]
        assert len(running) >= 2
        first, second = running[0], running[1]
        assert (await client.session(ACCOUNT, first.id)).name == first.name

        paused = await client.pause(ACCOUNT, first.id, "candidate_network", "lost connection")
        assert paused.verb == "pause"
        done = await client.operation(paused.id)
        assert done.id == paused.id
        resumed = await client.resume(ACCOUNT, first.id, "candidate_network")
        assert resumed.verb == "resume"

        stopped = await client.terminate(ACCOUNT, second.id, "process_change")
        assert stopped.status in {"grace", "pending", "in_flight"}
        undone = await client.undo(stopped.id, "wrong session")
        assert undone.undo_of == stopped.id


async def test_problems_are_typed(served: Served) -> None:
    async with AsyncGatewayClient(served.url, served.keys["admin"]) as client:
        with pytest.raises(NotFound) as missing:
            await client.session(ACCOUNT, "no-such-session")
        assert missing.value.status == 404
        assert missing.value.code
        assert missing.value.request_id

        with pytest.raises(ValidationFailed) as invalid:
            await client.pause(ACCOUNT, "x", "not_a_reason")
        assert any("reason" in e["field"] for e in invalid.value.errors)

        with pytest.raises(ApprovalRequired) as no_key:
            await client.send(
                Call(
                    "POST",
                    f"{API}/accounts/{ACCOUNT}/sessions/x/terminate",
                    json={"reason": {"code": "process_change"}},
                )
            )
        assert no_key.value.status == 428

        done = [s async for s in client.sessions(account=ACCOUNT, state="completed")]
        with pytest.raises(Conflict) as conflict:
            await client.pause(ACCOUNT, done[0].id, "candidate_network")
        assert conflict.value.status == 409


async def test_unreachable_gateway_is_one_line() -> None:
    retry = RetryPolicy(attempts=2, backoff=0.01)
    async with AsyncGatewayClient("http://127.0.0.1:9", retry=retry) as client:
        with pytest.raises(GatewayUnavailable) as unreachable:
            await client.health()
    assert "\n" not in str(unreachable.value)
    assert "unreachable" in str(unreachable.value)


def test_sync_client(served: Served) -> None:
    with GatewayClient(served.url, served.keys["admin"]) as client:
        assert client.health() == {"status": "ok"}
        sessions = client.sessions(account=ACCOUNT)
        assert sessions
        assert client.session(ACCOUNT, sessions[0].id).id == sessions[0].id
        with pytest.raises(NotFound):
            client.operation(str(uuid.uuid4()))
        assert client.adapters()
        assert isinstance(client.stats(), dict)
        assert isinstance(client.approvals(), list)
        names = [s.name for s in client.sessions(account=ACCOUNT, state="scheduled")][:1]
        preview = client.preview("pause", "process_change", sessions=names)
        assert preview["confirm_token"]


def test_me_and_my_operations(served: Served) -> None:
    with GatewayClient(served.url, served.keys["spec"]) as client:
        me = client.me()
        assert (me.principal, me.role) == ("spec", "specialist")
        before = {o.id for o in client.my_operations()}
        target = next(s for s in client.sessions(account=ACCOUNT, state="in_progress"))
        paused = client.pause(ACCOUNT, target.id, "candidate_network")
        mine = client.my_operations(limit=5)
        assert mine[0].id == paused.id
        assert paused.id not in before
        assert all(o.actor == "spec" for o in mine)
    with GatewayClient(served.url, served.keys["admin"]) as admin:
        assert paused.id not in {o.id for o in admin.my_operations()}  # only the caller's own


async def test_principals_and_tasks_for_admins(served: Served) -> None:
    async with AsyncGatewayClient(served.url, served.keys["admin"]) as admin:
        created = await admin.create_principal(
            "client.test", "specialist", positions=[f"{ACCOUNT}/p-1"]
        )
        assert created["key"].startswith("ilk_")
        await admin.link_vendor_users("client.test", ACCOUNT, ["user42"])
        await admin.grant("client.test", departments=[f"{ACCOUNT}/rnd"])
        await admin.grant("client.test", remove=True, positions=[f"{ACCOUNT}/p-1"])
        listed = {p["name"]: p for p in await admin.principals()}
        mine = listed["client.test"]
        assert mine["vendor_users"] == {ACCOUNT: ["user42"]}
        assert (mine["positions"], mine["departments"]) == ([], [f"{ACCOUNT}/rnd"])
        await admin.unlink_vendor_users("client.test", ACCOUNT)
        await admin.revoke_principal("client.test")
        assert not {p["name"]: p for p in await admin.principals()}["client.test"]["active"]
        assert isinstance(await admin.tasks(status="open"), list)
        with pytest.raises(NotFound):
            await admin.task(str(uuid.uuid4()))
    async with AsyncGatewayClient(served.url, created["key"]) as revoked:
        with pytest.raises(Unauthenticated):
            await revoked.me()


async def test_a_gateway_that_never_answers_is_one_line() -> None:
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        retry = RetryPolicy(attempts=1, backoff=0.01)
        async with AsyncGatewayClient(url, "ilk_x", timeout=0.3, retry=retry) as client:
            with pytest.raises(GatewayUnavailable) as timed_out:
                await client.me()
    assert str(timed_out.value) == f"GET {url}/v1/me: gateway unreachable (ReadTimeout)"
