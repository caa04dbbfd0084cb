"""The worker's record of what runs: a unit's task ending must not hide a newer run of one
of its items (a chunk item handed back to the queue can be claimed again before the unit's
task has ended) — else ``settle`` and the concurrency count would overlook that run."""

from __future__ import annotations

import asyncio

from ..api.harness import Harness


async def test_an_ended_task_does_not_forget_a_newer_run_of_its_item(harness: Harness) -> None:
    worker = harness.runtime.worker
    unit = asyncio.create_task(asyncio.sleep(0), name="the unit that handed the item back")
    rerun = asyncio.create_task(asyncio.sleep(0.2), name="the item's newer single run")
    worker._running["op-1"] = rerun
    await unit
    worker._forget("op-1", unit)
    assert worker._running.get("op-1") is rerun
    await rerun
    worker._forget("op-1", rerun)
    assert "op-1" not in worker._running
