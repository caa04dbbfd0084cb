"""What every console route shares: the running gateway's parts, the signed-in user, CSRF,
cookies, and rendering a page in the user's language and time zone."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from .. import principals
from ..keycache import KeyCache
from ..operations.context import Context
from ..operations.dispatch import Dispatcher
from ..operations.streams import BatchStreams
from ..policy import Action, Caller, authorize
from ..problems import Problem
from ..signins import SignIn, SignIns
from ..store.tables import Role
from .i18n import COMMON_ZONES, LANGUAGE_NAMES, Formats, negotiate, translations, zone_or_default
from .messages import N_, REASONS, STATES, STATUSES, VERBS

__all__ = [
    "PREFIX",
    "ConsoleUser",
    "Page",
    "SignInRequired",
    "check_csrf",
    "redirect",
    "render",
]

PREFIX = "/console"
SESSION_COOKIE = "ilc_session"
LANGUAGE_COOKIE = "ilc_lang"
ZONE_COOKIE = "ilc_tz"
PRESESSION_CSRF_COOKIE = "ilc_csrf"
_YEAR = 365 * 24 * 3600


class Limiter(Protocol):
    """The per-principal mutation limiter the API uses too (``app.state.limiter``)."""

    def acquire(self, principal_id: int) -> float | None: ...


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def dispatcher_of(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


def keys_of(request: Request) -> KeyCache:
    keys: KeyCache = request.app.state.keys
    return keys


def streams_of(request: Request) -> BatchStreams:
    """The process's event streams and their limits (the API's, ``app.state.streams``)."""
    streams: BatchStreams = request.app.state.streams
    return streams


def signins_of(request: Request) -> SignIns:
    signins: SignIns = request.app.state.signins
    return signins


def limiter_of(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in user: the policy's :class:`Caller` and the sign-in behind it."""

    caller: Caller
    signin: SignIn

    @property
    def role(self) -> Role:
        return self.caller.role


class SignInRequired(Exception):
    """No live sign-in: the user is sent to sign in and then back to ``return_to``."""

    def __init__(self, return_to: str) -> None:
        super().__init__(return_to)
        self.return_to = return_to


def caller_of(signin: SignIn, request: Request) -> Caller:
    """The policy's view of a sign-in (the same fields the API builds from a key)."""
    return principals.caller_of(
        signin.principal, signin.key_id, request.client.host if request.client else None
    )


async def optional_user(request: Request) -> ConsoleUser | None:
    """The signed-in user, or ``None``."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    signin = await signins_of(request).find(token)
    return None if signin is None else ConsoleUser(caller_of(signin, request), signin)


def here(request: Request) -> str:
    """This page's path and query (where to come back to after signing in)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def require_user(request: Request) -> ConsoleUser:
    """The signed-in user; otherwise sign in first and come back to this page."""
    user = await optional_user(request)
    if user is None:
        return_to = here(request) if request.method == "GET" else _form_page(request)
        raise SignInRequired(return_to)
    return user


def _form_page(request: Request) -> str:
    referer = request.headers.get("referer", "")
    base = str(request.base_url).rstrip("/")
    path = referer[len(base) :] if referer.startswith(base) else ""
    return safe_next(path)


def safe_next(value: str | None) -> str:
    """A same-site console path to go to, or the console's start page (never off-site)."""
    unsafe = ("\\", "\n", "\r")
    if value and value.startswith(PREFIX + "/") and not any(c in value for c in unsafe):
        return value
    return PREFIX + "/"


def with_param(url: str, name: str, value: str) -> str:
    """``url`` with the query parameter ``name`` set to ``value`` (replacing earlier ones;
    the flash parameters ``done``, ``undone`` and ``error`` of an earlier action go too)."""
    parts = urlsplit(url)
    flash = {"done", "undone", "error", name}
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in flash]
    query.append((name, value))
    return f"{parts.path}?{urlencode(query)}"


def signin_url(return_to: str) -> str:
    return f"{PREFIX}/signin?{urlencode({'next': return_to})}"


def presession_csrf(request: Request) -> str:
    """The CSRF token of forms shown before signing in (double-submit cookie)."""
    return request.cookies.get(PRESESSION_CSRF_COOKIE) or secrets.token_urlsafe(32)


def csrf_problem() -> Problem:
    return Problem(
        403,
        "CONSOLE.CSRF",
        "Form expired",
        "the form's security token is missing or does not match this sign-in",
        hint="reload the page and submit the form again",
    )


def check_csrf(request: Request, form: dict[str, str], user: ConsoleUser | None) -> None:
    """Refuse a form whose token is not this sign-in's (or, signed out, this browser's)."""
    sent = form.get("csrf_token", "")
    expected = user.signin.csrf_token if user else request.cookies.get(PRESESSION_CSRF_COOKIE)
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise csrf_problem()


def is_tls(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=is_tls(request),
        httponly=name != ZONE_COOKIE,  # the browser's zone is written by the script
        samesite="strict",
    )


def redirect(url: str) -> RedirectResponse:
    """See-other after a form post (the browser then GETs the result page)."""
    return RedirectResponse(url, status_code=303)


@dataclass
class Page:
    """What every template receives besides its own values."""

    request: Request
    user: ConsoleUser | None
    language: str
    fmt: Formats
    csrf_token: str
    flash: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def here(self) -> str:
        return here(self.request)

    def quote(self, value: str) -> str:
        return quote(value, safe="")

    @property
    def nav(self) -> list[tuple[str, str]]:
        """``(path, msgid)`` of the pages the user's role may open, in menu order."""
        if self.user is None:
            return []
        return [
            (path, label)
            for path, label, action in _NAV
            if authorize(self.user.caller, action).allowed
        ]


_NAV = (
    (PREFIX + "/sessions", N_("Sessions"), Action.SESSIONS_LIST),
    (PREFIX + "/operations", N_("My operations"), Action.OPERATIONS_READ),
    (PREFIX + "/approvals", N_("Approvals"), Action.APPROVALS_LIST),
    (PREFIX + "/audit", N_("Audit"), Action.AUDIT_READ),
    (PREFIX + "/stats", N_("Statistics"), Action.STATS_READ),
)


def formats_of(request: Request) -> tuple[str, Formats]:
    language = negotiate(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    zone = zone_or_default(request.cookies.get(ZONE_COOKIE))
    return language, Formats(language, zone)


def page_of(request: Request, user: ConsoleUser | None) -> Page:
    language, fmt = formats_of(request)
    csrf = user.signin.csrf_token if user else presession_csrf(request)
    return Page(request=request, user=user, language=language, fmt=fmt, csrf_token=csrf)


_ENVIRONMENTS: dict[str, Environment] = {}


def environment(language: str) -> Environment:
    """The template environment of ``language`` (autoescaping everything, gettext installed)."""
    env = _ENVIRONMENTS.get(language)
    if env is None:
        env = Environment(
            loader=PackageLoader(__package__ or "interlock_gateway.console", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # shipped in the package: no stat of every template per page
        )
        catalog = translations(language)
        env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(LANGUAGE_NAMES=LANGUAGE_NAMES, COMMON_ZONES=COMMON_ZONES, PREFIX=PREFIX)
        # Labels of codes, translated once per language (a table row asks for several; a
        # macro building its dictionary of translations per call was a third of the page).
        env.globals.update(
            {
                f"{kind}_label": _labeller(catalog.gettext, table)
                for kind, table in (
                    ("state", STATES),
                    ("verb", VERBS),
                    ("status", STATUSES),
                    ("reason", REASONS),
                )
            }
        )
        _ENVIRONMENTS[language] = env
    return env


def _labeller(gettext_: Callable[[str], str], table: Mapping[str, str]) -> Callable[[str], str]:
    """``code → label`` in one language; an unknown code is shown as it is."""
    translated = {code: gettext_(msgid) for code, msgid in table.items()}
    return lambda code: translated.get(code, code)


def render(page: Page, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """``template`` rendered for ``page``'s user, with the pre-session CSRF cookie if new."""
    html = environment(page.language).get_template(template).render(page=page, **values)
    response = HTMLResponse(html, status_code=status)
    if page.user is None and not page.request.cookies.get(PRESESSION_CSRF_COOKIE):
        set_cookie(response, page.request, PRESESSION_CSRF_COOKIE, page.csrf_token, max_age=None)
    return response


def gettext(page: Page) -> Any:
    """The user's ``gettext`` (for messages composed in Python)."""
    return translations(page.language).gettext
