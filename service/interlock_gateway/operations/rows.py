"""One row builder for every operation: requested ones (single or batch item), undos, expiries.

Rows are plain dicts with every column of ``operations`` (inserted through the Core table, many
at a time with ``executemany``: the ORM's unit of work cost more than the rows themselves).
The worker's detached copies are made from the same dicts (:func:`operation_from_row`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from interlock.errors import InvalidTransition
from interlock.models import Reason, ReasonCode, Session, SessionState, Verb
from interlock.transitions import plan_transition

from ..audit import canonical_json
from ..policy import Target
from ..settings import GatewaySettings
from ..store.tables import (
    OPERATIONS,
    Approval,
    ApprovalState,
    Operation,
    OperationKind,
    OperationStatus,
    OperationVerb,
)
from .phases import Phase, first_phase

__all__ = [
    "EXPIRY_ACTOR",
    "approval_for",
    "expiry_row",
    "request_hash",
    "request_rows",
    "settle_by_state",
    "undo_row",
]

EXPIRY_ACTOR = "system:pause-expiry"
_COLUMNS = tuple(column.key for column in OPERATIONS.c)
Status = OperationStatus


def _blank(now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_COLUMNS)
    row.update(
        kind=OperationKind.SINGLE.value,
        status=Status.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        details={},
        created_at=now,
        updated_at=now,
    )
    return row


def request_rows(
    sessions: Sequence[tuple[Session, Target]],
    *,
    verb: Verb,
    reason: Reason,
    actor: str,
    now: datetime,
    settings: GatewaySettings,
    vendor_of: Callable[[str], str],
    idempotency_key: str | None = None,
    batch_id: str | None = None,
) -> list[dict[str, Any]]:
    """Rows for ``verb`` requested by ``actor`` on each session (a batch's items when
    ``batch_id`` is given), ``pending`` in their first phase (:func:`first_phase`)."""
    shared = _blank(now)
    shared.update(
        verb=verb.value,
        reason_code=reason.code.value,
        reason_note=reason.note,
        actor=actor,
        idempotency_key=idempotency_key,
        resume_deadline=now + settings.resume_window if verb is Verb.PAUSE else None,
    )
    if batch_id is not None:
        shared.update(kind=OperationKind.BATCH_ITEM.value, batch_id=batch_id)
    phase = first_phase(verb, settings).value
    rows = []
    for index, (session, target) in enumerate(sessions):
        row = dict(shared)
        row.update(
            id=str(uuid.uuid4()),
            item_index=index if batch_id is not None else None,
            account=session.ref.account,
            vendor=vendor_of(session.ref.account),
            session_id=session.ref.session_id,
            position_id=target.position_id,
            state_before=session.state.value,
            details={
                "phase": phase,
                "position": target.snapshot(),
                "candidate_id": session.candidate.id,
                # masked already (``张*``): what a candidate-facing page may show
                "candidate_masked": session.candidate.masked_name,
            },
        )
        rows.append(row)
    return rows


def settle_by_state(row: dict[str, Any], state: SessionState) -> None:
    """Settle ``row`` at once when its verb needs no vendor call from ``state``: a success
    (``already_in_state``) or a refusal (``SESSION.INVALID_TRANSITION``)."""
    try:
        transition = plan_transition(state, Verb(row["verb"]))
    except InvalidTransition as error:
        row.update(status=Status.REJECTED.value, outcome="rejected", next_attempt_at=None)
        row.update(error_code=error.code, error_message=error.message)
        return
    if transition.already_in_state:
        row.update(status=Status.SUCCEEDED.value, outcome="already_in_state")
        row.update(next_attempt_at=None, state_after=state.value)


def undo_row(
    of: Operation, *, actor: str, note: str | None, now: datetime, key: str | None
) -> dict[str, Any]:
    """The undo of a held terminate/revoke: give back what its hold took."""
    details = of.details or {}
    row = _blank(now)
    row.update(
        id=str(uuid.uuid4()),
        account=of.account,
        vendor=of.vendor,
        session_id=of.session_id,
        position_id=of.position_id,
        verb=OperationVerb.UNDO.value,
        reason_code=ReasonCode.OPERATOR_ERROR.value,
        reason_note=note,
        actor=actor,
        state_before=of.state_after,
        undo_of=of.id,
        idempotency_key=key,
        details={
            "phase": Phase.RESTORE.value,
            "held_by_pause": bool(details.get("held_by_pause")),
            "restore_to": of.state_before,
            "position": details.get("position", {}),
            "candidate_id": details.get("candidate_id"),
        },
    )
    return row


def expiry_row(pause: Operation, now: datetime) -> dict[str, Any]:
    """The system's terminate (reason ``pause_expired``) due at a pause's resume deadline."""
    details = pause.details or {}
    row = _blank(now)
    row.update(
        id=str(uuid.uuid4()),
        account=pause.account,
        vendor=pause.vendor,
        session_id=pause.session_id,
        position_id=pause.position_id,
        verb=OperationVerb.TERMINATE.value,
        reason_code=ReasonCode.PAUSE_EXPIRED.value,
        actor=EXPIRY_ACTOR,
        state_before=SessionState.PAUSED.value,
        next_attempt_at=pause.resume_deadline,
        details={
            "phase": Phase.EXPIRE.value,
            "pause_operation": pause.id,
            "position": details.get("position", {}),
            "candidate_id": details.get("candidate_id"),
        },
    )
    return row


def request_hash(row: dict[str, Any]) -> str:
    """SHA-256 over the exact request an approval of one operation covers."""
    request = {
        "account": row["account"],
        "session_id": row["session_id"],
        "verb": row["verb"],
        "reason": {"code": row["reason_code"], "note": row["reason_note"]},
        "requester": row["actor"],
        "operation_id": row["id"],
    }
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


def approval_for(
    *, now: datetime, ttl_end: datetime, request_hash: str, requester: str, **subject: str
) -> Approval:
    """A pending approval of one operation (``operation_id=``) or one batch (``batch_id=``)."""
    return Approval(
        id=str(uuid.uuid4()),
        request_hash=request_hash,
        requester=requester,
        state=ApprovalState.PENDING.value,
        created_at=now,
        expires_at=ttl_end,
        **subject,
    )
