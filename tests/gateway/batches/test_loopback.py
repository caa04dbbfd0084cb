"""Batches against vendor doubles served over loopback, with real gateway processes.

The doubles run in a process of their own (they are the truth about what the vendor saw);
gateways are ``interlock serve`` processes on this test's database.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.crash import run_crash_test
from harness.loopback import (
    DoubleSpec,
    Gateways,
    free_port,
    start_doubles,
    wait_ready,
    write_config,
)

REASON = {"code": "system_fault", "note": "loopback test"}


async def test_crash_recovery_loses_nothing_and_applies_nothing_twice(
    database_url: str, tmp_path: Path
) -> None:
    report = await run_crash_test(database_url, tmp_path, items=90, kills=3, qps=10.0)
    print(report.line())
    assert report.kills >= 3
    assert report.items == 90
    assert report.lost == 0
    assert report.double_applied == 0
    assert report.audit_ok


class Stack:
    """Doubles, a config and gateways on one database."""

    def __init__(self, tmp: Path, database_url: str, specs: list[DoubleSpec]) -> None:
        self.doubles, self.info = start_doubles(specs, tmp)
        config = tmp / "interlock.toml"
        write_config(config, self.info, native=False)
        self.gateways = Gateways(tmp, database_url, config)
        self.key = ""
        self.urls: list[str] = []

    async def start(self, count: int) -> None:
        self.key = await self.gateways.admin_key()
        for _ in range(count):
            port = free_port()
            self.gateways.start(port)
            self.urls.append(f"http://127.0.0.1:{port}")
        for url in self.urls:
            await wait_ready(url)

    def close(self) -> None:
        self.gateways.stop_all()
        self.doubles.kill()
        self.doubles.wait()

    async def names(self, client: httpx.AsyncClient) -> list[str]:
        names = []
        for account in self.info["accounts"]:
            ids = (await client.get(f"{self.info['control']}/sessions/{account}")).json()
            names += [f"accounts/{account}/sessions/{sid}" for sid in ids]
        return names

    async def run_batch(self, client: httpx.AsyncClient, names: list[str]) -> str:
        headers = {"Authorization": f"Bearer {self.key}"}
        body: dict[str, Any] = {"action": "terminate", "sessions": names, "reason": REASON}
        preview = await client.post(f"{self.urls[0]}/v1/previews", json=body, headers=headers)
        body["confirm_token"] = preview.json()["confirm_token"]
        headers["Idempotency-Key"] = str(uuid.uuid4())
        created = await client.post(f"{self.urls[0]}/v1/batches", json=body, headers=headers)
        assert created.status_code == 202, created.text
        batch_id: str = created.json()["id"]
        return batch_id

    async def finished(self, client: httpx.AsyncClient, batch_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            response = await client.get(
                f"{self.urls[-1]}/v1/batches/{batch_id}?page_size=200",
                headers={"Authorization": f"Bearer {self.key}"},
            )
            batch: dict[str, Any] = response.json()
            if batch["status"] == "completed":
                return batch
            await asyncio.sleep(0.1)
        raise AssertionError(f"batch not finished: {batch['counts']}")

    async def stats(self, client: httpx.AsyncClient) -> dict[str, Any]:
        stats: dict[str, Any] = (await client.get(f"{self.info['control']}/stats")).json()
        return stats


# Several replicas need PostgreSQL (SQLite is single-replica by design).
@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_replicas_share_the_work_and_the_quota_and_survive_one_dying(
    database_url: str, tmp_path: Path, stack_factory: list[Stack]
) -> None:
    limit = 10.0
    specs = [DoubleSpec(a, a, limit, 2.0, 30) for a in ("dingtalk", "beisen", "yonyou")]
    stack = Stack(tmp_path, database_url, specs)
    stack_factory.append(stack)
    await stack.start(2)
    async with httpx.AsyncClient() as client:
        batch_id = await stack.run_batch(client, await stack.names(client))
        await asyncio.sleep(1.5)
        first = next(iter(stack.gateways.processes))
        stack.gateways.kill(first)  # its items in flight are taken over after their lease
        batch = await stack.finished(client, batch_id)
        stats = await stack.stats(client)
    assert batch["counts"]["succeeded"] == 90
    for account, seen in stats.items():
        assert seen["double_applied"] == 0, account
        assert seen["throttle_rejections"] == 0, account
        assert max(seen["max_per_second"].values()) <= limit, (account, seen["max_per_second"])


async def test_a_vendor_outage_holds_items_and_the_batch_finishes_after_it(
    database_url: str, tmp_path: Path, stack_factory: list[Stack]
) -> None:
    specs = [DoubleSpec("dingtalk", "dingtalk", 40.0, 2.0, 60)]
    stack = Stack(tmp_path, database_url, specs)
    stack.gateways.env["INTERLOCK_BATCHES_BREAKER_MAX_COOLDOWN"] = "1"
    stack_factory.append(stack)
    await stack.start(1)
    async with httpx.AsyncClient() as client:
        batch_id = await stack.run_batch(client, await stack.names(client))
        await asyncio.sleep(0.4)
        outage = f"{stack.info['control']}/outage?account=dingtalk&seconds=2"
        assert (await client.post(outage)).status_code == 200
        batch = await stack.finished(client, batch_id)
        stats = await stack.stats(client)
    assert batch["counts"]["succeeded"] == 60
    assert batch["counts"]["failed"] == 0
    assert stats["dingtalk"]["double_applied"] == 0
    held = [item for item in batch["items"] if item["attempts"] > 1]
    assert held, "the outage did not hit any item"
