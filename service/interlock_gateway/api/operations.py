"""``/v1/operations`` (the caller's own), ``/v1/operations/{id}`` and its undo."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from ..operations import accept as accepting
from ..operations import candidates, outbox
from ..operations import undo as undoing
from ..operations.mine import my_operations
from ..policy import Action, Caller
from ..problems import Problem
from .deps import (
    Authorize,
    ContextDep,
    DispatcherDep,
    IdempotencyKey,
    LimiterDep,
    strict_query,
)
from .idempotency import idempotent
from .problem_examples import CODE_KEY
from .replies import Reply, operation_reply, take_mutation_slot, to_response
from .schemas import MyOperationsOut, NotificationOut, OperationOut, UndoRequest
from .views import operation_view

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["operations"])

_NOT_FOUND = {
    "description": "no such operation (or you may not see it)",
    CODE_KEY: "OPERATION.NOT_FOUND",
}
OperationId = Annotated[str, Path(min_length=1, max_length=64, description="operation id")]


@router.get(
    "/operations",
    summary="List my recent operations",
    dependencies=[Depends(strict_query("limit", "within_hours"))],
)
async def list_my_operations(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_READ)],
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200, description="at most this many, newest first")] = 50,
    within_hours: Annotated[
        int, Query(ge=1, le=720, description="requested in the last N hours (at most 30 days)")
    ] = 24,
) -> MyOperationsOut:
    """The operations this key's principal requested — single stops, batch items and undos —
    newest first; a stop still inside its undo window shows ``pending`` with its undo link."""
    mine = await my_operations(ctx, caller, limit=limit, since=timedelta(hours=within_hours))
    return MyOperationsOut(operations=[operation_view(m.op) for m in mine])


@router.get(
    "/operations/{op_id}",
    summary="Get an operation",
    responses={404: _NOT_FOUND},
)
async def get_operation(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_READ)],
    ctx: ContextDep,
    op_id: OperationId,
) -> OperationOut:
    """Where an operation stands: status, outcome, states, commit_at, notices, error, and the
    notifications about it with their delivery (recipients masked)."""
    found = await accepting.get_visible(ctx, caller, op_id, Action.OPERATIONS_READ)
    view = operation_view(found.op, found.approval)
    sent = await outbox.for_operation(ctx.db, op_id)
    listed = [NotificationOut.model_validate(n, from_attributes=True) for n in sent]
    link = await candidates.link_of_operation(ctx, op_id) if found.op.verb == "pause" else None
    return view.model_copy(update={"notifications": listed, "resume_link": link})


@router.post(
    "/operations/{op_id}/undo",
    summary="Undo a terminate or revoke inside its undo window",
    responses={
        200: {"model": OperationOut, "description": "the undo operation, done"},
        202: {"model": OperationOut, "description": "the undo operation, queued"},
        404: _NOT_FOUND,
        409: {
            "description": "not undoable: already undone (OPERATION.ALREADY_UNDONE), window "
            "closed, not a final verb, or the hold not placed yet (retry)",
            CODE_KEY: "OPERATION.UNDO_WINDOW_CLOSED",
        },
    },
)
async def undo(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_UNDO)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    op_id: OperationId,
    body: UndoRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Cancels the pending commit and gives back the earlier state (resumes the candidate
    if the hold paused them). Refused once ``commit_at`` has passed. Of concurrent undos of
    one operation exactly one undoes; the others are told it is already undone."""
    body = body or UndoRequest()  # the note is optional, so is the body
    take_mutation_slot(limiter, caller)

    async def produce() -> Reply:
        undone = await undoing.undo(ctx, dispatcher, caller, op_id, body.note, idempotency_key)
        return operation_reply(undone)

    async def recover() -> Reply | None:
        key = idempotency_key
        found = await accepting.find_by_key(ctx, caller, key) if key else None
        return operation_reply(found) if found else None

    reply = await idempotent(
        ctx,
        request,
        caller,
        idempotency_key,
        produce,
        body=body.model_dump(mode="json"),
        recover=recover,
    )
    return to_response(reply, request)


@router.post(
    "/operations/{op_id}/resume-link/revoke",
    summary="Withdraw a pause's resume link",
    status_code=204,
    responses={
        404: {
            "description": "no such operation, or it has no active resume link",
            CODE_KEY: "RESUME_LINK.NOT_FOUND",
        }
    },
)
async def revoke_resume_link(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_UNDO)],
    ctx: ContextDep,
    op_id: OperationId,
) -> Response:
    """The candidate's link stops working at once (its page then says it was withdrawn);
    audited as ``resume_link.revoke``."""
    await accepting.get_visible(ctx, caller, op_id, Action.OPERATIONS_UNDO)
    if not await candidates.revoke(ctx, op_id, by=caller):
        raise Problem(
            404,
            "RESUME_LINK.NOT_FOUND",
            "No active resume link",
            f"operation {op_id!r} has no active resume link",
            hint="only an applied pause issues one; it may be used, expired or revoked already",
        )
    return Response(status_code=204)
