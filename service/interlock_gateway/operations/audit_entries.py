"""Audit entries for the gateway's actions (the trail itself lives in ``audit/``).

Audit action names: ``operation.<verb>`` for the attempt and ``operation.<verb>.<phase>`` for
what the worker did (``hold``, ``commit``, ``outcome``, ``restore``, ``expire``),
``operation.<verb>.rehold`` and ``operation.<verb>.resumed_at_vendor`` (the undo window's
watch), ``approval.<step>``, ``batch.<action|cancel|undo|complete>``,
``idempotency.<replay|conflict|mismatch|recovered>``, and ``<action>`` (the route's declared
action) for refusals at the door.
"""

from __future__ import annotations

from typing import Any

from interlock.models import Reason

from ..audit import AuditActor, AuditEntry, AuditReason, AuditTarget, AuditTrail
from ..policy import Caller, Target
from ..store.engine import Database
from ..store.tables import Operation

__all__ = ["SYSTEM_ACTOR", "actor_of", "entry_for_operation", "reason_of", "record", "target_of"]

SYSTEM_ACTOR = AuditActor(principal="system:worker", role="system")


def actor_of(caller: Caller) -> AuditActor:
    """The audit actor of an authenticated caller."""
    return AuditActor(
        principal=caller.name, role=str(caller.role), key_id=caller.key_id, ip=caller.ip
    )


def target_of(target: Target | None, candidate: str | None = None) -> AuditTarget:
    """The audit target of a policy target (pseudonymous candidate id only)."""
    if target is None or target.ref is None:
        return AuditTarget()
    return AuditTarget(
        account=target.ref.account,
        session_id=target.ref.session_id,
        position_id=target.position_id,
        candidate=candidate,
    )


def reason_of(reason: Reason | None) -> AuditReason | None:
    """The audit reason (the note's phone numbers are masked by the entry)."""
    return None if reason is None else AuditReason(code=str(reason.code), note=reason.note)


def entry_for_operation(
    op: Operation,
    action: str,
    outcome: str | None,
    *,
    actor: AuditActor | None = None,
    approval_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """An entry about ``op`` (its target, reason, states, vendor request id, key)."""
    reason = (
        AuditReason(code=op.reason_code, note=op.reason_note)
        if op.reason_code is not None
        else None
    )
    return AuditEntry(
        actor=actor or AuditActor(principal=op.actor),
        action=action,
        target=AuditTarget(
            account=op.account,
            session_id=op.session_id,
            position_id=op.position_id,
            candidate=(op.details or {}).get("candidate_id"),
        ),
        reason=reason,
        approval_id=approval_id,
        state_before=op.state_before,
        state_after=op.state_after,
        outcome=outcome,
        vendor_request_id=op.vendor_request_id,
        idempotency_key=op.idempotency_key,
        operation_id=op.id,
        batch_id=op.batch_id,
        details=details or {},
    )


async def record(db: Database, trail: AuditTrail, entry: AuditEntry) -> None:
    """Append ``entry`` in a transaction of its own (for refusals, which store nothing else)."""
    await db.run(lambda session: trail.append_sync(session, entry))
