"""A candidate leaves an interview: DingTalk pushes the change (signed and encrypted by the
DingTalk double), the gateway records it as actor ``candidate``, issues a resume link, and
the owning HR user gets a DingTalk work notification — end to end, on both databases."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from interlock import Interlock, get_plugin_manager
from interlock.adapter import AccountContext
from interlock.doubles import wire_adapter
from interlock.models import SessionRef, SessionState
from interlock_dingtalk.double import DingTalkDouble
from interlock_gateway.principals import create_principal
from interlock_gateway.settings import NotificationSettings
from interlock_gateway.store.tables import Notification, ResumeLink
from interlock_sandbox.adapter import SandboxAdapter

from ..api.harness import ACCOUNT, FakeClock, Harness, gateway, gateway_settings
from .conftest import eventually

DT = "dt"
HR_DINGTALK_ID = "hr0042"


@pytest.fixture
def double() -> DingTalkDouble:
    return DingTalkDouble()


@pytest.fixture
async def ding(
    database_url: str, tmp_path: Path, clock: FakeClock, double: DingTalkDouble
) -> AsyncIterator[Harness]:
    adapter = wire_adapter(get_plugin_manager().adapter("dingtalk"), double, account=DT)
    interlock = Interlock(
        {ACCOUNT: SandboxAdapter(AccountContext(account=ACCOUNT)), DT: adapter},
        plugins=get_plugin_manager(load_entry_points=False),
    )
    notifications = NotificationSettings(
        channels={"ding": {"type": "dingtalk", "account": DT, "agent_id": 77}},
        routes=[{"events": ["candidate.paused"], "channel": "ding", "to": ["requester"]}],
        contacts={"owner": {"ding": HR_DINGTALK_ID}},
        poll_interval=0.05,
    )
    settings = gateway_settings(database_url, str(tmp_path))
    async with gateway(
        settings, clock=clock, interlock=interlock, notifications=notifications
    ) as running:
        yield running


async def test_a_pushed_candidate_exit_is_recorded_linked_and_told(
    ding: Harness, double: DingTalkDouble
) -> None:
    session_id = next(
        s.id for s in double.world.sessions.values() if s.state is SessionState.IN_PROGRESS
    )
    session = await ding.interlock.get_session(SessionRef(account=DT, session_id=session_id))
    async with ding.runtime.db.write() as tx:  # the position's owner, linked on this account
        await create_principal(
            tx, "owner", "specialist", vendor_users={DT: [session.position.owner_ids[0]]}
        )
    double.world.move(session_id, SessionState.PAUSED)  # the candidate left

    pushed = double.signed_callback(session_id)
    response = await ding.client.post(
        f"/v1/callbacks/{DT}",
        params=dict(pushed.query),
        headers=dict(pushed.headers),
        content=pushed.body,
    )

    assert response.status_code == 200
    records = await ding.audit()
    exit_record = next(r for r in records if r.action == "session.paused")
    body = json.loads(exit_record.record)
    assert body["actor"]["principal"] == "candidate"
    assert body["target"]["session_id"] == session_id
    async with ding.runtime.db.session() as tx:
        link = await tx.scalar(select(ResumeLink).where(ResumeLink.session_id == session_id))
    assert link is not None
    assert (link.state, link.owner) == ("active", "owner")

    async def told() -> bool:
        async with ding.runtime.db.session() as tx:
            rows = list(await tx.scalars(select(Notification)))
        return len(rows) == 1 and rows[0].status == "delivered"

    await eventually(told)
    (notice,) = double.work_notices.sent
    assert notice.user_ids == (HR_DINGTALK_ID,)
    assert session_id in notice.text

    # the link works: the candidate continues
    links = ding.runtime.context.links
    assert links is not None
    page = await ding.client.post(f"/c/{links.token(link.id)}/continue", data={"lang": "en"})
    assert page.status_code == 200
    assert 'data-status="resumed"' in page.text
    assert double.world.get(session_id).state is SessionState.IN_PROGRESS


async def test_our_own_pause_is_not_a_candidate_exit(ding: Harness, double: DingTalkDouble) -> None:
    session_id = next(
        s.id for s in double.world.sessions.values() if s.state is SessionState.IN_PROGRESS
    )
    response = await ding.verb("pause", session_id, account=DT)
    assert response.status_code in (200, 404), response.text
    if response.status_code == 404:
        pytest.skip("the admin may not see this DingTalk session")
    pushed = double.signed_callback(session_id)
    await ding.client.post(
        f"/v1/callbacks/{DT}",
        params=dict(pushed.query),
        headers=dict(pushed.headers),
        content=pushed.body,
    )
    assert "session.paused" not in [r.action for r in await ding.audit()]


async def test_a_polled_exit_where_the_vendor_pushes_nothing(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    from interlock_gateway.operations.exits import poll_exits

    settings = gateway_settings(database_url, str(tmp_path), exit_poll_interval=3600)
    async with gateway(settings, clock=clock) as running:
        ctx = running.runtime.context
        await poll_exits(ctx, clock())  # whatever the seeded world has paused already
        left = running.session("Backend Engineer", SessionState.IN_PROGRESS)
        ours = running.session("Backend Engineer", SessionState.IN_PROGRESS)
        assert (await running.verb("pause", ours)).status_code == 200
        running.double().world.move(left, SessionState.PAUSED)  # the candidate left

        assert await poll_exits(ctx, clock()) == 1
        assert await poll_exits(ctx, clock()) == 0  # seen once, recorded once

        exits = [r for r in await running.audit() if r.action == "session.paused"]
        assert [r.session_id for r in exits if r.session_id in (left, ours)] == [left]
        async with running.runtime.db.session() as tx:
            link = await tx.scalar(select(ResumeLink).where(ResumeLink.session_id == left))
        assert link is not None
        assert link.state == "active"


async def test_a_yonyou_push_of_a_candidate_exit(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    from interlock.doubles import make_double

    spec = get_plugin_manager().adapter("yonyou")
    yonyou = make_double(spec)
    interlock = Interlock(
        {
            ACCOUNT: SandboxAdapter(AccountContext(account=ACCOUNT)),
            "yy": wire_adapter(spec, yonyou, account="yy"),
        },
        plugins=get_plugin_manager(load_entry_points=False),
    )
    settings = gateway_settings(database_url, str(tmp_path))
    async with gateway(settings, clock=clock, interlock=interlock) as running:
        session_id = next(
            s.id for s in yonyou.world.sessions.values() if s.state is SessionState.IN_PROGRESS
        )
        yonyou.world.move(session_id, SessionState.PAUSED)  # the candidate left
        pushed = yonyou.signed_callback(session_id)
        response = await running.client.post(
            "/v1/callbacks/yy",
            params=dict(pushed.query),
            headers=dict(pushed.headers),
            content=pushed.body,
        )
        assert response.status_code == 200, response.text
        exits = [r for r in await running.audit() if r.action == "session.paused"]
        assert [r.session_id for r in exits] == [session_id]
        assert json.loads(exits[0].record)["actor"]["principal"] == "candidate"


async def test_a_push_about_an_unknown_session_is_acknowledged_and_audited_only(
    ding: Harness, double: DingTalkDouble
) -> None:
    session_id = next(
        s.id for s in double.world.sessions.values() if s.state is SessionState.IN_PROGRESS
    )
    double.world.move(session_id, SessionState.PAUSED)
    pushed = double.signed_callback(session_id)
    del double.world.sessions[session_id]  # the vendor no longer knows it

    response = await ding.client.post(
        f"/v1/callbacks/{DT}",
        params=dict(pushed.query),
        headers=dict(pushed.headers),
        content=pushed.body,
    )

    assert response.status_code == 200
    actions = [r.action for r in await ding.audit()]
    assert "callback" in actions
    assert "session.paused" not in actions
    async with ding.runtime.db.session() as tx:
        assert await tx.scalar(select(ResumeLink)) is None
