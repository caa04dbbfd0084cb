"""Batches through the HTTP API on the in-process sandbox (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from interlock.doubles import Fault
from interlock.models import SessionState
from interlock_gateway.operations.approvals import expire_due
from interlock_gateway.store.tables import AuditRecord, Batch, Operation

from ..api.harness import Harness
from .helpers import REASON, names, preview, run_to_end, submit


async def test_a_batch_of_names_pauses_every_session_once(harness: Harness) -> None:
    sessions = names(harness, 5, SessionState.IN_PROGRESS)
    response = await submit(harness, {"action": "pause", "sessions": sessions, "reason": REASON})
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"/v1/batches/{response.json()['id']}"
    batch = await run_to_end(harness, response.json()["id"])
    assert batch["status"] == "completed"
    assert batch["counts"]["succeeded"] == 5
    assert [item["session"] for item in batch["items"]] == sessions
    for name in sessions:
        session_id = name.rsplit("/", 1)[1]
        assert harness.state(session_id) is SessionState.PAUSED
        assert harness.double().mutation_counts[session_id] == 1
    actions = [r.action for r in await harness.audit() if r.batch_id == batch["id"]]
    assert actions[0] == "batch.pause"
    assert actions.count("operation.pause.outcome") == 5
    assert actions[-1] == "batch.complete"


async def test_preview_shows_the_impact_and_its_token_confirms_the_batch(
    harness: Harness,
) -> None:
    running = names(harness, 18, SessionState.IN_PROGRESS)
    done = names(harness, 3, SessionState.COMPLETED)
    paused = names(harness, 2, SessionState.PAUSED)
    body = {"action": "pause", "sessions": running + done + paused, "reason": REASON}
    answer = await preview(harness, body)
    assert answer.status_code == 200, answer.text
    impact = answer.json()
    assert impact["total"] == 23
    assert impact["by_state"] == {"in_progress": 18, "completed": 3, "paused": 2}
    assert impact["answering_now"] == 18
    assert impact["already_in_state"] == 2
    assert sorted(impact["invalid_transition"]) == sorted(done)
    assert impact["requires_confirmation"] is True
    assert 1 <= impact["vendor_calls"] <= 18  # native chunks where the adapter has them

    refused = await submit(harness, body)
    assert refused.status_code == 428
    assert refused.json()["code"] == "BATCH.CONFIRMATION_REQUIRED"
    other = {**body, "action": "resume", "confirm_token": impact["confirm_token"]}
    mismatched = await submit(harness, other)
    assert mismatched.status_code == 422
    assert mismatched.json()["code"] == "BATCH.CONFIRM_TOKEN_INVALID"
    accepted = await submit(harness, {**body, "confirm_token": impact["confirm_token"]})
    assert accepted.status_code == 202, accepted.text
    batch = await run_to_end(harness, accepted.json()["id"])
    assert batch["counts"]["succeeded"] == 20  # 18 paused + 2 already paused
    assert batch["counts"]["skipped"] == 3
    skipped = [i for i in batch["items"] if i["status"] == "rejected"]
    assert {i["error"]["code"] for i in skipped} == {"SESSION.INVALID_TRANSITION"}


async def test_a_stale_confirm_token_is_refused(harness: Harness) -> None:
    body = {"action": "pause", "sessions": names(harness, 21, SessionState.IN_PROGRESS)}
    body["reason"] = REASON
    token = (await preview(harness, body)).json()["confirm_token"]
    harness.clock.advance(minutes=6)
    stale = await submit(harness, {**body, "confirm_token": token})
    assert stale.status_code == 422
    assert stale.json()["code"] == "BATCH.CONFIRM_TOKEN_EXPIRED"
    forged = await submit(harness, {**body, "confirm_token": token[:-4] + "AAAA"})
    assert forged.json()["code"] == "BATCH.CONFIRM_TOKEN_INVALID"


async def test_one_session_out_of_scope_refuses_the_whole_batch(harness: Harness) -> None:
    own = names(harness, 3, SessionState.IN_PROGRESS)
    other = names(harness, 1, SessionState.IN_PROGRESS, title="HR Business Partner")
    missing = ["accounts/demo/sessions/does-not-exist"]
    body = {"action": "pause", "sessions": own + other + missing, "reason": REASON}
    response = await submit(harness, body, who="spec")
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "BATCH.NOT_PERMITTED"
    assert sorted(problem["sessions"]) == sorted(other + missing)
    async with harness.runtime.db.session() as session:
        assert (await session.scalars(select(Batch))).all() == []
        assert (await session.scalars(select(Operation))).all() == []
    assert harness.calls(mutating=True) == 0


async def test_bad_input_gets_clear_problems(harness: Harness) -> None:
    nothing = {"action": "pause", "filter": {"batch_no": "NO-SUCH-BATCH"}, "reason": REASON}
    assert (await submit(harness, nothing)).json()["code"] == "BATCH.EMPTY"
    too_many = [f"accounts/demo/sessions/s{i}" for i in range(1001)]
    big = await submit(harness, {"action": "pause", "sessions": too_many, "reason": REASON})
    assert (big.status_code, big.json()["code"]) == (422, "BATCH.TOO_LARGE")
    both = {"action": "pause", "sessions": too_many[:1], "filter": {}, "reason": REASON}
    assert (await submit(harness, both)).json()["code"] == "BATCH.SELECTOR"
    unknown = await harness.client.get(
        f"/v1/batches/{uuid.uuid4()}", headers=harness.headers("admin")
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "BATCH.NOT_FOUND")
    body = {"action": "pause", "sessions": names(harness, 1, SessionState.IN_PROGRESS)}
    no_key = await harness.post("/v1/batches", "admin", {**body, "reason": REASON})
    assert (no_key.status_code, no_key.json()["code"]) == (428, "IDEMPOTENCY.KEY_REQUIRED")


async def test_cancel_of_a_finished_batch_is_a_conflict(harness: Harness) -> None:
    body = {"action": "pause", "sessions": names(harness, 2, SessionState.IN_PROGRESS)}
    created = await submit(harness, {**body, "reason": REASON})
    batch = await run_to_end(harness, created.json()["id"])
    path = f"/v1/batches/{batch['id']}/cancel"
    again = await harness.post(path, "admin", None)
    assert (again.status_code, again.json()["code"]) == (409, "BATCH.NOT_CANCELLABLE")


async def test_filter_batch_and_undo_of_a_terminate_batch(harness: Harness) -> None:
    sessions = names(harness, 4, SessionState.IN_PROGRESS, title="Frontend Engineer")
    position = harness.position_id("Frontend Engineer")
    body = {
        "action": "terminate",
        "filter": {"position": position, "states": ["in_progress"]},
        "reason": REASON,
    }
    created = await submit(harness, body)
    assert created.status_code == 202, created.text
    batch = await run_to_end(harness, created.json()["id"])
    assert batch["counts"]["in_grace"] == batch["item_count"] >= 4
    undo = await harness.post(f"/v1/batches/{batch['id']}/undo", "admin", {"note": "wrong bank"})
    assert undo.status_code == 200, undo.text
    assert undo.json()["undone"] == batch["item_count"]
    await harness.settle()
    for name in sessions:
        assert harness.state(name.rsplit("/", 1)[1]) is SessionState.IN_PROGRESS


async def test_permanent_failures_are_listed_and_transient_ones_are_not(harness: Harness) -> None:
    sessions = names(harness, 6, SessionState.IN_PROGRESS)
    double = harness.double()
    double.inject(Fault.SERVER_ERROR, times=4, only_mutations=True)  # outlasts the client's 3
    created = await submit(harness, {"action": "pause", "sessions": sessions, "reason": REASON})
    await harness.settle()
    double.inject(Fault.MALFORMED_BODY, times=1, only_mutations=True)
    for _ in range(5):
        harness.clock.advance(seconds=5)
        await harness.settle()
    batch = await run_to_end(harness, created.json()["id"])
    failed = [i for i in batch["items"] if i["error"]]
    assert batch["counts"]["succeeded"] + batch["counts"]["failed"] == 6
    assert all(i["error"]["code"].startswith("VENDOR.") for i in failed)
    assert all(i["status"] == "failed" for i in failed)
    assert len(failed) == batch["counts"]["failed"] <= 1
    retried = [i for i in batch["items"] if i["attempts"] > 1 and i["status"] == "succeeded"]
    assert retried
    assert all(i["error"] is None for i in retried)
    async with harness.runtime.db.session() as session:
        records = (await session.scalars(select(AuditRecord))).all()
    assert any(r.action == "operation.pause.retry" for r in records)


async def test_protected_sessions_wait_for_one_approval_of_the_whole_batch(
    harness: Harness,
) -> None:
    plain = names(harness, 2, SessionState.IN_PROGRESS)
    protected = names(harness, 2, SessionState.IN_PROGRESS, title="Sales Director")
    body = {"action": "terminate", "sessions": plain + protected, "reason": REASON}
    created = await submit(harness, body, who="mgr")
    assert created.status_code == 202, created.text
    batch = created.json()
    assert batch["status"] == "awaiting_approval"
    assert batch["counts"]["awaiting_approval"] == 4
    await harness.settle()
    assert harness.calls(mutating=True) == 0  # nothing moves before the approval
    listed = await harness.client.get(
        "/v1/approvals?state=pending", headers=harness.headers("admin")
    )
    assert [a["batch_id"] for a in listed.json()["approvals"]] == [batch["id"]]
    other = await harness.client.get("/v1/approvals", headers=harness.headers("mgr_hr"))
    assert other.json()["approvals"] == []
    path = f"/v1/approvals/{batch['approval_id']}"
    own = await harness.post(f"{path}/approve", "mgr", {})
    assert (own.status_code, own.json()["code"]) == (403, "APPROVAL.SELF_APPROVAL")
    approved = await harness.post(f"{path}/approve", "admin", {"note": "incident 42"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["batch_id"] == batch["id"]
    done = await run_to_end(harness, batch["id"])
    assert done["counts"]["in_grace"] == 4
    again = await harness.post(f"{path}/reject", "admin", {})
    assert (again.status_code, again.json()["code"]) == (409, "APPROVAL.NOT_PENDING")


async def test_a_rejected_batch_approval_rejects_every_item(harness: Harness) -> None:
    protected = names(harness, 2, SessionState.IN_PROGRESS, title="Sales Director")
    body = {"action": "revoke", "sessions": protected, "reason": REASON}
    created = (await submit(harness, body, who="mgr")).json()
    rejected = await harness.post(f"/v1/approvals/{created['approval_id']}/reject", "admin", {})
    assert rejected.status_code == 200, rejected.text
    batch = await run_to_end(harness, created["id"])
    assert batch["status"] == "rejected"
    assert {i["error"]["code"] for i in batch["items"]} == {"APPROVAL.REJECTED"}
    assert harness.calls(mutating=True) == 0


async def test_an_expired_batch_approval_rejects_the_batch(harness: Harness) -> None:
    protected = names(harness, 1, SessionState.IN_PROGRESS, title="Sales Director")
    body = {"action": "terminate", "sessions": protected, "reason": REASON}
    created = (await submit(harness, body, who="mgr")).json()
    harness.clock.advance(hours=25)
    assert await expire_due(harness.runtime.context, harness.clock()) == 1
    batch = await run_to_end(harness, created["id"])
    assert batch["status"] == "rejected"
    assert batch["items"][0]["error"]["code"] == "APPROVAL.EXPIRED"
    late = await harness.post(f"/v1/approvals/{created['approval_id']}/approve", "admin", {})
    assert late.status_code == 409
