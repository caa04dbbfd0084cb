"""What the worker does in each phase of an operation (see ``operations/phases.py``).

Vendor calls go through the facade's narrow path (:meth:`~interlock.Interlock.send`: one call,
no observer hooks — the worker observes each operation once itself). Each phase returns a
:class:`Step` — the columns to write and the audit action — and never writes itself, so a
crash anywhere before the worker's commit leaves the row ``in_flight`` for reconciliation.
Reconciliation is always *read, then decide*: an operation tried before
(:attr:`Claim.recovering`) reads the session back, and a session already in the target state
is recorded as done without sending anything. Every vendor write carries an idempotency key
derived from the operation id and phase, so even the vendor sees a resend as a replay.

Who retries what: one vendor call is retried by the SDK's toolkit (``interlock.http``: at most
3 attempts within its time and retry budgets). A phase whose call still failed with a
retryable error is run again later by the worker — a new call, read back first — up to
``worker_max_attempts`` runs (the operation's ``attempts``), with exponential backoff; so a
vendor sees at most ``3 × worker_max_attempts`` requests for one phase. A native chunk's
failed items run again one by one, read back first; the circuit breaker *holds* items
without spending an attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from interlock import Interlock
from interlock.errors import (
    InterlockError,
    InvalidTransition,
    UnsupportedOperation,
    VendorError,
    VendorTimeout,
)
from interlock.models import (
    OperationOutcome,
    OperationResult,
    Reason,
    ReasonCode,
    Session,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.transitions import TARGET_STATE, plan_transition

from ..clock import Clock
from ..operations.notices import Notice, notices_of
from ..operations.phases import Phase
from ..settings import GatewaySettings
from ..store.tables import Operation, OperationStatus
from .queue import Claim

__all__ = ["Executor", "FaultHook", "Step", "reason_of"]

Status = OperationStatus
Outcome = OperationOutcome
FaultHook = Callable[[str, Operation], Awaitable[None]]
"""Called at ``before_vendor_call`` and ``after_vendor_call`` of every vendor write; tests raise
from it to simulate a crash at that point."""

_MAX_BACKOFF = timedelta(minutes=5)


@dataclass
class Step:
    """The result of one phase: new column values and the audit action that records it.

    :param tell: a message key for the operation's requester (``interlock_notify``), sent
        once the step is recorded.
    """

    status: OperationStatus
    outcome: OperationOutcome | None
    action: str
    changes: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    tell: str | None = None

    def columns(self, op: Operation) -> dict[str, Any]:
        """Every column to write (``details`` merged into the row's)."""
        outcome = None if self.outcome is None else self.outcome.value
        merged = {**(op.details or {}), **self.details}
        return {"status": self.status.value, "outcome": outcome, **self.changes, "details": merged}


def _result_changes(result: OperationResult) -> dict[str, Any]:
    changes: dict[str, Any] = {"error_code": None, "error_message": None}
    if result.state_after is not None:
        changes["state_after"] = result.state_after.value
    if result.vendor_request_id:
        changes["vendor_request_id"] = result.vendor_request_id
    return changes


class Executor:
    """Runs phases against the vendor through :class:`~interlock.Interlock`."""

    def __init__(
        self,
        interlock: Interlock,
        settings: GatewaySettings,
        clock: Clock,
        fault: FaultHook | None = None,
    ) -> None:
        self.interlock = interlock
        self.settings = settings
        self.clock = clock
        self.fault = fault

    async def run(self, claim: Claim) -> Step:
        """Carry out ``claim``'s phase; vendor refusals become steps, never exceptions."""
        op = claim.op
        if claim.recovering and op.attempts > self.settings.worker_max_attempts:
            return self._failed(op, "OPERATION.GAVE_UP", "gave up after repeated interruptions")
        phases = {
            Phase.APPLY: self._apply,
            Phase.HOLD: self._hold,
            Phase.COMMIT: self._commit,
            Phase.RESTORE: self._restore,
            Phase.EXPIRE: self._expire,
        }
        try:
            return await phases[claim.phase](op, claim.recovering)
        except InterlockError as error:
            return self._on_error(op, claim.phase, error)

    # -- phases --------------------------------------------------------------------------------

    async def _apply(self, op: Operation, recovering: bool) -> Step:
        verb = Verb(op.verb)
        if recovering:
            session = await self._read(op)
            if session.state is TARGET_STATE[verb]:
                done = (
                    Outcome.ALREADY_IN_STATE
                    if op.state_before == session.state
                    else Outcome.APPLIED
                )
                return self._succeeded(op, done, session.state, read_back=True)
        result = await self._send(op, verb, Phase.APPLY, resume_deadline=op.resume_deadline)
        return Step(
            Status.SUCCEEDED,
            result.outcome,
            f"operation.{op.verb}.outcome",
            _result_changes(result),
        )

    async def _hold(self, op: Operation, recovering: bool) -> Step:
        verb = Verb(op.verb)
        session = await self._read(op)
        if plan_transition(session.state, verb).already_in_state:
            return self._succeeded(op, Outcome.ALREADY_IN_STATE, session.state)
        held, state_now = False, session.state
        adapter = self.interlock.adapter(op.account)
        if session.state is SessionState.IN_PROGRESS and adapter.capabilities.supports(Verb.PAUSE):
            deadline = self.clock() + self.settings.undo_window + self.settings.resume_window
            await self._send(op, Verb.PAUSE, Phase.HOLD, resume_deadline=deadline)
            held, state_now = True, SessionState.PAUSED
        elif session.state is SessionState.PAUSED and op.state_before == SessionState.IN_PROGRESS:
            held = True  # our own hold from an interrupted attempt
        commit_at = self.clock() + self.settings.undo_window
        return Step(
            Status.GRACE,
            Outcome.GRACE,
            f"operation.{op.verb}.hold",
            {"commit_at": commit_at, "next_attempt_at": commit_at, "state_after": state_now.value},
            {"held_by_pause": held},
        )

    async def _commit(self, op: Operation, recovering: bool) -> Step:
        """The window closed: commit — unless the session runs again (resumed at the vendor
        during the window), which is held again instead of being cut off."""
        verb = Verb(op.verb)
        session = await self._read(op)
        if session.state is TARGET_STATE[verb]:
            return self._committed(op, session.state.value, None, read_back=True)
        adapter = self.interlock.adapter(op.account)
        if session.state is SessionState.IN_PROGRESS and adapter.capabilities.supports(Verb.PAUSE):
            return await self._rehold(op)
        result = await self._send(op, verb, Phase.COMMIT)
        state = (result.state_after or TARGET_STATE[verb]).value
        return self._committed(op, state, result.vendor_request_id)

    async def _rehold(self, op: Operation) -> Step:
        details = op.details or {}
        reholds = int(details.get("reholds", 0))
        now = self.clock()
        if reholds >= self.settings.max_reholds:
            notice = Notice(
                "contested",
                now,
                f"the session was resumed at the vendor {reholds + 1} times during the undo "
                f"window; the {op.verb} was not sent and the session keeps running",
            )
            step = self._failed(
                op,
                "OPERATION.CONTESTED",
                f"the session keeps being resumed at the vendor; the {op.verb} was not sent",
                state_after=SessionState.IN_PROGRESS.value,
            )
            step.details = {"notices": [*notices_of(details), notice.as_dict()]}
            step.tell = "stop.contested"
            return step
        deadline = now + self.settings.undo_window + self.settings.resume_window
        # A key of its own: the vendor must not take it for a replay of the first hold.
        key = f"{op.id}:rehold{reholds + 1}"
        await self._send(op, Verb.PAUSE, Phase.COMMIT, resume_deadline=deadline, key=key)
        commit_at = now + self.settings.undo_window
        notice = Notice(
            "rehold",
            now,
            f"the session ran again at the vendor when the undo window closed; it was held "
            f"again and the {op.verb} now becomes final at {commit_at.isoformat()}",
        )
        return Step(
            Status.GRACE,
            Outcome.GRACE,
            f"operation.{op.verb}.rehold",
            {"commit_at": commit_at, "next_attempt_at": commit_at, "state_after": "paused"},
            {
                "held_by_pause": True,
                "reholds": reholds + 1,
                "notices": [*notices_of(details), notice.as_dict()],
            },
            tell="stop.rehold",
        )

    async def _restore(self, op: Operation, recovering: bool) -> Step:
        restore_to = (op.details or {}).get("restore_to")
        if not (op.details or {}).get("held_by_pause"):
            # Nothing was held at the vendor (scheduled session, or no pause capability).
            return self._succeeded(op, Outcome.APPLIED, _state(restore_to))
        if recovering:
            session = await self._read(op)
            if session.state is SessionState.IN_PROGRESS:
                return self._succeeded(op, Outcome.APPLIED, session.state, read_back=True)
        result = await self._send(op, Verb.RESUME, Phase.RESTORE)
        changes = _result_changes(result)
        return Step(Status.SUCCEEDED, Outcome.APPLIED, "operation.undo.outcome", changes)

    async def _expire(self, op: Operation, recovering: bool) -> Step:
        session = await self._read(op)
        if session.state is SessionState.PAUSED:
            result = await self._send(op, Verb.TERMINATE, Phase.EXPIRE)
            changes = _result_changes(result)
            return Step(Status.SUCCEEDED, Outcome.APPLIED, "operation.pause.expire", changes)
        if session.state.is_final:
            return self._succeeded(op, Outcome.ALREADY_IN_STATE, session.state)
        return Step(
            Status.CANCELLED,
            None,
            "operation.pause.expire",
            {"state_after": session.state.value},
            {"cancelled_because": "the session is no longer paused"},
        )

    # -- vendor calls ----------------------------------------------------------------------------

    async def _read(self, op: Operation) -> Session:
        ref = SessionRef(account=op.account, session_id=op.session_id)
        return await self.interlock.get_session(ref)

    async def _send(
        self,
        op: Operation,
        verb: Verb,
        phase: Phase,
        *,
        resume_deadline: Any = None,
        key: str | None = None,
    ) -> OperationResult:
        ref = SessionRef(account=op.account, session_id=op.session_id)
        if self.fault is not None:
            await self.fault("before_vendor_call", op)
        result = await self.interlock.send(
            verb,
            ref,
            reason_of(op),
            idempotency_key=key or f"{op.id}:{phase}",
            resume_deadline=resume_deadline,
        )
        if self.fault is not None:
            await self.fault("after_vendor_call", op)
        return result

    # -- results ---------------------------------------------------------------------------------

    def _succeeded(
        self,
        op: Operation,
        outcome: Outcome,
        state: SessionState | None,
        *,
        read_back: bool = False,
    ) -> Step:
        action = "operation.undo.outcome" if op.verb == "undo" else f"operation.{op.verb}.outcome"
        changes = {"state_after": state.value if state else None}
        return Step(
            Status.SUCCEEDED, outcome, action, changes, {"confirmed_by_read_back": read_back}
        )

    def _committed(
        self, op: Operation, state: str, vendor_request_id: str | None, *, read_back: bool = False
    ) -> Step:
        changes: dict[str, Any] = {"state_after": state, "next_attempt_at": None}
        if vendor_request_id:
            changes["vendor_request_id"] = vendor_request_id
        details = {"confirmed_by_read_back": read_back}
        return Step(
            Status.COMMITTED, Outcome.COMMITTED, f"operation.{op.verb}.commit", changes, details
        )

    def _failed(self, op: Operation, code: str, message: str, **changes: Any) -> Step:
        return Step(
            Status.FAILED,
            Outcome.FAILED,
            f"operation.{op.verb}.outcome",
            {"error_code": code, "error_message": message, "next_attempt_at": None, **changes},
        )

    def _on_error(self, op: Operation, phase: Phase, error: InterlockError) -> Step:
        request_id = getattr(error, "vendor_request_id", None)
        extra = {"vendor_request_id": request_id} if request_id else {}
        if isinstance(error, InvalidTransition):
            return Step(
                Status.REJECTED,
                Outcome.REJECTED,
                f"operation.{op.verb}.outcome",
                {"error_code": error.code, "error_message": error.message, **extra},
            )
        if isinstance(error, UnsupportedOperation):
            step = self._failed(op, error.code, error.message, **extra)
            step.outcome = Outcome.UNSUPPORTED
            return step
        # A timeout may hide a write that happened: the next attempt reads back first.
        retry = error.retryable or isinstance(error, VendorTimeout)
        if (
            retry
            and isinstance(error, VendorError)
            and op.attempts < self.settings.worker_max_attempts
        ):
            delay = min(self.settings.worker_retry_base * 2 ** (op.attempts - 1), _MAX_BACKOFF)
            when = self.clock() + delay
            return Step(
                Status.PENDING,
                None,
                f"operation.{op.verb}.retry",
                {
                    "next_attempt_at": when,
                    "error_code": error.code,
                    "error_message": error.message,
                    **extra,
                },
                {"phase": phase.value},
            )
        return self._failed(op, error.code, error.message, **extra)


def reason_of(op: Operation) -> Reason:
    """The reason to send with an operation's vendor calls."""
    code = ReasonCode(op.reason_code) if op.reason_code else ReasonCode.OPERATOR_ERROR
    note = op.reason_note or ("undo requested" if code is ReasonCode.OTHER else None)
    return Reason(code=code, note=note)


def _state(value: Any) -> SessionState | None:
    try:
        return SessionState(value) if value else None
    except ValueError:
        return None
