"""Candidate-initiated exits: the vendor reports that the candidate left or paused.

A verified push (or a poll) saying a session is ``paused`` when no pause of ours is under way
on it is the candidate's own doing. The gateway then records it (audit ``session.paused``,
actor ``candidate``), issues a resume link valid for ``resume_window``, and writes the
notifications — ``candidate.paused`` to the owning HR users (the principals linked to the
position's vendor owners on that account) and ``session.paused`` to the candidate — in the
transaction that audits the push.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session as OrmSession

from interlock.errors import InterlockError, SessionNotFound
from interlock.models import Session, SessionFilter, SessionRef, SessionState

from ..audit import AuditEntry, AuditTarget
from ..principals import list_principals
from ..store.tables import Operation, OperationStatus, ResumeLink
from . import outbox
from .candidates import CANDIDATE_ACTOR
from .context import Context
from .links import new_link_id
from .rows import EXPIRY_ACTOR

__all__ = ["Exit", "look_up_exit", "poll_exits", "record_exit"]

_OURS = (
    OperationStatus.PENDING.value,
    OperationStatus.IN_FLIGHT.value,
    OperationStatus.SUCCEEDED.value,
)


@dataclass(frozen=True, slots=True)
class Exit:
    """What the gateway knows about a session the candidate paused (read before the
    transaction: one vendor read, the owners' principal names)."""

    ref: SessionRef
    event_id: str
    candidate_id: str | None = None
    candidate_masked: str | None = None
    owners: tuple[str, ...] = ()


async def look_up_exit(
    ctx: Context, ref: SessionRef, event_id: str, session: Session | None = None
) -> Exit | None:
    """Read the session (candidate mask, position owners) and map owners to principals."""
    if session is None:
        try:
            session = await ctx.interlock.get_session(ref)
        except SessionNotFound:  # a push about a session the vendor does not know: the
            return None  # push itself is audited and acknowledged, nothing more
        except InterlockError:  # recorded all the same; HR contacts come from routes
            return Exit(ref, event_id)
    owner_ids = set(session.position.owner_ids)
    async with ctx.db.session() as db_session:
        principals = await list_principals(db_session)
    owners = tuple(
        p.name
        for p in principals
        if p.revoked_at is None and owner_ids & set(p.vendor_users.get(ref.account, ()))
    )
    return Exit(ref, event_id, session.candidate.id, session.candidate.masked_name, owners)


def _ours(tx: OrmSession, ref: SessionRef) -> bool:
    """Whether the latest operation on the session is a pause of ours under way or done."""
    latest = tx.execute(
        select(Operation.verb, Operation.status)
        .where(
            Operation.account == ref.account,
            Operation.session_id == ref.session_id,
            Operation.actor != EXPIRY_ACTOR,  # a pause schedules its own expiry: not a verb
        )
        .order_by(Operation.created_at.desc())
        .limit(1)
    ).first()
    return latest is not None and latest.verb == "pause" and latest.status in _OURS


def _recorded_since_last_operation(tx: OrmSession, ref: SessionRef) -> bool:
    """A poll saw this pause before: a link of an exit newer than the session's last operation."""
    latest = tx.scalar(
        select(Operation.created_at)
        .where(Operation.account == ref.account, Operation.session_id == ref.session_id)
        .order_by(Operation.created_at.desc())
        .limit(1)
    )
    links = select(ResumeLink.id).where(
        ResumeLink.account == ref.account,
        ResumeLink.session_id == ref.session_id,
        ResumeLink.operation_id.is_(None),
    )
    if latest is not None:
        links = links.where(ResumeLink.created_at >= latest)
    return tx.scalar(links.limit(1)) is not None


def record_exit(
    tx: OrmSession,
    ctx: Context,
    found: Exit,
    now: datetime,
    *,
    ip: str | None = None,
    polled: bool = False,
) -> bool:
    """In the push's (or the poll's) transaction: audit, link, notifications. ``False`` when
    the pause was ours, or a poll had seen it already (nothing written)."""
    if _ours(tx, found.ref):
        return False
    if polled and _recorded_since_last_operation(tx, found.ref):
        return False
    ref = found.ref
    deadline = now + ctx.settings.resume_window
    link_id = new_link_id() if ctx.links is not None else None
    language = next(
        (r.language for r in ctx.notifications.routes_for(outbox.Event.SESSION_PAUSED)), "zh-CN"
    )
    if link_id is not None:
        tx.execute(
            insert(ResumeLink),
            {
                "id": link_id,
                "operation_id": None,
                "account": ref.account,
                "session_id": ref.session_id,
                "candidate_masked": found.candidate_masked,
                "candidate_id": found.candidate_id,
                "owner": found.owners[0] if found.owners else None,
                "language": language,
                "state": "active",
                "created_at": now,
                "expires_at": deadline,
                "used_at": None,
                "revoked_at": None,
            },
        )
    ctx.trail.append_sync(
        tx,
        AuditEntry(
            actor=CANDIDATE_ACTOR.model_copy(update={"ip": ip}),
            action="session.paused",
            target=AuditTarget(
                account=ref.account, session_id=ref.session_id, candidate=found.candidate_id
            ),
            state_after=SessionState.PAUSED.value,
            outcome="recorded",
            details={"event_id": found.event_id, "resume_link": link_id, "by": "candidate"},
        ),
    )
    payload: dict[str, Any] = {
        "account": ref.account,
        "session_id": ref.session_id,
        "candidate_id": found.candidate_id,
        "candidate_masked": found.candidate_masked,
        "resume_deadline": deadline.isoformat(),
        "reason_code": "candidate_left",
    }
    if link_id is not None:
        payload["resume_link_id"] = link_id
    rows: list[dict[str, Any]] = []
    owners: Sequence[str | None] = found.owners or (None,)
    for owner in owners:
        event = outbox.Event.CANDIDATE_PAUSED
        rows += outbox.plan(ctx.notifications, event, payload, now=now, requester=owner)
    first = found.owners[0] if found.owners else None
    event = outbox.Event.SESSION_PAUSED
    rows += outbox.plan(ctx.notifications, event, payload, now=now, requester=first)
    outbox.write(tx, rows)
    return True


async def poll_exits(ctx: Context, now: datetime, *, limit: int = 200) -> int:
    """For accounts whose vendor pushes nothing: list paused sessions and record the ones
    that are the candidate's own exits (``[gateway] exit_poll_interval``). Returns how many
    were recorded."""
    recorded = 0
    for account, adapter in sorted(ctx.interlock.accounts.items()):
        if adapter.capabilities.push_events:
            continue  # its pushes tell us (callbacks.py)
        try:
            page = await ctx.interlock.list_sessions(
                SessionFilter(states=frozenset({SessionState.PAUSED})),
                accounts=[account],
                page_size=limit,
            )
        except InterlockError:
            continue  # the next poll tries again
        for session in page.sessions:
            found = await look_up_exit(ctx, session.ref, f"poll:{now.isoformat()}", session)
            if found is None:
                continue

            def store(tx: OrmSession, found: Exit = found) -> bool:
                return record_exit(tx, ctx, found, now, polled=True)

            recorded += bool(await ctx.db.run(store))
    return recorded
