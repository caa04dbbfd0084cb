"""The crash-recovery scenario shared by ``bench/crash_test.py`` and its pytest version.

A batch runs against vendor doubles in a process of their own while the gateway is killed
with SIGKILL at random moments — by the harness, and by the gateway itself right after a
vendor answered and before the outcome was committed (``INTERLOCK_CRASH_AFTER_VENDOR_CALL``)
— and restarted each time. Afterwards the vendor-side truth is compared with the batch.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .loopback import DoubleSpec, Gateways, free_port, start_doubles, wait_ready, write_config

__all__ = ["CrashReport", "run_crash_test"]

_TERMINAL = ("succeeded", "failed", "rejected", "cancelled", "committed", "grace", "undone")


@dataclass
class CrashReport:
    """What the scenario measured."""

    kills: int
    items: int
    terminal: int
    lost: int
    double_applied: int
    audit_ok: bool
    recovery_max_s: float
    failed: int

    def line(self) -> str:
        audit = "ok" if self.audit_ok else "BROKEN"
        return (
            f"kills={self.kills} items={self.items} lost={self.lost} "
            f"double_applied={self.double_applied} audit={audit} "
            f"recovery_max_s={self.recovery_max_s:.1f}"
        )


async def _batch(client: httpx.AsyncClient, url: str, key: str, names: list[str]) -> str:
    headers = {"Authorization": f"Bearer {key}"}
    body: dict[str, Any] = {
        "action": "terminate",
        "sessions": names,
        "reason": {"code": "system_fault", "note": "crash test"},
    }
    preview = await client.post(f"{url}/v1/previews", json=body, headers=headers, timeout=60)
    preview.raise_for_status()
    body["confirm_token"] = preview.json()["confirm_token"]
    headers["Idempotency-Key"] = str(uuid.uuid4())
    created = await client.post(f"{url}/v1/batches", json=body, headers=headers, timeout=60)
    if created.status_code != 202:
        raise RuntimeError(f"batch refused: {created.status_code} {created.text[:500]}")
    batch_id: str = created.json()["id"]
    return batch_id


async def _progress(client: httpx.AsyncClient, url: str, key: str, batch_id: str) -> dict[str, Any]:
    response = await client.get(
        f"{url}/v1/batches/{batch_id}?page_size=0",
        headers={"Authorization": f"Bearer {key}"},
        timeout=5,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _done(counts: dict[str, int]) -> int:
    return counts["succeeded"] + counts["failed"] + counts["skipped"]


async def _done_now(client: httpx.AsyncClient, url: str, key: str, batch_id: str) -> int | None:
    try:
        batch = await _progress(client, url, key, batch_id)
    except httpx.HTTPError:
        return None
    return None if batch["status"] == "completed" else _done(batch["counts"])


async def _restart(
    gateways: Gateways,
    port: int,
    armed: bool,
    client: httpx.AsyncClient,
    key: str,
    batch_id: str,
    before: int,
) -> tuple[float, int]:
    """Restart after a kill; seconds until the batch progressed again, and how many more
    times the (armed) fault point killed the gateway meanwhile."""
    url, killed_at, more = f"http://127.0.0.1:{port}", time.monotonic(), 0
    gateways.start(port, crash_after_vendor_call=0.02 if armed else 0.0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not gateways.alive(port):  # the fault point struck again: one more kill
            more += 1
            gateways.kill(port)
            gateways.start(port)
        done = await _done_now(client, url, key, batch_id)
        if done is None or done > before:
            try:
                batch = await _progress(client, url, key, batch_id)
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
                continue
            if batch["status"] == "completed" or _done(batch["counts"]) > before:
                break
        await asyncio.sleep(0.05)
    return time.monotonic() - killed_at, more


def _audit_ok(gateways: Gateways) -> bool:
    done = subprocess.run(  # noqa: S603
        [gateways.cli, "audit", "verify", "--json"],
        env=gateways._env(),
        capture_output=True,
        check=False,
    )
    return done.returncode == 0 and bool(json.loads(done.stdout or b"{}").get("ok"))


async def run_crash_test(
    database_url: str,
    workdir: Path,
    *,
    items: int = 1000,
    kills: int = 10,
    qps: float = 12.0,
    seed: int = 8,
) -> CrashReport:
    """Run the scenario on ``database_url`` (fresh and empty) and report.

    Every kill lands while the batch is unfinished (the vendors' limit ``qps`` keeps it
    running long enough); ``kills`` in the report counts only those.
    """
    rng = random.Random(seed)
    per = [items // 3 + (1 if i < items % 3 else 0) for i in range(3)]
    specs = [
        DoubleSpec("dingtalk", "dingtalk", qps, 2.0, per[0]),
        DoubleSpec("beisen", "beisen", qps, 2.0, per[1]),
        DoubleSpec("yonyou", "yonyou", qps, 2.0, per[2]),
    ]
    doubles, info = start_doubles(specs, workdir)
    config = workdir / "interlock.toml"
    write_config(config, info, native=False)
    gateways = Gateways(workdir, database_url, config)
    try:
        key = await gateways.admin_key()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        gateways.start(port)
        await wait_ready(url)
        async with httpx.AsyncClient() as client:
            control = info["control"]
            names = [
                f"accounts/{s.account}/sessions/{sid}"
                for s in specs
                for sid in (await client.get(f"{control}/sessions/{s.account}")).json()
            ]
            batch_id = await _batch(client, url, key, names)
            recoveries: list[float] = []
            done, armed = 0, False
            while done < kills:
                try:
                    batch = await _progress(client, url, key, batch_id)
                except httpx.HTTPError:  # the armed fault point struck: restart counts it
                    batch = None
                if batch is not None and batch["status"] == "completed":
                    break  # the batch finished: later kills would prove nothing
                before = _done(batch["counts"]) if batch is not None else 0
                deadline = time.monotonic() + rng.uniform(0.3, 1.5)
                while time.monotonic() < deadline and gateways.alive(port):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
                gateways.kill(port)  # a no-op if the fault point killed it already
                done += 1
                # Every other restart arms the fault point between answer and commit.
                armed = done % 2 == 1 and done < kills - 1
                seconds, more = await _restart(gateways, port, armed, client, key, batch_id, before)
                recoveries.append(seconds)
                done += more
            if armed or not gateways.alive(port):
                gateways.kill(port)
                gateways.start(port)  # the last run has no fault point: it finishes the batch
            await wait_ready(url)
            batch = await _until_finished(client, url, key, batch_id)
            stats = (await client.get(f"{control}/stats")).json()
        counts = batch["counts"]
        terminal = _done(counts)
        return CrashReport(
            kills=done,
            items=batch["item_count"],
            terminal=terminal,
            lost=len(names) - terminal,
            double_applied=sum(s["double_applied"] for s in stats.values()),
            audit_ok=_audit_ok(gateways),
            recovery_max_s=max(recoveries, default=0.0),
            failed=counts["failed"],
        )
    finally:
        gateways.stop_all()
        doubles.kill()
        doubles.wait()


async def _until_finished(
    client: httpx.AsyncClient, url: str, key: str, batch_id: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        batch = await _progress(client, url, key, batch_id)
        if batch["status"] == "completed":
            return batch
        await asyncio.sleep(0.2)
    return batch
