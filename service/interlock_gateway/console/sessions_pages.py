"""The sessions page: filters, one page of sessions with their pending stops and menus, and
the message of what was just done (with its undo countdown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from interlock import errors

from ..operations.accept import get_visible
from ..operations.pending import pending_stops
from ..operations.sessions import list_visible
from ..policy import Action
from ..problems import Problem
from .filters import SessionFilters
from .gate import Allow
from .messages import Refusal, refusal_of
from .rows import RowMaker, seconds_left
from .web import PREFIX, ConsoleUser, Page, context_of, gettext, page_of, render

__all__ = ["router"]

router = APIRouter()
PAGE_SIZE = 50


def account_vendors(request: Request) -> dict[str, str]:
    ctx = context_of(request)
    return {name: ctx.vendor_of(name) for name in sorted(ctx.interlock.accounts)}


@router.get("/sessions", response_class=HTMLResponse)
async def sessions_page(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.SESSIONS_LIST)]
) -> HTMLResponse:
    page = page_of(request, user)
    ctx, _ = context_of(request), gettext(page)
    accounts = account_vendors(request)
    filters = SessionFilters.parse(request.query_params, page.fmt, accounts, _)
    rows, next_token, refusal = [], None, None
    if not filters.errors:
        try:
            listed = await list_visible(
                ctx,
                user.caller,
                filters.query(),
                page_size=PAGE_SIZE,
                page_token=request.query_params.get("page_token") or None,
            )
        except (Problem, errors.InterlockError) as error:
            refusal = refusal_of(error, _)
        else:
            stops = await pending_stops(ctx.db, (s.ref for s in listed.sessions))
            make = RowMaker(ctx, user.caller, _, page.fmt, PREFIX, page.quote(page.here))
            rows = [
                make.row(s, stops.get((s.ref.account, s.ref.session_id))) for s in listed.sessions
            ]
            next_token = listed.next_page_token
    return render(
        page,
        "sessions.html",
        filters=filters,
        accounts=accounts,
        rows=rows,
        next_token=next_token,
        refusal=refusal,
        done=await _just_done(request, page),
        flash_refusal=flash_refusal(request, _),
        now=ctx.clock(),
        seconds_left=seconds_left,
    )


def flash_refusal(request: Request, gettext_: Callable[[str], str]) -> Refusal | None:
    """The refusal named by ``?error=CODE`` after a redirect (an undo that was refused)."""
    code = request.query_params.get("error")
    if not code:
        return None
    return refusal_of(Problem(409, code[:64], "Refused", ""), gettext_)


async def _just_done(request: Request, page: Page) -> object | None:
    """The operation named by ``?done=`` (what the user just did), if they may see it."""
    op_id = request.query_params.get("done")
    if not op_id or page.user is None or len(op_id) > 64:
        return None
    try:
        return (
            await get_visible(context_of(request), page.user.caller, op_id, Action.OPERATIONS_READ)
        ).op
    except Problem:
        return None
