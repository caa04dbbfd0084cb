"""``/v1/tasks``: manual tasks (a verb a person carries out in the vendor's console)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ..operations import tasks
from ..policy import Action, Caller
from ..store.tables import TaskStatus
from .deps import Authorize, ContextDep, strict_query
from .fields import FreeText
from .problem_examples import CODE_KEY

__all__ = ["TaskOut", "TaskPage", "router"]

router = APIRouter(prefix="/v1", tags=["tasks"])
TaskId = Annotated[str, Path(min_length=1, max_length=64, description="task id")]


class TaskOut(BaseModel):
    """A manual task: what to do in which vendor console, for which session, by when."""

    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)

    id: str
    account: str
    vendor: str | None = None
    session_id: str
    verb: str
    instructions: str
    requester: str
    assignee: str
    status: str = Field(description="open, done or failed")
    due_at: datetime
    created_at: datetime
    state_before: str | None = None
    state_confirmed: str | None = Field(
        default=None, description="the session's state read when the task was marked done"
    )
    confirmed: bool | None = Field(
        default=None, description="the state read is the verb's target state"
    )
    note: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


class TaskPage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tasks: list[TaskOut]


class CloseRequest(BaseModel):
    """Body of done and failed: an optional note (what happened in the console)."""

    note: FreeText | None = Field(
        default=None, description="what happened in the vendor's console (≤ 500 characters)"
    )

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"note": "terminated in the DingTalk console at 14:05"}]},
    )


_CLOSE_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"description": "no such task (or you may not see it)", CODE_KEY: "TASK.NOT_FOUND"},
    409: {"description": "the task is already done or failed", CODE_KEY: "TASK.CLOSED"},
}


@router.get("/tasks", summary="List manual tasks", dependencies=[Depends(strict_query("status"))])
async def list_tasks(
    caller: Annotated[Caller, Authorize(Action.TASKS_READ)],
    ctx: ContextDep,
    status: Annotated[TaskStatus | None, Query(description="only tasks in this status")] = None,
) -> TaskPage:
    """Tasks you may see (yours, your positions'; all for admins), soonest due first."""
    found = await tasks.list_tasks(ctx, caller, status)
    return TaskPage(tasks=[TaskOut.model_validate(t) for t in found])


@router.get(
    "/tasks/{task_id}",
    summary="Get a manual task",
    responses={404: _CLOSE_RESPONSES[404]},
)
async def get_task(
    caller: Annotated[Caller, Authorize(Action.TASKS_READ)], ctx: ContextDep, task_id: TaskId
) -> TaskOut:
    return TaskOut.model_validate(await tasks.get(ctx, caller, task_id))


@router.post("/tasks/{task_id}/done", summary="Mark a task done", responses=_CLOSE_RESPONSES)
async def done(
    caller: Annotated[Caller, Authorize(Action.TASKS_UPDATE)],
    ctx: ContextDep,
    task_id: TaskId,
    body: CloseRequest | None = None,
) -> TaskOut:
    """The session is read again: ``state_confirmed`` and ``confirmed`` say what was found."""
    note = body.note if body else None
    return TaskOut.model_validate(await tasks.close(ctx, caller, task_id, done=True, note=note))


@router.post("/tasks/{task_id}/failed", summary="Mark a task failed", responses=_CLOSE_RESPONSES)
async def failed(
    caller: Annotated[Caller, Authorize(Action.TASKS_UPDATE)],
    ctx: ContextDep,
    task_id: TaskId,
    body: CloseRequest | None = None,
) -> TaskOut:
    note = body.note if body else None
    return TaskOut.model_validate(await tasks.close(ctx, caller, task_id, done=False, note=note))
