"""The outbox across a SIGKILL: real ``interlock serve`` processes on this test's database
(SQLite and PostgreSQL), DingTalk and Yonyou doubles over loopback, a real SMTP server that is
down, then up. Every notification is delivered once: nothing lost, nothing sent twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from harness.loopback import (
    DoubleSpec,
    Gateways,
    free_port,
    start_doubles,
    wait_ready,
    write_config,
)
from harness.smtp_sink import SmtpSink
from interlock_gateway.store import Database
from interlock_gateway.store.tables import Notification

pytestmark = pytest.mark.slow
ITEMS_PER_ACCOUNT = 8


def _notifications_config(port: int) -> str:
    return f"""
[notifications]
retry_base = 0.3
retry_max = 1
lease = 2
poll_interval = 0.1
[notifications.channels.mail]
type = "email"
host = "127.0.0.1"
port = {port}
sender = "interlock@example.com"
timeout = 2
[[notifications.routes]]
events = ["session.terminated"]
channel = "mail"
to = ["candidates@example.com"]
audience = "candidate"
[[notifications.routes]]
events = ["batch.finished"]
channel = "mail"
to = ["ops@example.com"]
"""


async def _rows(db: Database) -> list[Notification]:
    async with db.session() as session:
        return list(await session.scalars(select(Notification)))


async def _until(db: Database, check: Any, seconds: float = 60) -> list[Notification]:
    deadline = time.monotonic() + seconds
    while True:
        rows = await _rows(db)
        if rows and check(rows):
            return rows
        if time.monotonic() > deadline:
            states = sorted({(n.status, n.attempts) for n in rows})
            raise AssertionError(f"not reached; notifications: {states}")
        await asyncio.sleep(0.1)


async def test_channel_down_sigkill_channel_up(database_url: str, tmp_path: Path) -> None:
    specs = [DoubleSpec(a, a, 50.0, 1.0, ITEMS_PER_ACCOUNT) for a in ("dingtalk", "yonyou")]
    doubles, info = start_doubles(specs, tmp_path)
    config = tmp_path / "interlock.toml"
    write_config(config, info, native=False)
    smtp_port = free_port()
    with config.open("a", encoding="utf-8") as out:
        out.write(_notifications_config(smtp_port))
    gateways = Gateways(tmp_path, database_url, config)
    sink = SmtpSink(smtp_port, tmp_path / "mail")
    db = Database(database_url)
    try:
        key = await gateways.admin_key()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        gateways.start(port)
        await wait_ready(url)
        async with httpx.AsyncClient(timeout=30) as client:
            names = []
            for account in info["accounts"]:
                ids = (await client.get(f"{info['control']}/sessions/{account}")).json()
                names += [f"accounts/{account}/sessions/{sid}" for sid in ids]
            headers = {"Authorization": f"Bearer {key}"}
            body: dict[str, Any] = {
                "action": "terminate",
                "sessions": names,
                "reason": {"code": "system_fault", "note": "outbox crash test"},
            }
            preview = await client.post(f"{url}/v1/previews", json=body, headers=headers)
            body["confirm_token"] = preview.json()["confirm_token"]
            headers["Idempotency-Key"] = str(uuid.uuid4())
            created = await client.post(f"{url}/v1/batches", json=body, headers=headers)
            assert created.status_code == 202, created.text

        # The channel is down: every row is tried (and fails) while the stops go on.
        expected = len(names)  # one session.terminated per item (batch.finished: one more)
        await _until(
            db,
            lambda rows: (
                len(rows) >= expected + 1
                and all(n.status == "pending" and n.attempts >= 1 for n in rows)
            ),
        )
        gateways.kill(port)  # SIGKILL: no shutdown of any kind
        sink.start()
        gateways.start(port)
        await wait_ready(url)

        rows = await _until(db, lambda rows: all(n.status == "delivered" for n in rows))
        await asyncio.sleep(1.0)  # a second sender would have sent by now
        mail = sink.messages()
        ids = [m["message_id"] for m in mail]
        assert len(rows) == expected + 1
        assert len(ids) == len(set(ids)) == len(rows)  # nothing lost, nothing twice
        assert set(ids) == {f"<{n.id}@interlock>" for n in rows}
        assert {m["event"] for m in mail} == {"session.terminated", "batch.finished"}
    finally:
        await db.dispose()
        gateways.stop_all()
        sink.stop()
        doubles.kill()
        doubles.wait()
