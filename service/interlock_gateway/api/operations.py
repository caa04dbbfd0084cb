"""``/v1/operations/{id}`` and its undo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from ..policy import Action, Caller
from ..services import undo as undo_service
from ..services.idempotency import idempotent
from ..services.operations import get_visible, recover
from ..services.views import operation_view
from .deps import Authorize, IdempotencyKey, RuntimeDep
from .responses import take_mutation_slot, to_response
from .schemas import OperationOut, UndoRequest

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["operations"])

OperationId = Annotated[str, Path(min_length=1, max_length=64, description="operation id")]


@router.get(
    "/operations/{op_id}",
    summary="Get an operation",
    responses={404: {"description": "no such operation (or you may not see it)"}},
)
async def get_operation(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_READ)],
    runtime: RuntimeDep,
    op_id: OperationId,
) -> OperationOut:
    """Where an operation stands: status, outcome, states, commit_at, error."""
    op, approval = await get_visible(runtime, caller, op_id, Action.OPERATIONS_READ)
    return operation_view(op, approval)


@router.post(
    "/operations/{op_id}/undo",
    summary="Undo a terminate or revoke inside its undo window",
    responses={
        200: {"model": OperationOut, "description": "the undo operation, done"},
        202: {"model": OperationOut, "description": "the undo operation, queued"},
        404: {"description": "no such operation (or you may not see it)"},
        409: {"description": "not undoable: window closed, already undone, not final verb"},
    },
)
async def undo(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_UNDO)],
    request: Request,
    runtime: RuntimeDep,
    op_id: OperationId,
    body: UndoRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Cancels the pending commit and gives back the earlier state (resumes the candidate
    if the hold paused them). Refused once ``commit_at`` has passed."""
    take_mutation_slot(runtime, caller)
    reply = await idempotent(
        runtime,
        request,
        caller,
        idempotency_key,
        lambda: undo_service.undo(runtime, caller, op_id, body.note, idempotency_key),
        body=body.model_dump(mode="json"),
        recover=(lambda: recover(runtime, caller, idempotency_key)) if idempotency_key else None,
    )
    return to_response(reply, request)
