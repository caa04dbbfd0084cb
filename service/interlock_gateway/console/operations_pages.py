""" "My operations" (what the user asked for recently, undo while the window is open) and
undo itself — the same ``undo`` as ``POST /v1/operations/{id}/undo``."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from interlock import errors

from ..operations.mine import my_operations
from ..operations.undo import undo
from ..policy import Action
from ..problems import Problem
from .gate import Allow
from .rows import seconds_left
from .sessions_pages import flash_refusal
from .web import (
    ConsoleUser,
    check_csrf,
    context_of,
    dispatcher_of,
    gettext,
    page_of,
    redirect,
    render,
    safe_next,
    with_param,
)

__all__ = ["router"]

router = APIRouter()


@router.get("/operations", response_class=HTMLResponse)
async def mine_page(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.OPERATIONS_READ)]
) -> Response:
    page = page_of(request, user)
    ctx = context_of(request)
    return render(
        page,
        "operations.html",
        mine=await my_operations(ctx, user.caller),
        now=ctx.clock(),
        seconds_left=seconds_left,
        form_key=secrets.token_urlsafe(16),
        flash_refusal=flash_refusal(request, gettext(page)),
    )


@router.post("/operations/{op_id}/undo")
async def undo_operation(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.OPERATIONS_UNDO)], op_id: str
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form, user)
    return_to = safe_next(form.get("return_to"))
    note = form.get("note", "").strip()[:500] or None
    try:
        await undo(context_of(request), dispatcher_of(request), user.caller, op_id[:64], note)
    except (Problem, errors.InterlockError) as error:
        code = error.code
        return redirect(with_param(with_param(return_to, "failed", op_id), "error", code))
    return redirect(with_param(return_to, "undone", op_id))
