"""``POST /v1/previews``: the impact of a batch request, and the token that confirms it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from ..operations.previews import preview
from ..policy import Action, Caller
from .batch_schemas import PreviewOut, PreviewRequest
from .deps import Authorize, ContextDep
from .views import preview_view

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["batches"])


@router.post(
    "/previews",
    summary="Preview a batch: its impact, and a confirm_token valid for 5 minutes",
    responses={
        403: {"description": "your role may not create batches"},
        422: {"description": "malformed names, both or neither of sessions/filter, > 1,000"},
    },
)
async def create_preview(
    caller: Annotated[Caller, Authorize(Action.PREVIEWS_CREATE)],
    ctx: ContextDep,
    body: PreviewRequest,
) -> PreviewOut:
    """Nothing is changed. Sessions are read from their vendors; the answer shows counts by
    state, vendor and account, candidates answering now, sessions needing approval, sessions
    held by a pending stop, names you may not touch, accounts that cannot do the verb, and the
    estimated vendor calls and duration from each account's rate limit. Pass
    ``confirm_token`` to ``POST /v1/batches`` with exactly the same request."""
    return preview_view(await preview(ctx, caller, body.to_ask(ctx.settings.search_zone)))
