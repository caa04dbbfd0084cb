"""``/v1/stats/reasons``: counts and shares computed in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from interlock_gateway.operations.rows import EXPIRY_ACTOR
from interlock_gateway.store.tables import Operation

from .harness import FakeClock, Harness, gateway, gateway_settings

DAY_1 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 on 2 March in Shanghai: UTC decides
DAY_2 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)


@pytest.fixture
async def harness(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """A gateway on this test's fresh database (``sqlite`` and ``postgresql``)."""
    async with gateway(gateway_settings(database_url, str(tmp_path)), clock=clock) as running:
        yield running


def op(
    reason: str,
    *,
    verb: str = "pause",
    account: str = "dingtalk-hq",
    vendor: str = "dingtalk",
    status: str = "succeeded",
    actor: str = "alice",
    at: datetime = DAY_1,
) -> Operation:
    return Operation(
        id=str(uuid.uuid4()),
        kind="single",
        account=account,
        vendor=vendor,
        session_id=f"s-{uuid.uuid4().hex[:8]}",
        verb=verb,
        reason_code=reason,
        actor=actor,
        status=status,
        attempts=1,
        details={},
        created_at=at,
        updated_at=at,
    )


async def store(harness: Harness, *operations: Operation) -> None:
    async with harness.runtime.db.write() as session:
        session.add_all(operations)


async def stats(harness: Harness, who: str = "auditor", **params: Any) -> dict[str, Any]:
    response = await harness.client.get(
        "/v1/stats/reasons", params=params, headers=harness.headers(who)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def stops(harness: Harness) -> Harness:
    """10 stops: candidate_network 3 (30 %), operator_error 5, system_fault 2 — plus
    operations that must not count (resumes, cancelled, rejected, a waiting expiry)."""
    await store(
        harness,
        *(op("candidate_network", at=DAY_1) for _ in range(2)),
        op("candidate_network", verb="terminate", account="beisen-cn", vendor="beisen", at=DAY_2),
        *(op("operator_error", verb="revoke", at=DAY_2) for _ in range(4)),
        op("operator_error", status="failed", at=DAY_1),  # a failed stop was still needed
        *(op("system_fault", account="beisen-cn", vendor="beisen", at=DAY_2) for _ in range(2)),
        # not stops, or never took effect:
        op("candidate_network", verb="resume"),
        op("operator_error", verb="undo"),
        op("candidate_network", status="cancelled"),
        op("candidate_network", verb="terminate", status="rejected"),
        op("pause_expired", verb="terminate", status="pending", actor=EXPIRY_ACTOR),
    )
    return harness


async def test_reasons_count_and_share_the_stops(stops: Harness) -> None:
    body = await stats(stops)
    assert body["group_by"] == ["reason"]
    assert body["verbs"] == ["pause", "terminate", "revoke"]
    assert body["total"] == 10
    assert body["groups"] == [
        {"reason": "operator_error", "count": 5, "share": 0.5},
        {"reason": "candidate_network", "count": 3, "share": 0.3},
        {"reason": "system_fault", "count": 2, "share": 0.2},
    ]


async def test_an_expiry_counts_once_it_ran(stops: Harness) -> None:
    await store(stops, op("pause_expired", verb="terminate", actor=EXPIRY_ACTOR))
    groups = (await stats(stops))["groups"]
    assert {"reason": "pause_expired", "count": 1, "share": round(1 / 11, 4)} in groups


async def test_days_are_utc_days_on_every_backend(stops: Harness) -> None:
    body = await stats(stops, group_by="day")
    assert body["groups"] == [
        {"day": "2026-03-02", "count": 7, "share": 0.7},
        {"day": "2026-03-01", "count": 3, "share": 0.3},
    ]


async def test_several_dimensions_group_together(stops: Harness) -> None:
    body = await stats(stops, group_by="reason,vendor,account")
    assert body["group_by"] == ["reason", "vendor", "account"]
    assert body["groups"][0] == {
        "reason": "operator_error",
        "vendor": "dingtalk",
        "account": "dingtalk-hq",
        "count": 5,
        "share": 0.5,
    }
    by_key = {(g["reason"], g["account"]): g["count"] for g in body["groups"]}
    assert by_key[("candidate_network", "beisen-cn")] == 1
    assert by_key[("candidate_network", "dingtalk-hq")] == 2
    assert sum(by_key.values()) == 10


async def test_repeated_group_by_and_day_with_reason(stops: Harness) -> None:
    response = await stops.client.get(
        "/v1/stats/reasons",
        params=[("group_by", "day"), ("group_by", "reason"), ("group_by", "day")],
        headers=stops.headers("admin"),
    )
    body = response.json()
    assert body["group_by"] == ["day", "reason"]
    assert {"day": "2026-03-02", "reason": "operator_error", "count": 4, "share": 0.4} in body[
        "groups"
    ]


async def test_the_window_is_inclusive_then_exclusive(stops: Harness) -> None:
    body = await stats(stops, **{"from": DAY_2.isoformat()})
    assert body["total"] == 7
    assert body["from"].startswith("2026-03-02T00:30:00")
    body = await stats(stops, to=DAY_2.isoformat())
    assert body["total"] == 3
    body = await stats(stops, **{"from": (DAY_2 + timedelta(seconds=1)).isoformat()})
    assert body == {**body, "total": 0, "groups": []}


async def test_verbs_can_be_chosen(stops: Harness) -> None:
    body = await stats(stops, verb="terminate,revoke", group_by="verb")
    assert body["groups"] == [
        {"verb": "revoke", "count": 4, "share": 0.8},
        {"verb": "terminate", "count": 1, "share": 0.2},
    ]


async def test_no_stops_means_no_groups(harness: Harness) -> None:
    body = await stats(harness)
    assert (body["total"], body["groups"]) == (0, [])


@pytest.mark.parametrize(
    ("params", "field", "allowed"),
    [
        (
            {"group_by": "reason,team"},
            "query.group_by",
            ["reason", "vendor", "account", "department", "day", "verb"],
        ),
        ({"verb": "pause,stop"}, "query.verb", ["pause", "resume", "terminate", "revoke", "undo"]),
    ],
    ids=["group_by", "verb"],
)
async def test_unknown_values_are_refused_with_the_allowed_ones(
    harness: Harness, params: dict[str, str], field: str, allowed: list[str]
) -> None:
    response = await harness.client.get(
        "/v1/stats/reasons", params=params, headers=harness.headers("admin")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["allowed"] == allowed
    assert problem["errors"][0]["field"] == field
    assert ", ".join(allowed) in problem["hint"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
        {"from": "yesterday"},
        {"groupby": "reason"},
    ],
    ids=["empty-window", "not-a-time", "misspelt"],
)
async def test_bad_windows_and_parameters_are_problems(
    harness: Harness, params: dict[str, str]
) -> None:
    response = await harness.client.get(
        "/v1/stats/reasons", params=params, headers=harness.headers("auditor")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("who", "status"),
    [("auditor", 200), ("admin", 200), ("mgr", 200), ("spec", 403)],
    ids=["auditor", "admin", "manager", "specialist"],
)
async def test_who_may_read_statistics(harness: Harness, who: str, status: int) -> None:
    response = await harness.client.get("/v1/stats/reasons", headers=harness.headers(who))
    assert response.status_code == status


async def test_stops_made_through_the_api_are_counted(harness: Harness) -> None:
    from interlock.models import SessionState

    for code in ("candidate_network", "candidate_network", "candidate_device"):
        sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
        response = await harness.verb("pause", sid, "admin", code=code)
        assert response.json()["outcome"] == "applied"
    body = await stats(harness, group_by="reason,vendor")
    assert body["groups"] == [
        {"reason": "candidate_network", "vendor": "sandbox", "count": 2, "share": 0.6667},
        {"reason": "candidate_device", "vendor": "sandbox", "count": 1, "share": 0.3333},
    ]
