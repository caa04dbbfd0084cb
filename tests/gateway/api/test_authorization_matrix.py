"""Every session route × role × own/other/protected session: status, vendor calls, audit.

"own" is a session the role may act on (for admins every session is theirs), "other" one
outside the role's positions or departments, "protected" one of an executive position
inside the role's scope. The ownership read is the only vendor call a refused request may
cost; the auditor's role gate refuses before even that.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from interlock.models import SessionState

from .harness import Harness

OWN, OTHER, PROTECTED = "own", "other", "protected"
TITLES = {
    # role → scope → position title in the sandbox world
    "spec": {OWN: "Backend Engineer", OTHER: "HR Business Partner", PROTECTED: "Sales Director"},
    "mgr": {OWN: "Backend Engineer", OTHER: "HR Business Partner", PROTECTED: "Sales Director"},
    "admin": {OWN: "Backend Engineer", OTHER: "HR Business Partner", PROTECTED: "Sales Director"},
    "auditor": {OWN: "Backend Engineer", OTHER: "HR Business Partner", PROTECTED: "Sales Director"},
}
ROUTES = {
    # route → (method, verb or None, state the session starts in)
    "get": ("GET", None, SessionState.IN_PROGRESS),
    "pause": ("POST", "pause", SessionState.IN_PROGRESS),
    "resume": ("POST", "resume", SessionState.PAUSED),
    "terminate": ("POST", "terminate", SessionState.IN_PROGRESS),
    "revoke": ("POST", "revoke", SessionState.SCHEDULED),
}


@dataclass(frozen=True)
class Expect:
    status: int
    mutations: int
    calls: int  # vendor session-API requests in total
    audit: tuple[str, ...]  # outcomes of the audit records the request appended
    outcome: str | None = None


def expected(who: str, scope: str, route: str) -> Expect:
    if who == "auditor":
        return Expect(403, 0, 0, ("denied",))
    if scope == OTHER and who != "admin":
        return Expect(404, 0, 1, ("denied",))
    if route == "get":
        return Expect(200, 0, 1, ())
    if route in ("terminate", "revoke") and scope == PROTECTED:
        return Expect(202, 0, 1, ("awaiting_approval",), "awaiting_approval")
    if route == "terminate":  # running: held by a pause, answered grace
        return Expect(200, 1, 3, ("accepted", "grace"), "grace")
    if route == "revoke":  # scheduled: nothing to hold, grace at once
        return Expect(200, 0, 2, ("accepted", "grace"), "grace")
    return Expect(200, 1, 2, ("accepted", "applied"), "applied")


CASES = [
    pytest.param(who, scope, route, id=f"{route}-{who}-{scope}")
    for route in ROUTES
    for who in TITLES
    for scope in (OWN, OTHER, PROTECTED)
]


@pytest.mark.parametrize(("who", "scope", "route"), CASES)
async def test_session_routes(harness: Harness, who: str, scope: str, route: str) -> None:
    method, verb, start = ROUTES[route]
    sid = harness.session(TITLES[who][scope], start)
    want = expected(who, scope, route)
    seq, calls, mutations = await harness.last_seq(), harness.calls(), harness.mutations()

    path = f"/v1/accounts/demo/sessions/{sid}" + (f"/{verb}" if verb else "")
    response = await harness.client.request(
        method,
        path,
        headers=harness.headers(who, key=f"k-{route}-{who}-{scope}"),
        json={"reason": {"code": "operator_error"}} if verb else None,
    )

    assert response.status_code == want.status, response.text
    assert harness.mutations() - mutations == want.mutations
    assert harness.calls() - calls == want.calls
    outcomes = tuple(r.outcome for r in await harness.audit_since(seq))
    assert outcomes == want.audit
    if want.outcome is not None:
        assert response.json()["outcome"] == want.outcome
    if want.status in (403, 404):
        assert response.headers["content-type"] == "application/problem+json"


LIST_CASES = [
    pytest.param("spec", {"Backend Engineer", "Sales Director"}, id="specialist-owned-positions"),
    pytest.param("mgr", {"rnd", "sales"}, id="manager-departments"),
    pytest.param("mgr_hr", {"hr"}, id="manager-hr-only"),
    pytest.param("admin", None, id="admin-everything"),
]


@pytest.mark.parametrize(("who", "scope"), LIST_CASES)
async def test_list_shows_only_what_the_role_may_see(
    harness: Harness, who: str, scope: set[str] | None
) -> None:
    response = await harness.client.get(
        "/v1/sessions", params={"page_size": 200, "account": "demo"}, headers=harness.headers(who)
    )
    assert response.status_code == 200
    sessions = response.json()["sessions"]
    assert sessions
    total = len(harness.double().world.sessions)
    if scope is None:
        assert len(sessions) == total
        return
    for session in sessions:
        position = session["position"]
        assert position["title"] in scope or position["department"] in scope
    assert len(sessions) < total
    assert harness.mutations() == 0


async def test_list_is_refused_to_auditors_without_vendor_calls(harness: Harness) -> None:
    calls = harness.calls()
    response = await harness.client.get("/v1/sessions", headers=harness.headers("auditor"))
    assert response.status_code == 403
    assert response.json()["code"] == "INTERLOCK.POLICY_DENIED"
    assert harness.calls() == calls


OP_CASES = [
    pytest.param("spec", OWN, 200, id="specialist-own"),
    pytest.param("spec", OTHER, 404, id="specialist-other"),
    pytest.param("mgr", OWN, 200, id="manager-own"),
    pytest.param("mgr_hr", OWN, 404, id="manager-other-department"),
    pytest.param("admin", OTHER, 200, id="admin-any"),
    pytest.param("auditor", OWN, 403, id="auditor"),
]


@pytest.mark.parametrize(("who", "scope", "status"), OP_CASES)
async def test_operation_routes(harness: Harness, who: str, scope: str, status: int) -> None:
    title = "Backend Engineer" if scope == OWN else "HR Business Partner"
    sid = harness.session(title, SessionState.IN_PROGRESS)
    created = await harness.verb("terminate", sid, "admin")
    op_id = created.json()["id"]
    calls = harness.calls()

    read = await harness.client.get(f"/v1/operations/{op_id}", headers=harness.headers(who))
    undo = await harness.post(f"/v1/operations/{op_id}/undo", who, {"note": "wrong candidate"})

    assert read.status_code == status
    # Undo is a mutation: the successful one resumes the held candidate (one call).
    assert undo.status_code == status, undo.text
    assert harness.calls() - calls == (1 if status == 200 else 0)
    if status == 200:
        assert harness.state(sid) is SessionState.IN_PROGRESS
    else:
        assert harness.state(sid) is SessionState.PAUSED
