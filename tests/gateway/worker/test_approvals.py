"""Maker-checker approvals for protected sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx

from interlock.models import SessionState

from ..api.harness import Harness

PROTECTED = "Sales Director"  # executive level, department sales


async def _request_terminate(harness: Harness, who: str = "spec") -> tuple[str, str, str]:
    sid = harness.session(PROTECTED, SessionState.IN_PROGRESS)
    response = await harness.verb("terminate", sid, who)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["outcome"]) == ("awaiting_approval", "awaiting_approval")
    return sid, body["id"], body["approval"]["id"]


async def _decide(
    harness: Harness, approval_id: str, who: str, step: str = "approve"
) -> httpx.Response:
    return await harness.post(f"/v1/approvals/{approval_id}/{step}", who, {"note": "checked"})


async def test_approved_terminate_proceeds_to_its_undo_window(harness: Harness) -> None:
    sid, op_id, approval_id = await _request_terminate(harness)
    assert harness.calls(mutating=True) == 0
    listed = await harness.client.get(
        "/v1/approvals", params={"state": "pending"}, headers=harness.headers("mgr2")
    )
    assert [a["id"] for a in listed.json()["approvals"]] == [approval_id]

    response = await _decide(harness, approval_id, "mgr2")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["approver"]) == ("approved", "mgr2")
    assert body["operation"]["outcome"] == "grace"
    assert harness.state(sid) is SessionState.PAUSED
    actions = [r.action for r in await harness.audit() if r.operation_id == op_id]
    assert actions == ["operation.terminate", "approval.approve", "operation.terminate.hold"]


async def test_requester_cannot_approve_their_own_request(harness: Harness) -> None:
    _, op_id, approval_id = await _request_terminate(harness, who="mgr")
    response = await _decide(harness, approval_id, "mgr")
    assert response.status_code == 403
    assert response.json()["code"] == "APPROVAL.SELF_APPROVAL"
    assert (await harness.operation(op_id)).status == "awaiting_approval"
    refusals = [r for r in await harness.audit() if r.action == "approval.decide"]
    assert [r.outcome for r in refusals] == ["denied"]


async def test_non_managers_and_other_departments_are_refused(harness: Harness) -> None:
    _, op_id, approval_id = await _request_terminate(harness)
    specialist = await _decide(harness, approval_id, "spec")
    auditor = await _decide(harness, approval_id, "auditor")
    other_department = await _decide(harness, approval_id, "mgr_hr")

    assert (specialist.status_code, specialist.json()["code"]) == (403, "INTERLOCK.POLICY_DENIED")
    assert auditor.status_code == 403
    assert (other_department.status_code, other_department.json()["code"]) == (
        404,
        "APPROVAL.NOT_FOUND",
    )
    listed = await harness.client.get("/v1/approvals", headers=harness.headers("mgr_hr"))
    assert listed.json()["approvals"] == []
    assert (await harness.operation(op_id)).status == "awaiting_approval"
    assert harness.calls(mutating=True) == 0


async def test_admin_may_approve(harness: Harness) -> None:
    _, _, approval_id = await _request_terminate(harness)
    response = await _decide(harness, approval_id, "admin")
    assert response.status_code == 200
    assert response.json()["operation"]["outcome"] == "grace"


async def test_rejected_request_sends_nothing(harness: Harness) -> None:
    sid, op_id, approval_id = await _request_terminate(harness)
    response = await _decide(harness, approval_id, "mgr2", "reject")
    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    op = await harness.operation(op_id)
    assert (op.status, op.outcome, op.error_code) == ("rejected", "rejected", "APPROVAL.REJECTED")
    again = await _decide(harness, approval_id, "mgr")
    assert (again.status_code, again.json()["code"]) == (409, "APPROVAL.NOT_PENDING")
    assert harness.state(sid) is SessionState.IN_PROGRESS
    assert harness.calls(mutating=True) == 0


async def test_approvals_expire(harness: Harness) -> None:
    sid, op_id, approval_id = await _request_terminate(harness)
    harness.clock.advance(hours=24, seconds=1)
    late = await _decide(harness, approval_id, "mgr2")  # before the worker noticed
    assert (late.status_code, late.json()["code"]) == (409, "APPROVAL.EXPIRED")
    await harness.settle()
    op = await harness.operation(op_id)
    assert (op.status, op.error_code) == ("rejected", "APPROVAL.EXPIRED")
    assert harness.state(sid) is SessionState.IN_PROGRESS
    # Expired once, whether the late approver or the worker noticed first.
    actions = [r.action for r in await harness.audit()]
    assert actions.count("approval.expire") == 1
    assert "approval.approve" not in actions


async def test_expiry_by_the_worker(harness: Harness) -> None:
    _, op_id, approval_id = await _request_terminate(harness)
    harness.clock.advance(hours=25)
    await harness.settle()
    op = await harness.operation(op_id)
    assert (op.status, op.error_code) == ("rejected", "APPROVAL.EXPIRED")
    listed = await harness.client.get(
        "/v1/approvals", params={"state": "expired"}, headers=harness.headers("admin")
    )
    assert [a["id"] for a in listed.json()["approvals"]] == [approval_id]


async def test_two_approvers_at_once_make_one_decision(harness: Harness) -> None:
    sid, _, approval_id = await _request_terminate(harness)
    first, second = await asyncio.gather(
        _decide(harness, approval_id, "mgr2"), _decide(harness, approval_id, "admin")
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert harness.double().mutation_counts[sid] == 1  # one hold


async def test_pause_of_a_protected_session_needs_no_approval(harness: Harness) -> None:
    sid = harness.session(PROTECTED, SessionState.IN_PROGRESS)
    response = await harness.verb("pause", sid, "spec")
    assert (response.status_code, response.json()["outcome"]) == (200, "applied")
