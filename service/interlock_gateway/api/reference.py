"""The API reference pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served offline.

FastAPI's own pages load their scripts from a CDN (and ReDoc its fonts from Google), so they
render nothing where the gateway has no internet access — often the case on an HR network.
Both viewers are vendored under ``static/`` (versions and licenses in ``static/README.md``)
and served from ``/docs/assets``; the pages point there, and a Content-Security-Policy keeps
them there: ReDoc's side menu would fetch its vendor's logo from a CDN, and a reference page
has no business reaching any other host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

from ..gates import public_mount
from ..policy import Action
from .deps import Declare

__all__ = ["ASSETS", "CSP", "DOCS", "REDOC", "install_reference_pages"]

DOCS = "/docs"
REDOC = "/redoc"
ASSETS = "/docs/assets"
_STATIC = Path(__file__).with_name("static")
# Both viewers start from an inline script and style with injected <style>; ReDoc searches in
# a blob: worker. Everything else — scripts, the document, images — comes from the gateway.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CSP
    return page


def install_reference_pages(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from the vendored viewers.

    The app must be built with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages off).
    """
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} — API reference"
    assets = Mount(ASSETS, app=StaticFiles(directory=_STATIC), name="reference-assets")
    app.router.routes.append(public_mount(assets))  # the same bytes for anyone

    # Public like /openapi.json, which they render: the reference holds no data.
    @app.get(DOCS, include_in_schema=False)
    async def swagger_ui(_: Annotated[None, Declare(Action.PUBLIC)]) -> HTMLResponse:
        return _confined(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=title,
                swagger_js_url=f"{ASSETS}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
                # Swagger UI would send the document to validator.swagger.io for a badge.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(REDOC, include_in_schema=False)
    async def redoc(_: Annotated[None, Declare(Action.PUBLIC)]) -> HTMLResponse:
        return _confined(
            get_redoc_html(
                openapi_url=openapi_url,
                title=title,
                redoc_js_url=f"{ASSETS}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            )
        )
