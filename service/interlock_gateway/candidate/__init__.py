"""The candidate's page at ``/c/{token}``: a resume link's status, "continue the interview"
and "I need another time", and the link's QR code (SVG and PNG).

An HTTP layer like the console (import-linter keeps it off the database; it acts through
``operations.candidates``), mobile first, zh-CN and en, every asset in the package, the
console's security headers (CSP without inline code). Every answer about a token that is not
a valid link is the same neutral page: nothing tells a forged token from an unknown one.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..console.security import SecurityHeadersMiddleware
from .limiter import PageLimiter
from .pages import PREFIX, router

__all__ = ["PREFIX", "install_candidate_pages"]


def install_candidate_pages(app: FastAPI, *, rate: float = 1.0, burst: int = 20) -> None:
    """Mount the candidate page, its static files and its security headers.

    :param rate: requests per second one client may make (``burst`` at once).
    """
    app.state.candidate_limiter = PageLimiter(rate, burst)
    static = str(files(__package__).joinpath("static"))
    app.mount(f"{PREFIX}/static", StaticFiles(directory=static), name="candidate-static")
    app.include_router(router)
    app.add_middleware(SecurityHeadersMiddleware, prefix=PREFIX)
