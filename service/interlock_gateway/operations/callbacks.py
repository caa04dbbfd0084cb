"""Vendor pushes: verified by the account's adapter, audited, and watched for the undo window.

The vendor's own signature is the authentication (no API key): nothing in a push is trusted
before ``parse_callback`` returned. Events are appended to the audit trail in one transaction
*before* the vendor is acknowledged, so a push that was acknowledged is never lost; if the
database fails the vendor gets an error and pushes again.

A push saying that a session is paused when no pause of ours is under way is the candidate's
own exit (:mod:`.exits`): recorded as actor ``candidate`` with a resume link and notifications
in the same transaction.

A push saying that a session with a held stop is running again (someone resumed it at the
vendor during the undo window) is written on the stop as a notice, audited, and told to the
HR user who asked for the stop. The stop is not committed over it: when the window closes the
worker finds the session running and holds it again (see :mod:`.phases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from interlock.events import CallbackReply, CallbackRequest, SessionEvent
from interlock.models import SessionState

from ..audit import AuditActor, AuditEntry, AuditTarget
from ..policy import UNAUTHENTICATED, Action
from ..store.tables import Operation, OperationStatus
from . import audit_entries as audit
from .context import Context
from .exits import Exit, look_up_exit, record_exit
from .notices import Notice, add_notice, tell_requester
from .phases import FINAL_VERBS

__all__ = ["VENDOR_SIGNATURE_RULE", "Received", "receive"]

VENDOR_SIGNATURE_RULE = UNAUTHENTICATED[Action.CALLBACKS_RECEIVE].id
"""The policy rule that admits a vendor push: the adapter's verification."""
_FINAL = tuple(verb.value for verb in FINAL_VERBS)


@dataclass(frozen=True, slots=True)
class Received:
    """The acknowledgement the vendor expects, and how many events its push carried."""

    reply: CallbackReply
    events: int


def _entry(account: str, vendor: str, event: SessionEvent, ip: str | None) -> AuditEntry:
    ref = event.ref
    return AuditEntry(
        actor=AuditActor(principal=f"vendor:{vendor}", role="vendor", ip=ip),
        action="callback",
        target=AuditTarget(account=account, session_id=ref.session_id if ref else None),
        state_after=str(event.state) if event.state else None,
        outcome="received",
        details={
            "event_id": event.event_id,
            "kind": event.kind,
            "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
            "rule": VENDOR_SIGNATURE_RULE,
        },
    )


def _held_stops(tx: OrmSession, account: str, session_id: str) -> list[Operation]:
    return list(
        tx.scalars(
            select(Operation).where(
                Operation.account == account,
                Operation.session_id == session_id,
                Operation.verb.in_(_FINAL),
                Operation.status == OperationStatus.GRACE,
            )
        ).all()
    )


def _watch(
    tx: OrmSession, ctx: Context, account: str, event: SessionEvent, now: datetime
) -> list[Operation]:
    """The held stops of the event's session that it says is running again (noted, audited)."""
    if event.ref is None or event.state is not SessionState.IN_PROGRESS:
        return []
    stops = _held_stops(tx, account, event.ref.session_id)
    for stop in stops:
        notice = Notice(
            kind="resumed_at_vendor",
            at=now,
            text=f"the session was resumed at the vendor during the undo window; it will be "
            f"held again instead of being {stop.verb}d when the window closes",
        )
        add_notice(stop, notice)
        entry = audit.entry_for_operation(
            stop,
            f"operation.{stop.verb}.resumed_at_vendor",
            "noted",
            actor=audit.SYSTEM_ACTOR,
            details={"event_id": event.event_id},
        )
        ctx.trail.append_sync(tx, entry)
    return stops


async def receive(
    ctx: Context, account: str, request: CallbackRequest, *, ip: str | None = None
) -> Received:
    """Verify ``request`` with ``account``'s adapter, audit its events, return the reply.

    :raises interlock.errors.VendorAuthFailed: the signature did not verify (or a replay).
    :raises interlock.errors.UnsupportedOperation: the adapter takes no pushes.
    :raises interlock.errors.VendorProtocolError: verified, but not decodable.
    """
    adapter = ctx.interlock.adapter(account)
    result = adapter.parse_callback(request)
    if not result.events:
        return Received(result.reply, 0)
    now = ctx.clock()
    # A session reported paused may be the candidate's own exit: read it first (outside the
    # transaction: one vendor read) so that the exit is recorded with the push, atomically.
    exits: dict[str, Exit] = {}
    for event in result.events:
        if event.ref is not None and event.state is SessionState.PAUSED:
            found = await look_up_exit(ctx, event.ref, event.event_id)
            if found is not None:
                exits[event.event_id] = found

    def store(tx: OrmSession) -> list[Operation]:
        watched: list[Operation] = []
        for event in result.events:
            ctx.trail.append_sync(tx, _entry(account, adapter.vendor, event, ip))
            watched.extend(_watch(tx, ctx, account, event, now))
            if event.event_id in exits:
                record_exit(tx, ctx, exits[event.event_id], now, ip=ip)
        return watched

    for stop in await ctx.db.run(store):
        tell_requester(ctx.plugins, stop, "stop.resumed_at_vendor")
    return Received(result.reply, len(result.events))
