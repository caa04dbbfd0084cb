"""``/v1/approvals``: the maker-checker queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ..batches import approvals as batch_approvals
from ..policy import Action, Caller
from ..services import approvals
from ..services.idempotency import Reply, idempotent
from ..services.operations import wait_settled
from ..services.views import approval_view
from ..store.tables import ApprovalState
from .deps import Authorize, IdempotencyKey, RuntimeDep, strict_query
from .problems import Problem
from .responses import take_mutation_slot, to_response
from .schemas import ApprovalOut, ApprovalPage, DecisionRequest, dump

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["approvals"])

ApprovalId = Annotated[str, Path(min_length=1, max_length=64, description="approval id")]
_DECISION_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": ApprovalOut, "description": "decided; the operation shows what followed"},
    403: {"description": "you requested it yourself, or you are not an approver for it"},
    404: {"description": "no such approval (or you may not see it)"},
    409: {"description": "already decided, or expired"},
}


@router.get(
    "/approvals",
    summary="List approvals",
    dependencies=[Depends(strict_query("state", "page_size", "page_token"))],
)
async def list_approvals(
    caller: Annotated[Caller, Authorize(Action.APPROVALS_LIST)],
    runtime: RuntimeDep,
    state: ApprovalState | None = None,
    page_size: Annotated[int, Query(ge=1)] = 50,
    page_token: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> ApprovalPage:
    """Approvals of your departments' sessions (all for admins), newest first."""
    if page_size > runtime.settings.max_page_size:
        raise Problem(
            422,
            "REQUEST.PAGE_SIZE",
            "Page size too large",
            f"page_size may be at most {runtime.settings.max_page_size}",
            hint="use a smaller page_size and follow next_page_token",
        )
    rows, token = await approvals.list_visible(
        runtime.db,
        caller,
        state=state,
        page_size=page_size,
        page_token=page_token,
        plugins=runtime.plugins,
    )
    return ApprovalPage(approvals=[approval_view(a, op) for a, op in rows], next_page_token=token)


async def _decide(
    runtime: RuntimeDep,
    request: Request,
    caller: Caller,
    approval_id: str,
    body: DecisionRequest,
    key: str | None,
    *,
    approve: bool,
) -> JSONResponse:
    take_mutation_slot(runtime, caller)

    async def produce() -> Reply:
        if await batch_approvals.is_batch_approval(runtime, approval_id):
            decided = await batch_approvals.decide(
                runtime, caller, approval_id, approve=approve, note=body.note
            )
            return Reply(200, dump(approval_view(decided, None)))
        approval, op = await approvals.decide(
            runtime.db,
            runtime.trail,
            caller,
            approval_id,
            approve=approve,
            note=body.note,
            now=runtime.clock(),
            plugins=runtime.plugins,
        )
        op = await wait_settled(runtime, op)
        return Reply(200, dump(approval_view(approval, op)))

    reply = await idempotent(
        runtime, request, caller, key, produce, body=body.model_dump(mode="json")
    )
    return to_response(reply, request)


@router.post("/approvals/{approval_id}/approve", summary="Approve", responses=_DECISION_RESPONSES)
async def approve(
    caller: Annotated[Caller, Authorize(Action.APPROVALS_DECIDE)],
    request: Request,
    runtime: RuntimeDep,
    approval_id: ApprovalId,
    body: DecisionRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The operation proceeds (for terminate/revoke: its undo window opens now)."""
    return await _decide(runtime, request, caller, approval_id, body, idempotency_key, approve=True)


@router.post("/approvals/{approval_id}/reject", summary="Reject", responses=_DECISION_RESPONSES)
async def reject(
    caller: Annotated[Caller, Authorize(Action.APPROVALS_DECIDE)],
    request: Request,
    runtime: RuntimeDep,
    approval_id: ApprovalId,
    body: DecisionRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The operation is rejected; nothing is sent to the vendor."""
    return await _decide(
        runtime, request, caller, approval_id, body, idempotency_key, approve=False
    )
