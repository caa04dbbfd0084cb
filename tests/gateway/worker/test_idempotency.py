"""Idempotency-Key on SQLite and PostgreSQL: one operation per key, replays, 422, 409."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import text

from interlock.models import SessionState
from interlock_gateway.store.tables import Operation

from ..api.harness import ACCOUNT, Harness

REASON = {"reason": {"code": "candidate_network"}}
VALIDATED = {"reason": {"code": "candidate_network", "note": None}}


def path(session_id: str, verb: str) -> str:
    return f"/v1/accounts/{ACCOUNT}/sessions/{session_id}/{verb}"


async def test_fifty_concurrent_requests_make_one_vendor_call(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    responses = await asyncio.gather(
        *(harness.post(path(sid, "pause"), "admin", REASON, "one-key") for _ in range(50))
    )

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, statuses
    firsts = [
        r for r in responses if r.status_code == 200 and "idempotent-replayed" not in r.headers
    ]
    assert len(firsts) == 1
    assert all(
        r.json()["code"] == "IDEMPOTENCY.IN_PROGRESS" for r in responses if r.status_code == 409
    )
    assert harness.calls(mutating=True) == 1
    assert harness.double().mutation_counts[sid] == 1
    operations = await harness.operations()
    assert [op.verb for op in operations if op.actor == "admin"] == ["pause"]
    attempts = [r for r in await harness.audit() if r.action == "operation.pause"]
    assert len(attempts) == 1
    # The other 49 are recorded as what they were: conflicts or replays of the same key.
    others = [r for r in await harness.audit() if r.action.startswith("idempotency.")]
    assert len(others) == 49


async def test_replay_returns_the_stored_answer(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    first = await harness.post(path(sid, "terminate"), "spec", REASON, "k-replay")
    harness.clock.advance(seconds=5)
    again = await harness.post(path(sid, "terminate"), "spec", REASON, "k-replay")

    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json() == first.json()
    assert harness.calls(mutating=True) == 1
    assert len(await harness.operations()) == 1
    replays = [r for r in await harness.audit() if r.action == "idempotency.replay"]
    assert [r.operation_id for r in replays] == [first.json()["id"]]


async def test_replay_of_a_refusal_is_the_same_refusal(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.COMPLETED)
    first = await harness.post(path(sid, "terminate"), "admin", REASON, "k-refused")
    again = await harness.post(path(sid, "terminate"), "admin", REASON, "k-refused")
    assert first.status_code == again.status_code == 409
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["code"] == "SESSION.INVALID_TRANSITION"


async def test_same_key_with_another_body_is_422(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    await harness.post(path(sid, "pause"), "admin", REASON, "k-body")
    other = {"reason": {"code": "candidate_device"}}
    response = await harness.post(path(sid, "pause"), "admin", other, "k-body")
    elsewhere = await harness.post(path(sid, "resume"), "admin", REASON, "k-body")

    assert response.status_code == elsewhere.status_code == 422
    assert response.json()["code"] == "IDEMPOTENCY.KEY_REUSED"
    assert harness.calls(mutating=True) == 1


async def test_keys_are_scoped_per_principal(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    mine = await harness.post(path(sid, "pause"), "admin", REASON, "shared-key")
    theirs = await harness.post(path(sid, "pause"), "mgr", REASON, "shared-key")
    assert mine.status_code == theirs.status_code == 200
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["outcome"] == "already_in_state"


async def test_same_key_while_running_is_409(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    release, reached = asyncio.Event(), asyncio.Event()

    async def slow_vendor(point: str, op: Operation) -> None:
        reached.set()
        await release.wait()

    harness.runtime.worker.executor.fault = slow_vendor
    first = asyncio.create_task(harness.post(path(sid, "pause"), "admin", REASON, "k-busy"))
    await reached.wait()  # the vendor call happened; the first request is still running
    busy = await harness.post(path(sid, "pause"), "admin", REASON, "k-busy")
    release.set()
    done = await first

    assert busy.status_code == 409
    assert busy.json()["code"] == "IDEMPOTENCY.IN_PROGRESS"
    assert busy.headers["retry-after"] == "1"
    assert done.status_code == 200
    after = await harness.post(path(sid, "pause"), "admin", REASON, "k-busy")
    assert after.headers["idempotent-replayed"] == "true"
    assert harness.calls(mutating=True) == 1


async def test_key_expires_after_retention(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    first = await harness.post(path(sid, "pause"), "admin", REASON, "k-old")
    # Resume before the clock jumps, so that no pause is left to expire in the meantime (the
    # expiry's own terminate would race the request below).
    await harness.post(path(sid, "resume"), "admin", REASON, "k-resume")
    harness.clock.advance(hours=25)
    response = await harness.post(path(sid, "pause"), "admin", REASON, "k-old")
    assert "idempotent-replayed" not in response.headers
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"
    assert response.json()["id"] != first.json()["id"]


async def test_transient_failures_release_the_key(harness: Harness) -> None:
    from interlock.doubles import Fault

    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    harness.double().inject(Fault.SERVER_ERROR, times=10)
    failed = await harness.client.get(
        f"/v1/accounts/{ACCOUNT}/sessions/{sid}", headers=harness.headers("admin")
    )
    assert failed.status_code == 503
    refused = await harness.post(path(sid, "pause"), "admin", REASON, "k-transient")
    assert refused.status_code == 503
    assert await harness.idempotency_rows() == 0
    harness.double().clear_faults()
    retried = await harness.post(path(sid, "pause"), "admin", REASON, "k-transient")
    assert retried.status_code == 200
    assert "idempotent-replayed" not in retried.headers


async def _abandon_key(harness: Harness, who: str, key: str, body: object, sid: str) -> None:
    """Leave the key as a crashed request would: in progress, never finished."""
    from interlock_gateway.api.idempotency import fingerprint
    from interlock_gateway.store.tables import IdempotencyKey

    async with harness.runtime.db.write() as session:
        principal_id = await session.scalar(
            text("SELECT id FROM principals WHERE name = :n"), {"n": who}
        )
        now = harness.clock()
        session.add(
            IdempotencyKey(
                principal_id=principal_id,
                key=key,
                # The gateway hashes the validated body (defaults filled in).
                request_hash=fingerprint("POST", path(sid, "pause"), body),
                status="in_progress",
                created_at=now,
                expires_at=now + harness.runtime.settings.idempotency_retention,
            )
        )


async def test_key_abandoned_by_a_crash_is_taken_over(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    await _abandon_key(harness, "admin", "k-crashed", VALIDATED, sid)

    busy = await harness.post(path(sid, "pause"), "admin", REASON, "k-crashed")
    assert busy.status_code == 409  # could still be running
    harness.clock.advance(minutes=3)  # past idempotency_stale_after
    taken = await harness.post(path(sid, "pause"), "admin", REASON, "k-crashed")

    assert taken.status_code == 200
    assert taken.json()["outcome"] == "applied"
    assert harness.calls(mutating=True) == 1


async def test_abandoned_key_with_a_stored_operation_answers_with_it(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    first = await harness.post(path(sid, "pause"), "admin", REASON, "k-first")
    # Pretend the process died after storing the operation but before storing the answer.
    async with harness.runtime.db.write() as session:
        await session.execute(text("DELETE FROM idempotency_keys WHERE key = 'k-first'"))
    await _abandon_key(harness, "admin", "k-first", VALIDATED, sid)
    harness.clock.advance(minutes=3)

    again = await harness.post(path(sid, "pause"), "admin", REASON, "k-first")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert len(await harness.operations()) == 2  # the pause and its scheduled expiry, no more
    assert harness.calls(mutating=True) == 1
    recovered = [r for r in await harness.audit() if r.action == "idempotency.recovered"]
    assert len(recovered) == 1
