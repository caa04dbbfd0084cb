"""DingTalk work notifications: the gateway's outbox → the channel → the DingTalk adapter →
the DingTalk double's asyncsend_v2, which keeps what each user received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from interlock import Interlock, get_plugin_manager
from interlock.adapter import AccountContext
from interlock.doubles import wire_adapter
from interlock.models import SessionState
from interlock_dingtalk.adapter import DingTalkAdapter
from interlock_dingtalk.double import DingTalkDouble
from interlock_gateway.settings import NotificationSettings
from interlock_gateway.store.tables import Notification
from interlock_sandbox.adapter import SandboxAdapter

from ..api.harness import ACCOUNT, FakeClock, Harness, gateway, gateway_settings
from .conftest import eventually

HR_USER = "manager0001"


@pytest.fixture
def double() -> DingTalkDouble:
    return DingTalkDouble()


@pytest.fixture
async def ding(
    database_url: str, tmp_path: Path, clock: FakeClock, double: DingTalkDouble
) -> AsyncIterator[Harness]:
    plugins = get_plugin_manager()
    adapter = wire_adapter(plugins.adapter("dingtalk"), double, account="dt")
    interlock = Interlock(
        {ACCOUNT: SandboxAdapter(AccountContext(account=ACCOUNT)), "dt": adapter},
        plugins=get_plugin_manager(load_entry_points=False),
    )
    notifications = NotificationSettings(
        channels={"ding": {"type": "dingtalk", "account": "dt", "agent_id": 2730001}},
        routes=[{"events": ["operation.finished"], "channel": "ding", "to": ["requester"]}],
        contacts={"admin": {"ding": HR_USER}},
        poll_interval=0.05,
    )
    settings = gateway_settings(database_url, str(tmp_path))
    async with gateway(
        settings, clock=clock, interlock=interlock, notifications=notifications
    ) as running:
        yield running


async def test_the_requester_receives_a_work_notification(
    ding: Harness, double: DingTalkDouble
) -> None:
    session_id = ding.session("Backend Engineer", SessionState.IN_PROGRESS)

    response = await ding.verb("pause", session_id)
    assert response.status_code == 200, response.text

    async def delivered() -> bool:
        async with ding.runtime.db.session() as session:
            rows = list(await session.scalars(select(Notification)))
        return len(rows) == 1 and rows[0].status == "delivered"

    await eventually(delivered)
    (notice,) = double.work_notices.sent
    assert notice.agent_id == 2730001
    assert notice.user_ids == (HR_USER,)
    assert notice.msg["msgtype"] == "text"
    assert session_id in notice.text
    assert "operator_error" in notice.text  # HR-facing: the reason code is shown
    async with ding.runtime.db.session() as session:
        row = await session.scalar(select(Notification))
    assert row is not None
    assert row.provider_id == str(notice.task_id)
    assert row.recipient_masked == "ma*********"


async def test_the_double_refuses_what_dingtalk_refuses(double: DingTalkDouble) -> None:
    adapter = wire_adapter(get_plugin_manager().adapter("dingtalk"), double)
    assert isinstance(adapter, DingTalkAdapter)
    try:
        task = await adapter.send_work_notification(1, ["u1", "u2"], "标题", "正文")
        assert task == str(double.work_notices.sent[0].task_id)
        assert double.work_notices.sent[0].user_ids == ("u1", "u2")
        assert double.work_notices.sent[0].text == "标题\n正文"
        with pytest.raises(Exception, match="agent_id"):
            await adapter.send_work_notification(0, ["u1"], "t", "x")
    finally:
        await adapter.aclose()
