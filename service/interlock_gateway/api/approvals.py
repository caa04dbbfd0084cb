"""``/v1/approvals``: the maker-checker queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ..operations import approvals
from ..policy import Action, Caller
from ..problems import page_size_too_large
from ..store.tables import ApprovalState
from .deps import Authorize, ContextDep, DispatcherDep, IdempotencyKey, LimiterDep, strict_query
from .idempotency import idempotent
from .problem_examples import CODE_KEY
from .replies import Reply, take_mutation_slot, to_response
from .schemas import ApprovalOut, ApprovalPage, DecisionRequest, dump
from .views import approval_view

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["approvals"])

ApprovalId = Annotated[str, Path(min_length=1, max_length=64, description="approval id")]
_DECISION_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": ApprovalOut, "description": "decided; the operation shows what followed"},
    403: {
        "description": "you requested it yourself, or you are not an approver for it",
        CODE_KEY: "APPROVAL.SELF_APPROVAL",
    },
    404: {
        "description": "no such approval (or you may not see it)",
        CODE_KEY: "APPROVAL.NOT_FOUND",
    },
    409: {
        "description": "already decided, expired, or cancelled with its batch",
        CODE_KEY: "APPROVAL.EXPIRED",
    },
}


@router.get(
    "/approvals",
    summary="List approvals",
    dependencies=[Depends(strict_query("state", "page_size", "page_token"))],
)
async def list_approvals(
    caller: Annotated[Caller, Authorize(Action.APPROVALS_LIST)],
    ctx: ContextDep,
    state: Annotated[
        ApprovalState | None, Query(description="only approvals in this state")
    ] = None,
    page_size: Annotated[
        int,
        Query(ge=1, description="approvals per page, 1 to max_page_size (200 unless configured)"),
    ] = 50,
    page_token: Annotated[
        str | None,
        Query(min_length=1, max_length=512, description="next_page_token of the previous page"),
    ] = None,
) -> ApprovalPage:
    """Approvals of your departments' sessions (all for admins), newest first."""
    if page_size > ctx.settings.max_page_size:
        raise page_size_too_large(ctx.settings.max_page_size)
    rows, token = await approvals.list_visible(
        ctx, caller, state=state, page_size=page_size, page_token=page_token
    )
    return ApprovalPage(
        approvals=[approval_view(d.approval, d.op) for d in rows], next_page_token=token
    )


async def _decide(
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    caller: Caller,
    approval_id: str,
    body: DecisionRequest | None,
    key: str | None,
    *,
    approve: bool,
) -> JSONResponse:
    body = body or DecisionRequest()  # the note is optional, so is the body
    take_mutation_slot(limiter, caller)

    async def produce() -> Reply:
        decided = await approvals.decide(
            ctx, dispatcher, caller, approval_id, approve=approve, note=body.note
        )
        return Reply(200, dump(approval_view(decided.approval, decided.op)))

    reply = await idempotent(ctx, request, caller, key, produce, body=body.model_dump(mode="json"))
    return to_response(reply, request)


@router.post("/approvals/{approval_id}/approve", summary="Approve", responses=_DECISION_RESPONSES)
async def approve(
    caller: Annotated[Caller, Authorize(Action.APPROVALS_DECIDE)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    approval_id: ApprovalId,
    body: DecisionRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The operation proceeds (for terminate/revoke: its undo window opens now)."""
    return await _decide(
        request, ctx, dispatcher, limiter, caller, approval_id, body, idempotency_key, approve=True
    )


@router.post("/approvals/{approval_id}/reject", summary="Reject", responses=_DECISION_RESPONSES)
async def reject(
    caller: Annotated[Caller, Authorize(Action.APPROVALS_DECIDE)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    approval_id: ApprovalId,
    body: DecisionRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The operation is rejected; nothing is sent to the vendor."""
    return await _decide(
        request, ctx, dispatcher, limiter, caller, approval_id, body, idempotency_key, approve=False
    )
