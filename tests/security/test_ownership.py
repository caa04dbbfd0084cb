"""Ownership is per account and explicit: a position id or a vendor user id means nothing on
another account, and a principal's own name owns nothing (both backends)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.api.harness import (
    ACCOUNT,
    NO_PAUSE_ACCOUNT,
    FakeClock,
    Harness,
    gateway,
    gateway_settings,
)
from interlock.models import SessionState
from interlock_gateway.principals import create_principal

OTHER = NO_PAUSE_ACCOUNT  # a second sandbox account: same position ids, same vendor users


@pytest.fixture
async def harness(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = gateway_settings(database_url, str(tmp_path))
    async with gateway(settings, clock=FakeClock(), principals=["admin"]) as running:
        yield running


async def _principal(harness: Harness, name: str, role: str, **links: Any) -> str:
    async with harness.runtime.db.write() as session:
        created = await create_principal(session, name, role, **links)
    harness.keys[name] = created.key
    return created.key


def _position(harness: Harness, title: str) -> str:
    return harness.position_id(title)


async def _visible(harness: Harness, who: str, account: str) -> set[str]:
    listed = await harness.client.get(
        "/v1/sessions", params={"account": account, "page_size": 200}, headers=harness.headers(who)
    )
    assert listed.status_code == 200, listed.text
    return {s["id"] for s in listed.json()["sessions"]}


async def test_a_position_granted_on_one_account_is_not_owned_on_another(harness: Harness) -> None:
    backend = _position(harness, "Backend Engineer")
    await _principal(harness, "alice", "specialist", positions=[f"{ACCOUNT}/{backend}"])
    mine = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    theirs = harness.session("Backend Engineer", SessionState.IN_PROGRESS, account=OTHER)
    calls_before = harness.mutations(OTHER)

    own = await harness.verb("pause", mine, "alice")
    other = await harness.verb("terminate", theirs, "alice", account=OTHER)

    assert own.status_code == 200, own.text
    assert other.status_code == 404  # the same position id on another account is not hers
    assert other.json()["code"] == "SESSION.NOT_FOUND"
    assert harness.state(theirs, OTHER) is SessionState.IN_PROGRESS
    assert harness.mutations(OTHER) == calls_before
    assert theirs not in await _visible(harness, "alice", OTHER)
    assert mine in await _visible(harness, "alice", ACCOUNT)


async def test_a_vendor_user_linked_on_one_account_owns_nothing_on_another(
    harness: Harness,
) -> None:
    backend_owner = next(
        p.owners[0] for p in harness.double().world.positions if p.title == "Backend Engineer"
    )
    await _principal(harness, "bob", "specialist", vendor_users={ACCOUNT: [backend_owner]})
    mine = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    theirs = harness.session("Backend Engineer", SessionState.IN_PROGRESS, account=OTHER)
    other_position = harness.session("Sales Director", SessionState.IN_PROGRESS)

    assert (await harness.verb("pause", mine, "bob")).status_code == 200
    assert (await harness.verb("terminate", theirs, "bob", account=OTHER)).status_code == 404
    assert (await harness.verb("pause", other_position, "bob")).status_code == 404


@pytest.mark.parametrize("name", ["hr-admin", "user01"])
async def test_a_principal_named_like_a_vendor_user_owns_nothing(
    harness: Harness, name: str
) -> None:
    """The double's positions are all owned by ``hr-admin`` (and one ``userNN`` each)."""
    await _principal(harness, name, "specialist")
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    ceo = harness.session("Chief Financial Officer", SessionState.IN_PROGRESS)

    assert await _visible(harness, name, ACCOUNT) == set()
    for session in (sid, ceo):
        response = await harness.verb("pause", session, name)
        assert response.status_code == 404
    assert harness.mutations() == 0
    batch = await harness.client.get("/v1/approvals", headers=harness.headers(name))
    assert batch.status_code == 403  # a specialist cannot list approvals at all


async def test_admins_link_principals_through_the_api_and_it_is_audited(harness: Harness) -> None:
    created = await harness.post("/v1/principals", "admin", {"name": "carol", "role": "specialist"})
    assert created.status_code == 201, created.text
    harness.keys["carol"] = created.json()["key"]
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    assert (await harness.verb("pause", sid, "carol")).status_code == 404

    owner = next(
        p.owners[0] for p in harness.double().world.positions if p.title == "Backend Engineer"
    )
    linked = await harness.client.put(
        f"/v1/principals/carol/vendor-users/{ACCOUNT}",
        json={"user_ids": [owner]},
        headers=harness.headers("admin"),
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["vendor_users"] == {ACCOUNT: [owner]}
    assert (await harness.verb("pause", sid, "carol", key="after-link")).status_code == 200

    unknown = await harness.client.put(
        "/v1/principals/carol/vendor-users/nosuch",
        json={"user_ids": [owner]},
        headers=harness.headers("admin"),
    )
    assert unknown.status_code == 400
    assert "no account named 'nosuch'" in unknown.json()["detail"]
    refused = await harness.client.put(
        f"/v1/principals/carol/vendor-users/{ACCOUNT}",
        json={"user_ids": [owner]},
        headers=harness.headers("carol"),
    )
    assert refused.status_code == 403  # only admins manage principals
    actions = [r.action for r in await harness.audit() if r.action.startswith("principal.")]
    assert actions == ["principal.add", "principal.link"]
