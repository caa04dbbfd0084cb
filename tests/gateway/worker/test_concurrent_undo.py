"""Undo is exactly-once under concurrency: one request undoes, the others are told it is
already undone — never a false "window closed" (both backends)."""

from __future__ import annotations

import asyncio
from collections import Counter

from interlock.models import SessionState

from ..api.harness import Harness


async def test_twenty_concurrent_undos_undo_once(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    terminated = await harness.verb("terminate", sid, "admin")
    assert terminated.status_code == 200, terminated.text
    op_id = terminated.json()["id"]
    held = harness.mutations()

    answers = await asyncio.gather(
        *(
            harness.post(f"/v1/operations/{op_id}/undo", "admin", {"note": f"try {n}"})
            for n in range(20)
        )
    )
    await harness.settle()

    statuses = Counter(a.status_code for a in answers)
    assert statuses[200] + statuses[202] == 1, [a.text for a in answers]
    refusals = [a.json() for a in answers if a.status_code == 409]
    assert len(refusals) == 19
    assert {r["code"] for r in refusals} == {"OPERATION.ALREADY_UNDONE"}
    assert harness.state(sid) is SessionState.IN_PROGRESS
    assert harness.mutations() == held + 1  # one resume gave the hold back
    undone = [
        r for r in await harness.audit() if r.action == "operation.undo" and r.outcome == "accepted"
    ]
    assert len(undone) == 1
    restores = [r for r in await harness.audit() if r.action == "operation.undo.outcome"]
    assert len(restores) == 1
    assert (await harness.operation(op_id)).status == "undone"
