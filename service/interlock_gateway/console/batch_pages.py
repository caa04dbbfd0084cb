"""Batches: ticked rows or every session matching the filter → preview (per account, live
candidates, approvals, out of scope, estimated time) → confirm with a reason → progress per
account, live over server-sent events → summary with each failure and the vendor's message
→ batch undo. The same ``preview``, ``create``, ``progress`` and ``undo_batch`` as the API.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.datastructures import FormData

from interlock import errors
from interlock.models import Reason, ReasonCode, Verb

from ..operations import batches
from ..operations.batch_reads import get_visible_batch, progress, read_batch
from ..operations.previews import BatchAsk, preview
from ..operations.resolve import Selection
from ..operations.tokens import request_digest
from ..operations.undo import undo_batch
from ..policy import Action
from ..problems import Problem
from ..store.tables import OperationStatus
from .filters import SessionFilters
from .gate import Allow
from .messages import CONSEQUENCES, VERBS, Refusal, refusal_of
from .reasons import CLIENT_REASONS, ReasonForm
from .sessions_pages import account_vendors
from .web import (
    ConsoleUser,
    Page,
    check_csrf,
    context_of,
    dispatcher_of,
    gettext,
    page_of,
    redirect,
    render,
    safe_next,
    streams_of,
    with_param,
)

__all__ = ["router"]

router = APIRouter()
_FAILED = (OperationStatus.FAILED.value, OperationStatus.REJECTED.value)
_MAX_NAMES = 1000


class _Selection:
    """What the batch form selected: ticked names, or every session matching the filter."""

    def __init__(self, form: FormData, page: Page, accounts: Mapping[str, str]) -> None:
        self.names = tuple(sorted({str(n) for n in form.getlist("session")}))[:_MAX_NAMES]
        self.all_matching = form.get("all_matching") == "1"
        params = {k: str(v) for k, v in form.items() if k.startswith("f_")}
        self.filters = SessionFilters.parse(
            {k[2:]: v for k, v in params.items()}, page.fmt, accounts, gettext(page)
        )

    def selection(self) -> Selection:
        if self.all_matching:
            return Selection(filter=self.filters.query())
        return Selection(names=self.names)

    def digest(self, verb: Verb) -> str:
        body: dict[str, Any] = {"console": "batch", "action": verb.value}
        if self.all_matching:
            body["filter"] = self.filters.query().as_dict()
        else:
            body["sessions"] = list(self.names)
        return request_digest(body)

    def ask(self, verb: Verb, reason: Reason, token: str | None = None) -> BatchAsk:
        return BatchAsk(verb, self.selection(), reason, self.digest(verb), token)

    @property
    def empty(self) -> bool:
        return not self.all_matching and not self.names


def _verb(form: FormData) -> Verb:
    try:
        verb = Verb(str(form.get("action", "")))
    except ValueError:
        raise Problem(422, "CONSOLE.FIELD", "Invalid action", "choose an action") from None
    return verb


async def _preview_page(
    request: Request,
    page: Page,
    form: FormData,
    reason: ReasonForm,
    refusal: Refusal | None = None,
    status: int = 200,
) -> Response:
    assert page.user is not None
    _ = gettext(page)
    verb = _verb(form)
    chosen = _Selection(form, page, account_vendors(request))
    if chosen.empty or chosen.filters.errors:
        empty = Problem(422, "BATCH.EMPTY", "Nothing selected", "tick sessions first")
        return render(page, "error.html", status=422, refusal=refusal_of(empty, _))
    placeholder = Reason(code=ReasonCode.OPERATOR_ERROR)  # chosen on this page
    try:
        found = await preview(context_of(request), page.user.caller, chosen.ask(verb, placeholder))
    except (Problem, errors.InterlockError) as error:
        return render(page, "error.html", status=422, refusal=refusal_of(error, _))
    return render(
        page,
        "batch_preview.html",
        status=status,
        verb=verb.value,
        verb_label=_(VERBS[verb.value]),
        consequence=_(CONSEQUENCES[verb.value]),
        preview=found,
        chosen=chosen,
        reasons=CLIENT_REASONS,
        reason=reason,
        form_key=str(form.get("form_key") or secrets.token_urlsafe(16)),
        return_to=safe_next(str(form.get("return_to") or "")),
        refusal=refusal,
    )


@router.post("/batches/preview", response_class=HTMLResponse)
async def batch_preview(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.PREVIEWS_CREATE)]
) -> Response:
    form = await request.form()
    check_csrf(request, {"csrf_token": str(form.get("csrf_token", ""))}, user)
    page = page_of(request, user)
    return await _preview_page(request, page, form, ReasonForm(code="", note=""))


@router.post("/batches", response_class=HTMLResponse)
async def batch_create(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.BATCHES_CREATE)]
) -> Response:
    form = await request.form()
    check_csrf(request, {"csrf_token": str(form.get("csrf_token", ""))}, user)
    page = page_of(request, user)
    _ = gettext(page)
    reason = ReasonForm.parse({k: str(v) for k, v in form.items()}, _)
    if reason.errors:
        return await _preview_page(request, page, form, reason, status=422)
    chosen = _Selection(form, page, account_vendors(request))
    token = str(form.get("confirm_token") or "") or None
    key = "console-" + str(form.get("form_key") or secrets.token_urlsafe(16))[:64]
    ctx = context_of(request)
    try:
        batch = await batches.find_by_key(ctx, user.caller, key) or await batches.create(
            ctx,
            dispatcher_of(request),
            user.caller,
            chosen.ask(_verb(form), reason.reason(), token),
            key,
        )
    except (Problem, errors.InterlockError) as error:
        return await _preview_page(request, page, form, reason, refusal_of(error, _), 409)
    return redirect(f"/console/batches/{batch.id}")


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
async def batch_page(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.BATCHES_READ)], batch_id: str
) -> Response:
    page = page_of(request, user)
    ctx, _ = context_of(request), gettext(page)
    try:
        batch = await get_visible_batch(ctx, user.caller, batch_id[:64], Action.BATCHES_READ)
    except Problem as error:
        return render(page, "error.html", status=404, refusal=refusal_of(error, _))
    summary = await read_batch(ctx, batch, page_size=200, statuses=_FAILED)
    now = await progress(ctx, batch.id)
    return render(
        page,
        "batch.html",
        batch=batch,
        summary=summary,
        progress=now,
        verb_label=_(VERBS.get(batch.action, batch.action)),
        undo_error=request.query_params.get("error"),
        undone=request.query_params.get("undone"),
    )


@router.get("/batches/{batch_id}/events")
async def batch_events(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.BATCHES_READ)], batch_id: str
) -> Response:
    ctx = context_of(request)
    try:
        await get_visible_batch(ctx, user.caller, batch_id[:64], Action.BATCHES_READ)
    except Problem:
        return Response(status_code=404)
    # The API's streams: one poller per batch, counted against the same per-principal and
    # per-process limits (a 429 page beyond), heartbeat and idle timeout.
    return StreamingResponse(
        streams_of(request).open(user.caller.principal_id, batch_id[:64]),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/batches/{batch_id}/undo")
async def batch_undo(
    request: Request, user: Annotated[ConsoleUser, Allow(Action.OPERATIONS_UNDO)], batch_id: str
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form, user)
    back = f"/console/batches/{batch_id[:64]}"
    try:
        done = await undo_batch(
            context_of(request),
            dispatcher_of(request),
            user.caller,
            batch_id[:64],
            form.get("note", "").strip()[:500] or None,
        )
    except (Problem, errors.InterlockError) as error:
        return redirect(with_param(back, "error", error.code))
    return redirect(with_param(back, "undone", str(done.undone)))
