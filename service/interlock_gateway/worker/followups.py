"""What else changes, in the same transaction, when a phase ends.

* A pause that was applied schedules its own expiry: an operation (terminate, reason
  ``pause_expired``, actor ``system:pause-expiry``) due at the pause's ``resume_deadline``.
  It lives in the database like any other operation, so it survives restarts.
* A later resume, terminate or revoke of the same session cancels that pending expiry.
* An expiry that terminated the session marks the pause it ended as expired.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from interlock import Interlock
from interlock.models import OperationOutcome, Verb

from ..audit import AuditTrail
from ..operations import outbox
from ..operations.audit_entries import SYSTEM_ACTOR, entry_for_operation
from ..operations.links import link_row
from ..operations.phases import FINAL_STATUSES, Phase
from ..operations.rows import EXPIRY_ACTOR, expiry_row
from ..settings import NotificationSettings
from ..store.tables import OPERATIONS, Operation, OperationStatus, ResumeLink
from .execute import Step
from .finish import AfterFinish, StatementFollowUp
from .queue import Claim

__all__ = ["followups", "makes_work_due"]

_ENDS_PAUSE = {Verb.RESUME.value, Verb.TERMINATE.value, Verb.REVOKE.value}
_PENDING = OperationStatus.PENDING.value
# Built once on the Core table: it runs after every resume, terminate and revoke.
_CANCEL_EXPIRIES = (
    update(OPERATIONS)
    .where(
        OPERATIONS.c.account == bindparam("of_account"),
        OPERATIONS.c.session_id == bindparam("of_session"),
        OPERATIONS.c.actor == EXPIRY_ACTOR,
        OPERATIONS.c.status == _PENDING,
        OPERATIONS.c.id != bindparam("except_id"),
    )
    .values(
        status=OperationStatus.CANCELLED.value,
        next_attempt_at=None,
        error_message=bindparam("message"),
        updated_at=bindparam("now"),
    )
)


def followups(
    claim: Claim,
    step: Step,
    *,
    interlock: Interlock,
    trail: AuditTrail,
    now: datetime,
    notifications: NotificationSettings | None = None,
    links: bool = False,
) -> Sequence[AfterFinish]:
    """The follow-up writes for ``claim`` ending with ``step``.

    :param notifications: routes of the outbox rows an operation that ended writes.
    :param links: whether an applied pause issues a resume link.
    """
    op = claim.op
    steps: list[AfterFinish] = []
    applied = step.outcome is OperationOutcome.APPLIED
    paused = claim.phase is Phase.APPLY and op.verb == Verb.PAUSE and applied
    if paused and op.resume_deadline and _can_terminate(interlock, op.account):
        steps.append(_schedule_expiry(op, now))
    ended = step.status in (OperationStatus.SUCCEEDED, OperationStatus.COMMITTED)
    if ended and op.verb in _ENDS_PAUSE and claim.phase in (Phase.APPLY, Phase.COMMIT):
        steps.append(_cancel_expiries(op, now))
    if claim.phase is Phase.EXPIRE and applied and op.details.get("pause_operation"):
        steps.append(_mark_expired(op, trail, now))
    if step.status in FINAL_STATUSES and notifications is not None:
        steps.extend(_notify(op, notifications, now, link=links and paused))
    return steps


_INSERT_LINK = insert(ResumeLink)


def _notify(
    op: Operation, settings: NotificationSettings, now: datetime, *, link: bool
) -> list[AfterFinish]:
    """The outbox rows (and, for an applied pause, its resume link) of an ended operation.

    Cheap when nothing is routed: :meth:`~NotificationSettings.routes_for` is a scan of the
    configured routes, and no statement is added.
    """
    steps: list[AfterFinish] = []
    extra: dict[str, str] = {}
    candidate_event = outbox.operation_event(op)
    if link and op.resume_deadline is not None and settings.enabled:
        language = next(
            (r.language for r in settings.routes_for(outbox.Event.SESSION_PAUSED)), "zh-CN"
        )
        row = link_row(op, now=now, language=language)
        steps.append(StatementFollowUp(_INSERT_LINK, row))
        extra["resume_link_id"] = row["id"]
    payload = outbox.operation_payload(op, **extra)
    rows: list[dict[str, Any]] = []
    if op.batch_id is None:  # a batch's requester hears once, when it finished (batches.py)
        event = outbox.Event.OPERATION_FINISHED
        rows += outbox.plan(settings, event, payload, now=now, requester=op.actor)
    if candidate_event is not None:
        rows += outbox.plan(settings, candidate_event, payload, now=now, requester=op.actor)
    steps.extend(StatementFollowUp(outbox.INSERT, row) for row in rows)
    return steps


def makes_work_due(claim: Claim, now: datetime) -> bool:
    """Whether the follow-ups of ``claim`` may have stored work that is due already.

    Only a scheduled pause expiry adds work, due at the pause's ``resume_deadline``;
    cancelling expiries and marking a pause expired add none. The worker looks for work at
    once only then (otherwise its next poll finds the expiry in time).
    """
    deadline = claim.op.resume_deadline
    return deadline is not None and deadline <= now


def _can_terminate(interlock: Interlock, account: str) -> bool:
    return interlock.adapter(account).capabilities.supports(Verb.TERMINATE)


_INSERT = insert(OPERATIONS)


def _schedule_expiry(pause: Operation, now: datetime) -> AfterFinish:
    return StatementFollowUp(_INSERT, expiry_row(pause, now))


def _cancel_expiries(op: Operation, now: datetime) -> AfterFinish:
    return StatementFollowUp(
        _CANCEL_EXPIRIES,
        {
            "of_account": op.account,
            "of_session": op.session_id,
            "except_id": op.id,
            "message": f"superseded by operation {op.id} ({op.verb})",
            "now": now,
        },
    )


def _mark_expired(expiry: Operation, trail: AuditTrail, now: datetime) -> AfterFinish:
    pause_id = str(expiry.details["pause_operation"])

    def mark(session: Session) -> None:
        pause = session.get(Operation, pause_id)
        if pause is None:
            return
        pause.details = {**(pause.details or {}), "expired_at": now.isoformat()}
        pause.state_after = "expired"
        pause.updated_at = now
        entry = entry_for_operation(
            pause,
            "operation.pause.expired",
            "expired",
            actor=SYSTEM_ACTOR,
            details={"expiry_operation": expiry.id},
        )
        trail.append_sync(session, entry)

    return mark
