"""The HR console at ``/console``: server-rendered pages (Jinja2, zh-CN and en) on the same
lifecycle functions and the same :func:`~interlock_gateway.policy.authorize` as the API.

It is an HTTP layer like ``api/``: it reads and writes only through ``operations/`` and
``reports/`` (import-linter keeps it off the database), keeps its sign-ins server-side
(``signins.py``), and ships every asset in the package — no CDN, no build step.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

from ..gates import public_mount
from ..problems import Problem
from . import (
    act_pages,
    approval_pages,
    audit_pages,
    auth_pages,
    batch_pages,
    operations_pages,
    sessions_pages,
    stats_pages,
)
from .messages import refusal_of
from .security import SecurityHeadersMiddleware
from .web import (
    PREFIX,
    SignInRequired,
    gettext,
    optional_user,
    page_of,
    redirect,
    render,
    signin_url,
)

__all__ = ["PREFIX", "install_console"]


def install_console(app: FastAPI) -> None:
    """Mount the console's pages and static files, and its security headers."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    for module in (
        auth_pages,
        sessions_pages,
        act_pages,
        operations_pages,
        batch_pages,
        approval_pages,
        audit_pages,
        stats_pages,
    ):
        router.include_router(module.router)
    app.include_router(router)
    static = str(files(__package__).joinpath("static"))
    files_ = Mount(f"{PREFIX}/static", StaticFiles(directory=static), name="console-static")
    app.router.routes.append(public_mount(files_))  # the same bytes for anyone
    app.add_middleware(SecurityHeadersMiddleware, prefix=PREFIX)

    async def on_signin_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return redirect(signin_url(exc.return_to))

    app.add_exception_handler(SignInRequired, on_signin_required)
    _install_console_problems(app)


def _install_console_problems(app: FastAPI) -> None:
    """A refusal raised on a console page (a bad CSRF token, an unknown id) is a page in the
    user's language; elsewhere it stays the API's problem+json."""
    api_handler = app.exception_handlers.get(Problem)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        if not request.url.path.startswith(PREFIX + "/") or api_handler is None:
            assert api_handler is not None
            answer = api_handler(request, exc)
            return answer if isinstance(answer, Response) else await answer
        page = page_of(request, await optional_user(request))
        return render(page, "error.html", exc.status, refusal=refusal_of(exc, gettext(page)))

    app.add_exception_handler(Problem, on_problem)
