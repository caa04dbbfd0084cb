"""A crash between the vendor's answer and the commit: reconciled by reading back.

The fault point ``after_vendor_call`` raises right after the facade returned, before the
worker's finishing transaction — what a SIGKILL at that moment leaves behind: the vendor
acted, the row is still ``in_flight`` with a lease. A new gateway on the same database (its
clock past the lease) claims the row, reads the session back, and records the outcome
without sending the mutation again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from interlock.models import SessionState, Verb
from interlock_gateway.settings import GatewaySettings
from interlock_gateway.store.tables import Operation

from ..api.harness import FakeClock, gateway, gateway_settings, make_interlock

LEASE_S = 30


class SimulatedCrash(Exception):
    """Stands in for the process dying."""


@dataclass
class CrashOnce:
    """Crash after the next vendor call (of ``phase``, if given)."""

    phase: str | None = None
    crashed: list[str] = field(default_factory=list)

    async def __call__(self, point: str, op: Operation) -> None:
        phase = (op.details or {}).get("phase")
        if point != "after_vendor_call":
            return
        if not self.crashed and (self.phase is None or phase == self.phase):
            self.crashed.append(op.id)
            raise SimulatedCrash(f"killed at {point} of {op.id}")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> GatewaySettings:
    return gateway_settings(database_url, str(tmp_path), sync_wait=timedelta(seconds=1))


async def test_crash_after_a_pause_is_reconciled_without_a_resend(
    settings: GatewaySettings, clock: FakeClock
) -> None:
    interlock = make_interlock()
    async with gateway(settings, clock=clock, interlock=interlock) as first:
        first.runtime.worker.executor.fault = CrashOnce()
        sid = first.session("Backend Engineer", SessionState.IN_PROGRESS)
        response = await first.verb("pause", sid, "spec")
        assert response.status_code == 202  # the worker "died" before recording
        assert response.json()["status"] == "in_flight"
        assert first.state(sid) is SessionState.PAUSED
        op_id, keys = response.json()["id"], first.keys

    clock.advance(seconds=LEASE_S + 1)
    async with gateway(settings, clock=clock, interlock=interlock, keys=keys) as second:
        await second.settle()
        op = await second.operation(op_id)
        assert (op.status, op.outcome, op.state_after) == ("succeeded", "applied", "paused")
        assert op.details["confirmed_by_read_back"] is True
        assert second.calls(mutating=True) == 0  # read back, not resent
        assert second.double().mutation_counts[sid] == 1
        outcomes = [r.outcome for r in await second.audit() if r.operation_id == op_id]
        assert outcomes == ["accepted", "applied"]
    await interlock.aclose()


async def test_lease_not_yet_expired_is_left_alone(
    settings: GatewaySettings, clock: FakeClock
) -> None:
    interlock = make_interlock()
    async with gateway(settings, clock=clock, interlock=interlock) as first:
        first.runtime.worker.executor.fault = CrashOnce()
        sid = first.session("Backend Engineer", SessionState.IN_PROGRESS)
        op_id = (await first.verb("pause", sid, "spec")).json()["id"]
        clock.advance(seconds=LEASE_S - 1)
        await first.settle()
        assert (await first.operation(op_id)).status == "in_flight"
        clock.advance(seconds=2)
        await first.settle()
        assert (await first.operation(op_id)).status == "succeeded"
        assert first.double().mutation_counts[sid] == 1
    await interlock.aclose()


async def test_crash_during_the_hold_then_commit(
    settings: GatewaySettings, clock: FakeClock
) -> None:
    interlock = make_interlock()
    async with gateway(settings, clock=clock, interlock=interlock) as first:
        first.runtime.worker.executor.fault = CrashOnce(phase="hold")
        sid = first.session("Backend Engineer", SessionState.IN_PROGRESS)
        response = await first.verb("terminate", sid, "spec")
        assert response.json()["status"] == "in_flight"
        op_id, keys = response.json()["id"], first.keys

    clock.advance(seconds=LEASE_S + 1)
    async with gateway(settings, clock=clock, interlock=interlock, keys=keys) as second:
        await second.settle()
        op = await second.operation(op_id)
        assert (op.status, op.details["held_by_pause"]) == ("grace", True)
        status = await second.post(f"/v1/operations/{op_id}/undo", "spec", {"note": "oops"})
        assert status.status_code == 200  # the recovered hold is undone like any other
        assert second.state(sid) is SessionState.IN_PROGRESS
        assert second.double().mutation_counts[sid] == 2  # one pause, one resume
    await interlock.aclose()


async def test_crash_during_the_commit(settings: GatewaySettings, clock: FakeClock) -> None:
    interlock = make_interlock()
    async with gateway(settings, clock=clock, interlock=interlock) as first:
        sid = first.session("Backend Engineer", SessionState.IN_PROGRESS)
        op_id = (await first.verb("terminate", sid, "spec")).json()["id"]
        first.runtime.worker.executor.fault = CrashOnce(phase="commit")
        clock.advance(seconds=61)
        await first.settle()
        assert (await first.operation(op_id)).status == "in_flight"
        assert first.state(sid) is SessionState.TERMINATED
        keys = first.keys

    clock.advance(seconds=LEASE_S + 1)
    async with gateway(settings, clock=clock, interlock=interlock, keys=keys) as second:
        await second.settle()
        op = await second.operation(op_id)
        assert (op.status, op.outcome) == ("committed", "committed")
        assert op.details["confirmed_by_read_back"] is True
        assert second.calls(mutating=True) == 0
        assert second.double().mutation_counts[sid] == 2  # hold + terminate, nothing twice
    await interlock.aclose()


async def test_in_flight_row_whose_write_never_happened_is_sent(
    settings: GatewaySettings, clock: FakeClock
) -> None:
    """The other half of "read, then decide": no write seen at the vendor → send it."""
    interlock = make_interlock()
    async with gateway(settings, clock=clock, interlock=interlock) as harness:
        sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)

        async def crash_before(point: str, op: Operation) -> None:
            if point == "before_vendor_call":
                raise SimulatedCrash("died before the call")

        harness.runtime.worker.executor.fault = crash_before
        op_id = (await harness.verb("pause", sid, "spec")).json()["id"]
        assert harness.state(sid) is SessionState.IN_PROGRESS
        harness.runtime.worker.executor.fault = None
        clock.advance(seconds=LEASE_S + 1)
        await harness.settle()
        op = await harness.operation(op_id)
        assert (op.status, op.outcome, op.attempts) == ("succeeded", "applied", 2)
        assert harness.state(sid) is SessionState.PAUSED
        assert harness.calls(mutating=True) == 1
    await interlock.aclose()


async def test_gives_up_after_repeated_interruptions(
    settings: GatewaySettings, clock: FakeClock
) -> None:
    interlock = make_interlock()
    async with gateway(settings, clock=clock, interlock=interlock) as harness:
        sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)

        async def always(point: str, op: Operation) -> None:
            raise SimulatedCrash("died again")

        harness.runtime.worker.executor.fault = always
        harness.double().world.apply(sid, Verb.PAUSE)
        op_id = (await harness.verb("resume", sid, "spec")).json()["id"]
        for _ in range(settings.worker_max_attempts + 1):
            clock.advance(seconds=LEASE_S + 1)
            await harness.settle()
        op = await harness.operation(op_id)
        assert (op.status, op.error_code) == ("failed", "OPERATION.GAVE_UP")
    await interlock.aclose()
