"""The approvals inbox for managers and admins: what is asked, by whom, why, the impact;
approve or reject with a note — the same ``decide`` (maker-checker) as the API."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from interlock import errors
from interlock.models import SessionRef

from ..operations import approvals
from ..operations.batch_reads import get_visible_batch
from ..operations.sessions import visible_target
from ..policy import Action, Target, authorize
from ..problems import Problem
from ..store.tables import ApprovalState, Operation
from .gate import Allow
from .messages import CONSEQUENCES, N_, VERBS, refusal_of
from .web import (
    ConsoleUser,
    check_csrf,
    context_of,
    dispatcher_of,
    gettext,
    page_of,
    redirect,
    render,
    with_param,
)

__all__ = ["router"]

router = APIRouter()
_SELF = N_("You asked for this yourself: another approver must decide.")


@router.get("/approvals", response_class=HTMLResponse)
async def inbox(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.APPROVALS_LIST)]
) -> Response:
    page = page_of(request, user)
    ctx, _ = context_of(request), gettext(page)
    rows, _token = await approvals.list_visible(
        ctx, user.caller, state=ApprovalState.PENDING, page_size=50, page_token=None
    )
    items = []
    for decided in rows:
        approval, op = decided.approval, decided.op
        verb = op.verb if op is not None else await _batch_verb(request, user, approval.batch_id)
        own = approval.requester == user.caller.name
        target = _target(op, approval.requester)
        may = authorize(user.caller, Action.APPROVALS_DECIDE, target, plugins=ctx.plugins)
        items.append(
            {
                "approval": approval,
                "op": op,
                "verb_label": _(VERBS.get(verb, verb)),
                "consequence": _(CONSEQUENCES[verb]) if verb in CONSEQUENCES else "",
                "session": SessionRef(account=op.account, session_id=op.session_id).name
                if op is not None
                else None,
                "why_not": _(_SELF) if own else (None if may or op is None else may.reason),
            }
        )
    return render(
        page,
        "approvals.html",
        items=items,
        form_key=secrets.token_urlsafe(16),
        decided=request.query_params.get("decided"),
        error=request.query_params.get("error"),
        failed=request.query_params.get("failed"),
        error_message=_error_message(request, _),
    )


def _error_message(request: Request, gettext_: object) -> str | None:
    code = request.query_params.get("error")
    if not code:
        return None
    problem = Problem(409, code[:64], "Refused", "")
    return refusal_of(problem, gettext_).message  # type: ignore[arg-type]


def _target(op: Operation | None, requester: str) -> Target:
    """The policy's target of an approval's operation (its stored position)."""
    if op is None:
        return Target(requester=requester)
    return visible_target(op, requester)


async def _batch_verb(request: Request, user: ConsoleUser, batch_id: str | None) -> str:
    if batch_id is None:
        return ""
    try:
        batch = await get_visible_batch(
            context_of(request), user.caller, batch_id, Action.APPROVALS_LIST
        )
    except Problem:
        return ""
    return batch.action


@router.post("/approvals/{approval_id}/{decision}")
async def decide(
    request: Request,
    user: Annotated[ConsoleUser, Allow(Action.APPROVALS_DECIDE)],
    approval_id: str,
    decision: str,
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form, user)
    if decision not in ("approve", "reject"):
        return redirect(with_param("/console/approvals", "error", "CONSOLE.FIELD"))
    try:
        await approvals.decide(
            context_of(request),
            dispatcher_of(request),
            user.caller,
            approval_id[:64],
            approve=decision == "approve",
            note=form.get("note", "").strip()[:500] or None,
        )
    except (Problem, errors.InterlockError) as error:
        back = with_param("/console/approvals", "failed", approval_id[:64])
        return redirect(with_param(back, "error", error.code))
    return redirect(with_param("/console/approvals", "decided", decision))
