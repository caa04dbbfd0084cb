"""Observer hooks, exactly once per operation, with the gateway's own operation ids.

``interlock_operation_started`` fires when an operation's first phase begins (the worker
claims it for the first time) — or at acceptance, for one settled there. ``finished`` fires
when it reaches a final status, naming the phase that ended it. A held terminate is therefore
observed once: started at its hold, finished at its commit (or its undo). Operations refused or
cancelled before they began fire nothing; the audit trail has them.

Hooks run in the process that saw the change, after its transaction committed. A process that
dies between the commit and the call loses that call: observers are for metrics and sinks,
the audit trail is the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from interlock.models import (
    OperationOutcome,
    OperationResult,
    ReasonCode,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.plugins import LoadedPlugins, OperationFinished, OperationStarted, notify_observers

from ..store.tables import Operation, OperationVerb

__all__ = ["ACCEPT_PHASE", "finished", "started", "started_and_finished"]

ACCEPT_PHASE = "accept"
"""The phase named for an operation settled at acceptance (no vendor write was needed)."""


def _verb(op: Operation) -> Verb | str:
    return "undo" if op.verb == OperationVerb.UNDO else Verb(op.verb)


def _reason(op: Operation) -> ReasonCode:
    return ReasonCode(op.reason_code) if op.reason_code else ReasonCode.OPERATOR_ERROR


def _started_event(op: Operation, phase: str, at: datetime) -> OperationStarted:
    return OperationStarted(
        operation_id=op.id,
        ref=SessionRef(account=op.account, session_id=op.session_id),
        verb=_verb(op),  # type: ignore[arg-type]  # "undo" is the one non-SDK verb
        reason_code=_reason(op),
        idempotency_key=op.idempotency_key or op.id,
        started_at=at,
        phase=phase,
    )


def _state(value: str | None) -> SessionState | None:
    try:
        return SessionState(value) if value else None
    except ValueError:
        return None


def _result(op: Operation) -> OperationResult:
    try:
        outcome = OperationOutcome(op.outcome or op.status)
    except ValueError:  # cancelled: nothing happened at the vendor for it
        outcome = OperationOutcome.REJECTED
    verb = "restore" if op.verb == OperationVerb.UNDO else Verb(op.verb)
    return OperationResult(
        ref=SessionRef(account=op.account, session_id=op.session_id),
        verb=verb,
        outcome=outcome,
        state_before=_state(op.state_before),
        state_after=_state(op.state_after),
        idempotency_key=op.idempotency_key or op.id,
        vendor_request_id=op.vendor_request_id,
        error_code=op.error_code,
        error_message=op.error_message,
        confirmed_by_read_back=bool((op.details or {}).get("confirmed_by_read_back")),
    )


def started(plugins: LoadedPlugins, op: Operation, phase: str, at: datetime) -> None:
    """``interlock_operation_started`` for ``op`` beginning with ``phase``."""
    notify_observers(plugins, "interlock_operation_started", event=_started_event(op, phase, at))


def finished(plugins: LoadedPlugins, op: Operation, phase: str, at: datetime) -> None:
    """``interlock_operation_finished`` for ``op``, ended by ``phase``."""
    event = OperationFinished(
        operation_id=op.id,
        ref=SessionRef(account=op.account, session_id=op.session_id),
        verb=_verb(op),  # type: ignore[arg-type]
        reason_code=_reason(op),
        idempotency_key=op.idempotency_key or op.id,
        result=_result(op),
        duration_s=max(0.0, (at - op.created_at).total_seconds()),
        phase=phase,
    )
    notify_observers(plugins, "interlock_operation_finished", event=event)


def started_and_finished(
    plugins: LoadedPlugins, ops: Iterable[Operation], phase: str, at: datetime
) -> None:
    """Both hooks for operations that ended in the phase they began with."""
    for op in ops:
        started(plugins, op, phase, at)
        finished(plugins, op, phase, at)
