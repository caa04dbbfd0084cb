"""Finding sessions: every filter, cursor paging across accounts, the session view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from interlock.models import SessionState

from .harness import ACCOUNT, NO_PAUSE_ACCOUNT, Harness


async def _list(harness: Harness, who: str = "admin", **params: Any) -> dict[str, Any]:
    response = await harness.client.get("/v1/sessions", params=params, headers=harness.headers(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _all(harness: Harness, who: str = "admin", **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token = None
    while True:
        page = await _list(
            harness, who, page_size=7, **params, **({"page_token": token} if token else {})
        )
        found.extend(page["sessions"])
        token = page["next_page_token"]
        if token is None:
            return found


async def test_paging_across_accounts_visits_every_session_once(harness: Harness) -> None:
    sessions = await _all(harness)
    names = [s["name"] for s in sessions]
    total = sum(len(harness.double(a).world.sessions) for a in (ACCOUNT, NO_PAUSE_ACCOUNT))
    assert len(names) == len(set(names)) == total


@pytest.mark.parametrize(
    ("params", "check"),
    [
        pytest.param({"state": "paused"}, lambda s: s["state"] == "paused", id="state"),
        pytest.param(
            {"state": "paused,scheduled"},
            lambda s: s["state"] in ("paused", "scheduled"),
            id="states-comma",
        ),
        pytest.param(
            {"account": NO_PAUSE_ACCOUNT}, lambda s: s["account"] == NO_PAUSE_ACCOUNT, id="account"
        ),
        pytest.param({"vendor": "sandbox"}, lambda s: s["vendor"] == "sandbox", id="vendor"),
    ],
)
async def test_filters(harness: Harness, params: dict[str, Any], check: Any) -> None:
    sessions = await _all(harness, **params)
    assert sessions
    assert all(check(s) for s in sessions)


async def test_position_batch_candidate_and_time_filters(harness: Harness) -> None:
    world = harness.double().world
    sample = next(iter(world.sessions.values()))
    by_position = await _all(harness, account=ACCOUNT, position=sample.position.id)
    assert by_position
    assert {s["position"]["id"] for s in by_position} == {sample.position.id}
    by_batch = await _all(harness, account=ACCOUNT, batch_no=sample.batch_no)
    assert by_batch
    assert {s["batch_no"] for s in by_batch} == {sample.batch_no}
    by_candidate = await _all(harness, account=ACCOUNT, candidate=sample.candidate_id)
    assert [s["id"] for s in by_candidate] == [sample.id]
    start = sample.scheduled_at
    window = await _all(
        harness,
        account=ACCOUNT,
        start_from=start.isoformat(),
        start_to=(start + timedelta(hours=1)).isoformat(),
    )
    assert sample.id in {s["id"] for s in window}
    assert all(start.isoformat()[:13] <= s["scheduled_at"][:13] for s in window)


async def test_state_repeated(harness: Harness) -> None:
    response = await harness.client.get(
        "/v1/sessions?state=paused&state=revoked", headers=harness.headers("admin")
    )
    assert {s["state"] for s in response.json()["sessions"]} <= {"paused", "revoked"}


async def test_session_view_is_masked_and_vendor_free(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    raw = harness.double().world.get(sid)
    response = await harness.client.get(
        f"/v1/accounts/{ACCOUNT}/sessions/{sid}", headers=harness.headers("spec")
    )
    body = response.json()
    assert body["name"] == f"accounts/{ACCOUNT}/sessions/{sid}"
    assert "vendor_data" not in body
    assert raw.candidate_name not in response.text
    assert raw.candidate_phone not in response.text
    assert body["candidate"]["masked_phone"].endswith(raw.candidate_phone[-4:])
