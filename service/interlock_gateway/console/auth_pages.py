"""Signing in with an API key (exchanged for a server-side session), signing out, and the
language and time-zone choice (remembered in cookies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..audit import AuditEntry
from ..operations import audit_entries as audit
from ..policy import Action, authorize
from .gate import Public
from .i18n import LANGUAGES, zone_or_default
from .messages import N_
from .web import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    ZONE_COOKIE,
    ConsoleUser,
    caller_of,
    check_csrf,
    context_of,
    gettext,
    keys_of,
    optional_user,
    page_of,
    redirect,
    render,
    safe_next,
    set_cookie,
    signins_of,
)

__all__ = ["router"]

router = APIRouter()
_WRONG_KEY = N_("This key is unknown, revoked or mistyped. Keys start with ilk_.")
_NO_KEY = N_("Enter your API key.")
_YEAR = 365 * 24 * 3600


def start_page(user: ConsoleUser) -> str:
    """Where a role starts: sessions for those who act, the audit trail for auditors."""
    if authorize(user.caller, Action.SESSIONS_LIST):
        return "/console/sessions"
    return "/console/audit"


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, _public: Annotated[None, Public()]) -> Response:
    user = await optional_user(request)
    return redirect(start_page(user) if user else "/console/signin")


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, _public: Annotated[None, Public()]) -> Response:
    page = page_of(request, await optional_user(request))
    next_page = safe_next(request.query_params.get("next"))
    expired = bool(request.query_params.get("next")) and page.user is None
    return render(page, "signin.html", next_page=next_page, error=None, expired=expired)


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request, _public: Annotated[None, Public()]) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form, None)
    page = page_of(request, None)
    next_page = safe_next(form.get("next"))
    key = form.get("key", "").strip()
    _ = gettext(page)
    if not key:
        return render(page, "signin.html", 422, next_page=next_page, error=_(_NO_KEY))
    found = await keys_of(request).authenticate(key[:200])
    if found is None:
        return render(page, "signin.html", 401, next_page=next_page, error=_(_WRONG_KEY))
    token, signin_ = await signins_of(request).start(found)
    user = ConsoleUser(caller_of(signin_, request), signin_)
    ctx = context_of(request)
    entry = AuditEntry(
        actor=audit.actor_of(user.caller), action="console.signin", outcome="applied"
    )
    await audit.record(ctx.db, ctx.trail, entry)
    landing = next_page if next_page != "/console/" else start_page(user)
    response = redirect(landing)
    set_cookie(response, request, SESSION_COOKIE, token, max_age=None)
    return response


@router.post("/signout")
async def signout(request: Request, _public: Annotated[None, Public()]) -> Response:
    user = await optional_user(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form, user)
    token = request.cookies.get(SESSION_COOKIE)
    if token and user is not None:
        await signins_of(request).end(token)
        ctx = context_of(request)
        entry = AuditEntry(
            actor=audit.actor_of(user.caller), action="console.signout", outcome="applied"
        )
        await audit.record(ctx.db, ctx.trail, entry)
    response = redirect("/console/signin")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.post("/preferences")
async def preferences(request: Request, _public: Annotated[None, Public()]) -> Response:
    user = await optional_user(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form, user)
    response = redirect(safe_next(form.get("return_to")))
    language = form.get("language", "")
    if language in LANGUAGES:
        set_cookie(response, request, LANGUAGE_COOKIE, language, max_age=_YEAR)
    if form.get("zone"):
        set_cookie(response, request, ZONE_COOKIE, zone_or_default(form["zone"]), max_age=_YEAR)
    return response
