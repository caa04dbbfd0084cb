"""The routes of the candidate page (``/c/{token}``)."""

from __future__ import annotations

import io
from datetime import datetime
from importlib.resources import files
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..operations import candidates
from ..operations.candidates import LinkStatus, LinkView
from ..operations.context import Context
from ..operations.dispatch import Dispatcher
from .limiter import PageLimiter
from .texts import TEXTS, pick_language

__all__ = ["PREFIX", "router"]

PREFIX = "/c"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
Token = Annotated[str, Path(min_length=1, max_length=128)]
_STATUS_CODE = {LinkStatus.INVALID: 404}
_env = Environment(
    loader=FileSystemLoader(str(files(__package__).joinpath("templates"))),
    autoescape=select_autoescape(("html",)),
    auto_reload=False,
)


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def _dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _allowed(request: Request) -> bool:
    limiter: PageLimiter = request.app.state.candidate_limiter
    return limiter.allow(_client(request))


def _deadline(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _page(
    request: Request,
    token: str,
    view: LinkView,
    lang: str,
    *,
    status: str | None = None,
    interview_url: str | None = None,
    code: int | None = None,
) -> HTMLResponse:
    texts = TEXTS[lang]
    shown = status or str(view.status)
    if shown == "active":
        message = texts["active"].format(deadline=_deadline(view.expires_at))
    elif shown == "resumed":
        message = texts["resumed"] if interview_url else texts["resumed_no_url"]
    else:
        message = texts[shown]
    invalid = view.status is LinkStatus.INVALID
    other = "en" if lang == "zh-CN" else "zh-CN"
    context: dict[str, Any] = {
        "lang": lang,
        "other": other,
        "t": texts,
        # an invalid token's page carries nothing of the request: not even its own address
        "base": "" if invalid else f"{PREFIX}/{token}",
        "switch_url": None if invalid else f"{PREFIX}/{token}?lang={other}",
        "name": None if invalid else view.candidate_masked,
        "status": shown,
        "message": message,
        "interview_url": interview_url,
    }
    html = _env.get_template("page.html").render(context)
    return HTMLResponse(html, status_code=code or _STATUS_CODE.get(view.status, 200))


def _busy(lang: str) -> HTMLResponse:
    context = {"lang": lang, "other": lang, "t": TEXTS[lang], "base": "", "switch_url": None}
    context |= {"name": None, "status": "busy", "message": TEXTS[lang]["busy"]}
    html = _env.get_template("page.html").render(context)
    return HTMLResponse(html, status_code=429, headers={"Retry-After": "5"})


def _language(request: Request, asked: str | None, view: LinkView) -> str:
    link_language = view.language if view.status is not LinkStatus.INVALID else None
    return pick_language(asked, link_language, request.headers.get("accept-language"))


@router.get("/{token}")
async def show(
    request: Request, token: Token, lang: Annotated[str | None, Query()] = None
) -> Response:
    """The link's status and, while it is active, its two choices."""
    if not _allowed(request):
        return _busy(pick_language(lang, None, request.headers.get("accept-language")))
    view = await candidates.look(_ctx(request), token)
    return _page(request, token, view, _language(request, lang, view))


@router.post("/{token}/continue")
async def resume(
    request: Request, token: Token, lang: Annotated[str | None, Form()] = None
) -> Response:
    """Resume as ``candidate`` (audited), then hand over to the vendor's interview page."""
    if not _allowed(request):
        return _busy(pick_language(lang, None, request.headers.get("accept-language")))
    ctx = _ctx(request)
    done = await candidates.continue_interview(
        ctx, _dispatcher(request), token, ip=_client(request)
    )
    language = _language(request, lang, done.view)
    if done.resumed and done.interview_url:
        return RedirectResponse(done.interview_url, status_code=303)
    if done.resumed:
        return _page(request, token, done.view, language, status="resumed")
    return _page(request, token, done.view, language)


@router.post("/{token}/later")
async def later(
    request: Request, token: Token, lang: Annotated[str | None, Form()] = None
) -> Response:
    """Tell the owning HR user that the candidate needs another time."""
    if not _allowed(request):
        return _busy(pick_language(lang, None, request.headers.get("accept-language")))
    view = await candidates.ask_for_another_time(_ctx(request), token, ip=_client(request))
    language = _language(request, lang, view)
    if view.status is LinkStatus.ACTIVE:
        return _page(request, token, view, language, status="later_done")
    return _page(request, token, view, language)


@router.get("/{token}/qr.{kind}")
async def qr(request: Request, token: Token, kind: str) -> Response:
    """The link as a QR code (``svg`` or ``png``), for an active link only."""
    if kind not in ("svg", "png") or not _allowed(request):
        return Response(status_code=404)
    ctx = _ctx(request)
    view = await candidates.look(ctx, token)
    if view.status is not LinkStatus.ACTIVE or view.link_id is None or ctx.links is None:
        return Response(status_code=404)
    url = ctx.links.url(ctx.notifications.link_base_url, view.link_id)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind=kind, scale=6, border=2)
    media = "image/svg+xml" if kind == "svg" else "image/png"
    return Response(buffer.getvalue(), media_type=media, headers={"Cache-Control": "no-store"})
