"""Manual tasks: a verb that a person carries out in the vendor's console (level ``manual``).

Requesting such a verb reads the session (the same ownership check as any verb), then stores
a task — what to do, in which vendor console, for which session, assigned to the requester,
due ``task_due`` later — with its audit record and a ``task.created`` notification, in one
transaction. The HR user marks it ``done`` or ``failed``; on ``done`` the session is read
again and the state found is recorded (``confirmed`` when it is the verb's target state).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from interlock.errors import InterlockError
from interlock.models import Reason, SessionRef, Verb
from interlock.transitions import TARGET_STATE

from ..audit import AuditEntry, AuditTarget
from ..policy import Action, Caller, Target, authorize
from ..problems import Problem
from ..store.tables import ManualTask, Role, TaskStatus
from . import audit_entries as audit
from . import outbox
from .accept import ACTION_OF
from .context import Context
from .sessions import read_visible

__all__ = ["TaskView", "close", "create", "get", "instructions_for", "list_tasks"]


@dataclass(frozen=True, slots=True)
class TaskView:
    """A task as the API shows it."""

    id: str
    account: str
    vendor: str | None
    session_id: str
    verb: str
    instructions: str
    requester: str
    assignee: str
    status: str
    due_at: datetime
    created_at: datetime
    state_before: str | None
    state_confirmed: str | None
    confirmed: bool | None
    note: str | None
    closed_at: datetime | None
    closed_by: str | None

    @classmethod
    def of(cls, task: ManualTask) -> TaskView:
        target = TARGET_STATE.get(Verb(task.verb))
        confirmed = None if task.state_confirmed is None else task.state_confirmed == str(target)
        return cls(
            id=task.id,
            account=task.account,
            vendor=task.vendor,
            session_id=task.session_id,
            verb=task.verb,
            instructions=task.instructions,
            requester=task.requester,
            assignee=task.assignee,
            status=task.status,
            due_at=task.due_at,
            created_at=task.created_at,
            state_before=task.state_before,
            state_confirmed=task.state_confirmed,
            confirmed=confirmed,
            note=task.note,
            closed_at=task.closed_at,
            closed_by=task.closed_by,
        )


def instructions_for(vendor: str, verb: Verb, session_id: str) -> str:
    """What to do, in words an HR user can follow in that vendor's console."""
    target = TARGET_STATE[verb]
    return (
        f"In the {vendor} console, find interview session {session_id} and {verb} it "
        f"(it should then be {target}). Then mark this task done here — or failed, with a "
        f"note, if the console would not do it."
    )


def _task_target(task: ManualTask) -> Target:
    return Target(
        ref=SessionRef(account=task.account, session_id=task.session_id),
        position_id=task.position_id,
    )


def _may_see(ctx: Context, caller: Caller, task: ManualTask, action: Action) -> bool:
    if caller.name in (task.assignee, task.requester) or caller.role is Role.ADMIN:
        return True
    return bool(authorize(caller, action, _task_target(task), plugins=ctx.plugins))


def _not_found(task_id: str) -> Problem:
    return Problem(
        404,
        "TASK.NOT_FOUND",
        "Task not found",
        f"no task {task_id!r} that you may see",
        hint="GET /v1/tasks lists yours",
    )


async def create(
    ctx: Context, caller: Caller, verb: Verb, ref: SessionRef, reason: Reason
) -> TaskView:
    """Store a manual task for ``verb`` on ``ref`` (after the same ownership read as a verb)."""
    session, target = await read_visible(ctx, caller, ACTION_OF[verb], ref, attempt=True)
    now = ctx.clock()
    vendor = ctx.vendor_of(ref.account)
    task = ManualTask(
        id=str(uuid.uuid4()),
        account=ref.account,
        vendor=vendor,
        session_id=ref.session_id,
        position_id=target.position_id,
        verb=str(verb),
        reason_code=str(reason.code),
        instructions=instructions_for(vendor, verb, ref.session_id),
        requester=caller.name,
        assignee=caller.name,
        status=TaskStatus.OPEN.value,
        state_before=str(session.state),
        due_at=now + ctx.settings.task_due,
        created_at=now,
        updated_at=now,
    )
    entry = AuditEntry(
        actor=audit.actor_of(caller),
        action="task.created",
        target=audit.target_of(target, session.candidate.id),
        reason=audit.reason_of(reason),
        state_before=str(session.state),
        outcome="open",
        details={"task_id": task.id, "verb": str(verb), "due_at": task.due_at.isoformat()},
    )
    payload = {
        "task_id": task.id,
        "account": ref.account,
        "session_id": ref.session_id,
        "vendor": vendor,
        "verb": str(verb),
        "due_at": task.due_at.isoformat(),
        "instructions": task.instructions,
        "candidate_id": session.candidate.id,
    }
    rows = outbox.plan(
        ctx.notifications, outbox.Event.TASK_CREATED, payload, now=now, requester=task.assignee
    )

    def store(tx: OrmSession) -> TaskView:
        tx.add(task)
        tx.flush()
        ctx.trail.append_sync(tx, entry)
        outbox.write(tx, rows)
        return TaskView.of(task)

    return await ctx.db.run(store)


async def list_tasks(
    ctx: Context, caller: Caller, status: TaskStatus | None = None, limit: int = 200
) -> list[TaskView]:
    """The tasks ``caller`` may see, soonest due first."""
    statement = select(ManualTask).order_by(ManualTask.due_at, ManualTask.id).limit(limit)
    if status is not None:
        statement = statement.where(ManualTask.status == status.value)
    async with ctx.db.session() as session:
        found = list(await session.scalars(statement))
    return [TaskView.of(t) for t in found if _may_see(ctx, caller, t, Action.TASKS_READ)]


async def get(ctx: Context, caller: Caller, task_id: str) -> TaskView:
    """One task (404 when it does not exist or ``caller`` may not see it)."""
    async with ctx.db.session() as session:
        task = await session.get(ManualTask, task_id)
    if task is None or not _may_see(ctx, caller, task, Action.TASKS_READ):
        raise _not_found(task_id)
    return TaskView.of(task)


async def close(
    ctx: Context, caller: Caller, task_id: str, *, done: bool, note: str | None = None
) -> TaskView:
    """Mark a task done (the session is read to confirm its state) or failed; audited.

    :raises Problem: 404 unknown or not visible; 409 already closed.
    """
    async with ctx.db.session() as session:
        found = await session.get(ManualTask, task_id)
    if found is None or not _may_see(ctx, caller, found, Action.TASKS_UPDATE):
        raise _not_found(task_id)
    confirmed_state: str | None = None
    if done:
        try:
            read = await ctx.interlock.get_session(
                SessionRef(account=found.account, session_id=found.session_id)
            )
            confirmed_state = str(read.state)
        except InterlockError:  # the vendor does not let us read it: recorded as unconfirmed
            confirmed_state = None
    now = ctx.clock()
    status = TaskStatus.DONE if done else TaskStatus.FAILED

    def store(tx: OrmSession) -> TaskView:
        task = tx.get(ManualTask, task_id, with_for_update=not ctx.db.is_sqlite)
        assert task is not None
        if task.status != TaskStatus.OPEN.value:
            raise Problem(
                409,
                "TASK.CLOSED",
                "Task already closed",
                f"task {task_id!r} is {task.status}",
                hint="a closed task stays as it was; create a new one by asking for the verb",
            )
        task.status = status.value
        task.state_confirmed = confirmed_state
        task.note = note
        task.closed_at = now
        task.closed_by = caller.name
        task.updated_at = now
        view = TaskView.of(task)
        tx.flush()
        ctx.trail.append_sync(
            tx,
            AuditEntry(
                actor=audit.actor_of(caller),
                action=f"task.{status.value}",
                target=AuditTarget(account=task.account, session_id=task.session_id),
                state_before=task.state_before,
                state_after=confirmed_state,
                outcome=status.value,
                details={"task_id": task.id, "verb": task.verb, "confirmed": view.confirmed},
            ),
        )
        return view

    return await ctx.db.run(store)
