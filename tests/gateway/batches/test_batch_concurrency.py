"""Per-account concurrency counts *units* in flight, whatever a unit turns out to be: a native
chunk, or a single item (a phase that is never chunked — the undo window's hold — or an item
read back after a failure). Both backends."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from interlock.models import SessionState

from ..api.harness import ACCOUNT, Harness
from .helpers import REASON, names, run_to_end, submit


def track_units(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Units started, the peak running at once, and how many items they carried."""
    engine = harness.runtime.worker.units
    seen = {"now": 0, "peak": 0, "items": 0, "units": 0}
    original = engine.run

    async def run(unit: Any, *args: Any, **kwargs: Any) -> None:
        seen["now"] += 1
        seen["peak"] = max(seen["peak"], seen["now"])
        seen["items"] += len(unit)
        seen["units"] += 1
        try:
            await original(unit, *args, **kwargs)
        finally:
            seen["now"] -= 1

    monkeypatch.setattr(engine, "run", run)
    return seen


@pytest.mark.parametrize("verb", ["terminate", "pause"])
async def test_units_in_flight_never_exceed_the_accounts_concurrency(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, verb: str
) -> None:
    double = harness.double()
    double.settings = dataclasses.replace(double.settings, latency_ms=20)  # units overlap
    cap = harness.runtime.context.concurrency(ACCOUNT)
    seen = track_units(harness, monkeypatch)
    sessions = names(harness, 2 * cap + 2, SessionState.IN_PROGRESS)  # ≤ 20: no preview

    response = await submit(harness, {"action": verb, "sessions": sessions, "reason": REASON})

    assert response.status_code == 202, response.text
    await asyncio.sleep(0.1)  # the first wave and a few claims
    batch = await run_to_end(harness, response.json()["id"])
    assert batch["counts"]["succeeded"] == len(sessions)
    assert seen["items"] == len(sessions)
    assert 1 <= seen["peak"] <= cap
    # A terminate in the undo window holds each candidate first (one item per unit); a
    # pause goes out in native chunks (fewer units than items).
    if verb == "terminate":
        assert seen["units"] == len(sessions)
        assert seen["peak"] > 1
    else:
        assert seen["units"] < len(sessions)
    assert harness.mutations() == len(sessions)
