"""A verb the account's adapter cannot do is refused before anything is stored or sent."""

from __future__ import annotations

import pytest

from interlock.models import SessionState
from interlock_gateway.store.tables import Operation

from .harness import NO_PAUSE_ACCOUNT, Harness


@pytest.mark.parametrize("verb", ["pause", "resume"])
async def test_unsupported_verb_is_refused_up_front(harness: Harness, verb: str) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS, account=NO_PAUSE_ACCOUNT)
    response = await harness.verb(verb, sid, "admin", key=f"k-{verb}", account=NO_PAUSE_ACCOUNT)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "OPERATION.UNSUPPORTED"
    assert body["account"] == NO_PAUSE_ACCOUNT
    assert harness.calls(NO_PAUSE_ACCOUNT) == 0  # not even the ownership read
    assert await harness.count(Operation) == 0
    assert await harness.idempotency_rows() == 0
    refusal = [r for r in await harness.audit() if r.action == f"operation.{verb}"]
    assert [r.outcome for r in refusal] == ["unsupported"]


async def test_unsupported_wins_over_a_missing_session(harness: Harness) -> None:
    response = await harness.verb("pause", "sbx-0000000000", "admin", account=NO_PAUSE_ACCOUNT)
    assert response.json()["code"] == "OPERATION.UNSUPPORTED"
