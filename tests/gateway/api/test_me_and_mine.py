"""``/v1/me`` (who a key is: what ``interlock login`` checks) and ``/v1/operations`` (mine)."""

from __future__ import annotations

from interlock.models import SessionState

from .harness import Harness


async def test_me_names_the_principal_and_role_of_every_role(harness: Harness) -> None:
    for who, role in (("spec", "specialist"), ("mgr", "manager"), ("admin", "admin")):
        reply = await harness.client.get("/v1/me", headers=harness.headers(who))
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert (body["principal"], body["role"]) == (who, role)
        assert harness.keys[who] not in reply.text  # never the key itself
    spec = (await harness.client.get("/v1/me", headers=harness.headers("spec"))).json()
    assert spec["positions"]
    assert all(p.startswith(("demo/", "nopause/")) for p in spec["positions"])


async def test_me_refuses_a_wrong_key_and_unknown_parameters(harness: Harness) -> None:
    reply = await harness.client.get("/v1/me", headers={"Authorization": "Bearer ilk_nope"})
    assert reply.status_code == 401
    reply = await harness.client.get("/v1/me?x=1", headers=harness.headers("spec"))
    assert reply.status_code == 422
    assert reply.json()["code"] == "REQUEST.UNKNOWN_PARAMETER"


async def test_my_operations_are_mine_newest_first_with_pending_undo(harness: Harness) -> None:
    first = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    second = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    assert (await harness.verb("pause", first, who="spec")).status_code == 200
    harness.clock.advance(seconds=1)
    assert (await harness.verb("terminate", second, who="spec")).status_code == 200
    assert (await harness.verb("pause", second, who="admin")).status_code in (200, 409)

    reply = await harness.client.get("/v1/operations", headers=harness.headers("spec"))
    assert reply.status_code == 200, reply.text
    ops = reply.json()["operations"]
    assert [(o["session_id"], o["verb"]) for o in ops] == [
        (second, "terminate"),
        (first, "pause"),
    ]
    assert ops[0]["status"] == "grace"
    assert ops[0]["commit_at"]

    limited = await harness.client.get("/v1/operations?limit=1", headers=harness.headers("spec"))
    assert len(limited.json()["operations"]) == 1


async def test_my_operations_limits_are_refused_with_the_field_named(harness: Harness) -> None:
    for query in ("limit=0", "limit=201", "within_hours=0", "within_hours=721", "since=1"):
        reply = await harness.client.get(f"/v1/operations?{query}", headers=harness.headers("spec"))
        assert reply.status_code == 422, query
