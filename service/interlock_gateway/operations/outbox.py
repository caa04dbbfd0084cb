"""The notification outbox: rows written in the transaction of what they report.

Which events go to whom is configuration (``[notifications]`` routes). :func:`plan` turns one
event into outbox rows (one per route and recipient); the caller inserts them in its own
transaction — the finishing of an operation, the request of an approval, a candidate's pause
— so a notification exists exactly when what it reports was committed. Nothing here sends:
the worker's :mod:`~interlock_gateway.worker.notifier` delivers the rows under a lease.

Writing rows never fails a stop: a route without an address for a recipient is skipped (and
logged by count), and the rows are plain inserts with no constraint a stop could violate.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session as OrmSession

from interlock.privacy import mask_phone

from ..settings import NotificationSettings
from ..store.engine import Database
from ..store.tables import NOTIFICATIONS, Notification, NotificationStatus, Operation

__all__ = [
    "EVENTS",
    "INSERT",
    "Event",
    "NotificationView",
    "for_operation",
    "mask_recipient",
    "operation_event",
    "operation_payload",
    "plan",
    "write",
]

log = logging.getLogger("interlock.gateway.notifications")
INSERT = insert(NOTIFICATIONS)


class Event:
    """The events a route may name."""

    OPERATION_FINISHED = "operation.finished"
    """An operation reached its final status (HR: the requester)."""
    SESSION_PAUSED = "session.paused"
    """A pause was applied; carries the resume link (candidate-facing)."""
    SESSION_RESUMED = "session.resumed"
    SESSION_TERMINATED = "session.terminated"
    SESSION_REVOKED = "session.revoked"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_DECIDED = "approval.decided"
    BATCH_FINISHED = "batch.finished"
    CANDIDATE_PAUSED = "candidate.paused"
    """The vendor reported that the candidate left or paused (HR: the session's owner)."""
    CANDIDATE_NEEDS_TIME = "candidate.needs_time"
    """The candidate asked for another time on the resume page."""
    TASK_CREATED = "task.created"


EVENTS = frozenset(
    value for name, value in vars(Event).items() if not name.startswith("_") and name.isupper()
)
_CANDIDATE_EVENT_OF_VERB = {
    "pause": Event.SESSION_PAUSED,
    "resume": Event.SESSION_RESUMED,
    "terminate": Event.SESSION_TERMINATED,
    "revoke": Event.SESSION_REVOKED,
}


def mask_recipient(address: str) -> str:
    """``spec@example.com`` → ``s***@example.com``; a phone number as a phone; other ids keep
    their first two characters (``manager01`` → ``ma*******``)."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if address.replace("+", "").replace(" ", "").replace("-", "").isdigit():
        return mask_phone(address)
    if address.startswith(("http://", "https://")):
        scheme, _, rest = address.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}/…"
    return address[:2] + "*" * max(0, len(address) - 2)


def operation_event(op: Operation) -> str | None:
    """The candidate-facing event of a finished operation that changed the session."""
    if op.outcome not in ("applied", "already_in_state") and op.status not in ("committed",):
        return None
    return _CANDIDATE_EVENT_OF_VERB.get(op.verb)


def operation_payload(op: Operation, **extra: Any) -> dict[str, Any]:
    """The template context of an event about ``op`` (no personal data beyond the mask)."""
    details = op.details or {}
    payload: dict[str, Any] = {
        "operation_id": op.id,
        "batch_id": op.batch_id,
        "account": op.account,
        "session_id": op.session_id,
        "verb": op.verb,
        "status": op.status,
        "outcome": op.outcome,
        "reason_code": op.reason_code,
        "state_before": op.state_before,
        "state_after": op.state_after,
        "error_code": op.error_code,
        "requester": op.actor,
        "candidate_id": details.get("candidate_id"),
        "candidate_masked": details.get("candidate_masked"),
        "position_title": (details.get("position") or {}).get("title"),
        "resume_deadline": op.resume_deadline.isoformat() if op.resume_deadline else None,
    }
    return payload | extra


def plan(
    settings: NotificationSettings,
    event: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    requester: str | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows for ``event``: one per route that carries it and recipient it names.

    ``requester`` is the principal that ``"requester"`` in a route's ``to`` means (the HR user
    who asked, or the session's owner); a recipient without an address is skipped.
    """
    rows: list[dict[str, Any]] = []
    skipped = 0
    for route in settings.routes_for(event):
        for target in route.to:
            if target == "requester":
                address = settings.contacts.get(requester or "", {}).get(route.channel)
            elif target == "candidate":
                address = payload.get("candidate_id")
            else:
                address = target
            if not address:
                skipped += 1
                continue
            audience = "candidate" if target == "candidate" else route.audience
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "event": event,
                    "audience": audience,
                    "channel": route.channel,
                    "recipient": str(address),
                    "recipient_masked": mask_recipient(str(address)),
                    "language": route.language,
                    "operation_id": payload.get("operation_id"),
                    "batch_id": payload.get("batch_id"),
                    "account": payload.get("account"),
                    "session_id": payload.get("session_id"),
                    "payload": {"event": event, **payload},
                    "status": NotificationStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "lease_owner": None,
                    "lease_until": None,
                    "last_error": None,
                    "provider_id": None,
                    "created_at": now,
                    "updated_at": now,
                    "delivered_at": None,
                }
            )
    if skipped:
        log.info("%d recipient(s) of %s have no address for their channel", skipped, event)
    return rows


def write(session: OrmSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` in the caller's transaction (one executemany)."""
    if rows:
        session.execute(INSERT, list(rows))


@dataclass(frozen=True, slots=True)
class NotificationView:
    """One notification as the API lists it (recipient masked)."""

    id: str
    event: str
    channel: str
    audience: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


async def for_operation(db: Database, operation_id: str) -> list[NotificationView]:
    """The notifications about one operation, oldest first."""
    async with db.session() as session:
        found = await session.scalars(
            select(Notification)
            .where(Notification.operation_id == operation_id)
            .order_by(Notification.created_at, Notification.id)
        )
        return [
            NotificationView(
                id=n.id,
                event=n.event,
                channel=n.channel,
                audience=n.audience,
                recipient=n.recipient_masked,
                status=n.status,
                attempts=n.attempts,
                last_error=n.last_error,
                created_at=n.created_at,
                delivered_at=n.delivered_at,
            )
            for n in found
        ]
