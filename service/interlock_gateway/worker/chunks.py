"""Running a batch unit: one item through the executor, or a native chunk as one vendor call.

A chunk goes out through the facade's narrow path (:meth:`~interlock.Interlock.send_chunk`:
exactly these items, one call, no regrouping, no observer hooks). An item the chunk did not
carry out goes back to the queue as a recovering single item, so it is read back before
anything is resent. Every unit tells the account's circuit breaker how its call went; a
retryable failure while the breaker is not closed *holds* the item — re-queued for when the
breaker half-opens, without spending an attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from interlock import Interlock
from interlock.errors import InterlockError
from interlock.models import OperationOutcome, OperationResult, Verb
from interlock.transitions import TARGET_STATE

from ..clock import Clock
from ..store.tables import OperationStatus
from .breaker import BreakerState, CircuitBreaker
from .execute import Executor, FaultHook, Step, reason_of
from .queue import Claim

__all__ = ["Finish", "UnitRunner"]

Status = OperationStatus
Finish = Callable[[Sequence[tuple[Claim, Step]]], Awaitable[None]]
"""Records phase results in one transaction."""
_TRANSIENT = frozenset({"VENDOR.UNAVAILABLE", "VENDOR.RATE_LIMITED", "VENDOR.TIMEOUT"})
_GOOD = frozenset({Status.SUCCEEDED, Status.GRACE, Status.COMMITTED, Status.REJECTED})


def _is_transient(step: Step) -> bool:
    return step.status in (Status.PENDING, Status.FAILED) and (
        step.changes.get("error_code") in _TRANSIENT
    )


class UnitRunner:
    """Carries out units of batch items and tells the breaker how each went."""

    def __init__(
        self,
        interlock: Interlock,
        executor: Executor,
        breaker: CircuitBreaker,
        clock: Clock,
    ) -> None:
        self.interlock = interlock
        self.executor = executor
        self.breaker = breaker
        self.clock = clock

    @property
    def fault(self) -> FaultHook | None:
        return self.executor.fault

    async def run(self, unit: list[Claim], finish: Finish) -> None:
        """Carry out one unit and record its items' outcomes through ``finish``."""
        if len(unit) == 1:
            step = await self.executor.run(unit[0])
            await finish([(unit[0], self._observed(unit[0], step))])
        else:
            await self._run_chunk(unit, finish)

    async def _run_chunk(self, unit: list[Claim], finish: Finish) -> None:
        first = unit[0].op
        verb = Verb(first.verb)
        if self.fault is not None:
            await self.fault("before_vendor_call", first)
        by_id: dict[str, OperationResult] = {}
        failure: InterlockError | None = None
        try:
            results = await self.interlock.send_chunk(
                verb,
                first.account,
                [c.op.session_id for c in unit],
                reason_of(first),
                idempotency_key=f"{first.batch_id}:{first.id}",
            )
            by_id = {r.ref.session_id: r for r in results}
        except InterlockError as error:
            failure = error
        if self.fault is not None:
            await self.fault("after_vendor_call", first)
        steps = [self._chunk_step(c, by_id.get(c.op.session_id), failure) for c in unit]
        # One vendor call, one breaker observation (not one per item of the chunk).
        if any(_is_transient(s) for s in steps):
            self.breaker.record_failure(first.account)
        else:
            self.breaker.record_success(first.account)
        # All the chunk's outcomes in one transaction (executemany), each still a
        # compare-and-set on its lease with its own audit record.
        await finish([(c, self._hold_if_open(c, s)) for c, s in zip(unit, steps, strict=True)])

    def _chunk_step(
        self, item: Claim, result: OperationResult | None, failure: InterlockError | None
    ) -> Step:
        verb = Verb(item.op.verb)
        action = f"operation.{verb}.outcome"
        changes: dict[str, Any]
        if result is not None and result.outcome in (
            OperationOutcome.APPLIED,
            OperationOutcome.ALREADY_IN_STATE,
        ):
            changes = {
                "state_after": (result.state_after or TARGET_STATE[verb]).value,
                "error_code": None,
                "error_message": None,
            }
            if result.vendor_request_id:
                changes["vendor_request_id"] = result.vendor_request_id
            return Step(Status.SUCCEEDED, result.outcome, action, changes, {"native": True})
        # Not carried out by the chunk: back to the queue as a recovering single item (read
        # back first), so nothing is ever resent blind.
        code = result.error_code if result else (failure.code if failure else "VENDOR.UNAVAILABLE")
        message = (
            result.error_message
            if result
            else (failure.message if failure else "no result in the chunk")
        )
        changes = {
            "next_attempt_at": self.clock(),
            "error_code": code,
            "error_message": message,
            "vendor_request_id": result.vendor_request_id if result else None,
        }
        return Step(Status.PENDING, None, f"operation.{verb}.retry", changes, {"phase": "apply"})

    def _observed(self, item: Claim, step: Step) -> Step:
        """Tell the breaker how the item's call went, then :meth:`_hold_if_open`."""
        if _is_transient(step):
            self.breaker.record_failure(item.op.account)
        elif step.status in _GOOD:
            self.breaker.record_success(item.op.account)
        return self._hold_if_open(item, step)

    def _hold_if_open(self, item: Claim, step: Step) -> Step:
        """A transient failure while the breaker is not closed holds the item (no attempt
        spent) instead of retrying it by the policy or failing it."""
        if _is_transient(step) and self.breaker.state(item.op.account) is not BreakerState.CLOSED:
            return self._hold(item, step)
        return step

    def _hold(self, item: Claim, step: Step) -> Step:
        wait = max(self.breaker.retry_in(item.op.account), 0.2)
        changes = {
            **step.changes,
            "next_attempt_at": self.clock() + timedelta(seconds=wait),
            # Not an attempt of the item: the next claim brings it back to this count, and
            # ≥ 2 there means "read back before sending".
            "attempts": max(item.op.attempts - 1, 1),
        }
        details = {**step.details, "phase": item.phase.value, "held_by_breaker": True}
        return Step(Status.PENDING, None, f"operation.{item.op.verb}.held", changes, details)
