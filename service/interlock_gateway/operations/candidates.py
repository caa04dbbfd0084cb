"""The candidate's side of a pause: what a resume link shows and what it can do.

A link is looked up only after its MAC verified (:class:`~.links.LinkKeys`); a forged,
altered or unknown token is ``invalid`` and learns nothing else. A valid one is ``active``
until its pause's resume deadline, ``used`` once it resumed the interview, ``revoked`` when
withdrawn, and ``ended`` when the session was terminated or revoked after the pause.

"Continue" takes the link with a compare-and-set (``active`` → ``used``), so of two clicks
exactly one resumes; the resume goes through the lifecycle like any other (``accept``) with a
caller scoped to this one session's position, named ``candidate`` in the operation and the
audit trail. If the resume does not succeed, the link is given back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession

from interlock.errors import InterlockError
from interlock.models import Reason, ReasonCode, SessionRef, Verb

from ..audit import AuditActor, AuditEntry, AuditTarget
from ..policy import Caller
from ..problems import Problem
from ..store.tables import Operation, OperationStatus, ResumeLink, Role
from . import audit_entries as audit
from . import outbox
from .accept import accept
from .context import Context
from .dispatch import Dispatcher

__all__ = [
    "CANDIDATE_ACTOR",
    "Continued",
    "LinkStatus",
    "LinkView",
    "ask_for_another_time",
    "continue_interview",
    "link_of_operation",
    "look",
    "revoke",
]

CANDIDATE_ACTOR = AuditActor(principal="candidate", role="candidate")
_ENDED = (OperationStatus.SUCCEEDED.value, OperationStatus.COMMITTED.value)


class LinkStatus(StrEnum):
    ACTIVE = "active"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ENDED = "ended"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class LinkView:
    """What the candidate page may show: never more than the masked name."""

    status: LinkStatus
    language: str = "zh-CN"
    candidate_masked: str | None = None
    expires_at: datetime | None = None
    link_id: str | None = None
    account: str | None = None
    session_id: str | None = None
    position_id: str | None = None
    owner: str | None = None
    candidate_id: str | None = None


INVALID = LinkView(LinkStatus.INVALID)


async def _row(ctx: Context, token: str) -> ResumeLink | None:
    if ctx.links is None:
        return None
    link_id = ctx.links.link_id(token)
    if link_id is None:
        return None
    async with ctx.db.session() as session:
        return await session.get(ResumeLink, link_id)


async def _ended_since(ctx: Context, link: ResumeLink) -> bool:
    async with ctx.db.session() as session:
        found = await session.scalar(
            select(Operation.id)
            .where(
                Operation.account == link.account,
                Operation.session_id == link.session_id,
                Operation.verb.in_((Verb.TERMINATE.value, Verb.REVOKE.value)),
                Operation.status.in_(_ENDED),
                Operation.updated_at >= link.created_at,
            )
            .limit(1)
        )
    return found is not None


async def _position_of(ctx: Context, link: ResumeLink) -> str | None:
    if link.operation_id is None:
        return None
    async with ctx.db.session() as session:
        return await session.scalar(
            select(Operation.position_id).where(Operation.id == link.operation_id)
        )


async def look(ctx: Context, token: str) -> LinkView:
    """Where the link stands (``invalid`` for anything forged, altered or unknown)."""
    link = await _row(ctx, token)
    if link is None:
        return INVALID
    if link.state == "used":
        status = LinkStatus.USED
    elif link.state == "revoked":
        status = LinkStatus.REVOKED
    elif link.expires_at <= ctx.clock():  # before "ended": the expiry terminates it
        status = LinkStatus.EXPIRED
    elif await _ended_since(ctx, link):
        status = LinkStatus.ENDED
    else:
        status = LinkStatus.ACTIVE
    return LinkView(
        status=status,
        language=link.language,
        candidate_masked=link.candidate_masked,
        expires_at=link.expires_at,
        link_id=link.id,
        account=link.account,
        session_id=link.session_id,
        position_id=await _position_of(ctx, link),
        owner=link.owner,
        candidate_id=link.candidate_id,
    )


@dataclass(frozen=True, slots=True)
class Continued:
    """The outcome of "continue": the link's status now, and where the interview goes on."""

    view: LinkView
    resumed: bool
    interview_url: str | None = None


def _candidate_caller(view: LinkView, ip: str | None) -> Caller:
    # Scoped to exactly this session's position: the candidate can resume only their own.
    positions = frozenset({f"{view.account}/{view.position_id}"} if view.position_id else ())
    return Caller(
        principal_id=0, name="candidate", role=Role.SPECIALIST, positions=positions, ip=ip
    )


async def _take(ctx: Context, link_id: str, now: datetime) -> bool:
    def take(tx: OrmSession) -> bool:
        result = tx.execute(
            update(ResumeLink)
            .where(
                ResumeLink.id == link_id,
                ResumeLink.state == "active",
                ResumeLink.expires_at > now,
            )
            .values(state="used", used_at=now)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    return await ctx.db.run(take)


async def _give_back(ctx: Context, link_id: str) -> None:
    def give(tx: OrmSession) -> None:
        tx.execute(
            update(ResumeLink)
            .where(ResumeLink.id == link_id, ResumeLink.state == "used")
            .values(state="active", used_at=None)
            .execution_options(synchronize_session=False)
        )

    await ctx.db.run(give)


async def continue_interview(
    ctx: Context, dispatcher: Dispatcher, token: str, *, ip: str | None = None
) -> Continued:
    """Resume the paused interview as ``candidate`` (once), and say where it goes on."""
    view = await look(ctx, token)
    if view.status is not LinkStatus.ACTIVE or view.link_id is None:
        return Continued(view, resumed=False)
    if not await _take(ctx, view.link_id, ctx.clock()):
        return Continued(await look(ctx, token), resumed=False)
    link_id, account, session_id = view.link_id, view.account, view.session_id
    assert account is not None
    assert session_id is not None
    ref = SessionRef(account=account, session_id=session_id)
    if view.position_id is None:  # a link of the candidate's own exit: no pause of ours
        try:
            session = await ctx.interlock.get_session(ref)
        except InterlockError:
            await _give_back(ctx, link_id)
            return Continued(await look(ctx, token), resumed=False)
        view = replace(view, position_id=session.position.id)
    reason = Reason(code=ReasonCode.OTHER, note="the candidate continued through the resume link")
    try:
        accepted = await accept(
            ctx,
            dispatcher,
            _candidate_caller(view, ip),
            Verb.RESUME,
            ref,
            reason,
            idempotency_key=f"resume-link:{link_id}",
            audit_actor=CANDIDATE_ACTOR.model_copy(update={"ip": ip}),
        )
    except Problem:
        await _give_back(ctx, link_id)
        return Continued(await look(ctx, token), resumed=False)
    op = accepted.op
    if op.status in (OperationStatus.FAILED.value, OperationStatus.REJECTED.value):
        await _give_back(ctx, link_id)
        return Continued(await look(ctx, token), resumed=False)
    url = ctx.interlock.adapter(account).interview_url(session_id)
    return Continued(await look(ctx, token), resumed=True, interview_url=url)


async def ask_for_another_time(ctx: Context, token: str, *, ip: str | None = None) -> LinkView:
    """Tell the session's owner that the candidate needs another time (audited)."""
    view = await look(ctx, token)
    if view.status is not LinkStatus.ACTIVE:
        return view
    now = ctx.clock()
    payload = {
        "account": view.account,
        "session_id": view.session_id,
        "candidate_id": view.candidate_id,
        "candidate_masked": view.candidate_masked,
        "resume_deadline": view.expires_at.isoformat() if view.expires_at else None,
    }
    rows = outbox.plan(
        ctx.notifications, outbox.Event.CANDIDATE_NEEDS_TIME, payload, now=now, requester=view.owner
    )
    entry = AuditEntry(
        actor=CANDIDATE_ACTOR.model_copy(update={"ip": ip}),
        action="candidate.needs_time",
        target=AuditTarget(
            account=view.account, session_id=view.session_id, candidate=view.candidate_id
        ),
        outcome="noted",
        details={"link": view.link_id},
    )

    def store(tx: OrmSession) -> None:
        outbox.write(tx, rows)
        ctx.trail.append_sync(tx, entry)

    await ctx.db.run(store)
    return view


async def revoke(ctx: Context, operation_id: str, *, by: Caller) -> bool:
    """Withdraw the active resume link a pause issued (audited); ``False`` when it has none."""
    now = ctx.clock()

    def withdraw(tx: OrmSession) -> bool:
        link = tx.scalar(
            select(ResumeLink).where(
                ResumeLink.operation_id == operation_id, ResumeLink.state == "active"
            )
        )
        if link is None:
            return False
        link_id = link.id
        link.state = "revoked"
        link.revoked_at = now
        ctx.trail.append_sync(
            tx,
            AuditEntry(
                actor=audit.actor_of(by),
                action="resume_link.revoke",
                target=AuditTarget(account=link.account, session_id=link.session_id),
                outcome="revoked",
                details={"link": link_id},
            ),
        )
        return True

    return await ctx.db.run(withdraw)


async def link_of_operation(ctx: Context, operation_id: str) -> str | None:
    """The URL of the resume link a pause issued, while it is still active (for HR to pass
    on); ``None`` otherwise."""
    if ctx.links is None:
        return None
    async with ctx.db.session() as session:
        link = await session.scalar(
            select(ResumeLink).where(
                ResumeLink.operation_id == operation_id, ResumeLink.state == "active"
            )
        )
    if link is None or link.expires_at <= ctx.clock():
        return None
    return ctx.links.url(ctx.notifications.link_base_url, link.id)
