from __future__ import annotations

from interlock.models import SessionState

from .harness import Harness


async def test_pause_then_terminate_then_undo(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    response = await harness.verb("terminate", sid, "spec")
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "grace"
    assert harness.state(sid) is SessionState.PAUSED
