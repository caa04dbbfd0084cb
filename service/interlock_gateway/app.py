"""``create_app``: the gateway's FastAPI application factory.

Request path, always: route → authenticate → authorize → audit(attempt) → operation store →
worker → adapter → audit(outcome). Nothing is created at import time: the lifespan builds the
:class:`~interlock_gateway.runtime.Runtime` (migrations, engine, facade, worker) and tears it
down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from interlock import Interlock, __version__
from interlock.plugins import LoadedPlugins

from .api.authentication import AuthenticationMiddleware
from .api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from .api.openapi import install_openapi
from .api.problems import install_problem_handlers
from .api.reference import install_reference_pages
from .api.routers import include_routers
from .candidate import install_candidate_pages
from .clock import Clock
from .console import PREFIX as CONSOLE_PREFIX
from .console import install_console
from .gates import declared_action, declared_mount
from .observability import install_observability
from .operations.streams import BatchStreams
from .runtime import Runtime
from .settings import GatewaySettings, NotificationSettings
from .worker.execute import FaultHook

__all__ = ["create_app", "iter_api_routes", "iter_route_paths", "undeclared_routes"]

_DESCRIPTION = """\
One safety interlock for every AI-interview platform: pause, resume, terminate, revoke and
undo interview sessions on every configured vendor account, under one permission policy,
with one tamper-evident audit trail.

Every `/v1` route needs `Authorization: Bearer <API key>`. Every error is
`application/problem+json` (RFC 9457) with a machine `code` and a `hint`.
"""


def create_app(
    settings: GatewaySettings | None = None,
    *,
    interlock: Interlock | None = None,
    clock: Clock | None = None,
    plugins: LoadedPlugins | None = None,
    fault: FaultHook | None = None,
    notifications: NotificationSettings | None = None,
) -> FastAPI:
    """Build the gateway app.

    :param settings: defaults to :meth:`GatewaySettings.load` (``interlock.toml`` + env).
    :param interlock: a ready facade (tests, embedding); otherwise built from the config's
        ``[accounts.*]`` at start-up and closed at shutdown.
    :param clock: the time source for windows, leases and expiries (tests inject one).
    :param plugins: plug-ins for building the facade (ignored when ``interlock`` is given).
    :param fault: called around every vendor write of the worker (crash tests only).
    :param notifications: ``[notifications]`` (default: read from the config file).
    """
    settings = settings or GatewaySettings.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(
            settings,
            interlock=interlock,
            clock=clock,
            plugins=plugins,
            fault=fault,
            notifications=notifications,
        )
        app.state.runtime = runtime
        app.state.context = runtime.context
        app.state.dispatcher = runtime.worker
        app.state.keys = runtime.keys
        app.state.limiter = runtime.limiter
        app.state.streams = BatchStreams(runtime.context, settings)
        app.state.signins = runtime.signins
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Interlock gateway",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN: ours are served offline (below)
        redoc_url=None,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    include_routers(app)
    install_openapi(app, max_page_size=settings.max_page_size)
    install_reference_pages(app)  # /docs and /redoc, from the package's own assets
    install_console(app)  # the HR console at /console: same operations, same authorize()
    install_candidate_pages(app)  # candidates at /c/{token}: resume links, no API key
    # Added last = outermost: the request id exists before anything can refuse; a request
    # is authenticated before its body is read or anything about it is validated.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    app.add_middleware(AuthenticationMiddleware, metrics_token=token)
    install_observability(app)  # metrics and the logged request id: inside the request id
    app.add_middleware(RequestIdMiddleware)
    missing = undeclared_routes(app)
    if missing:  # fail at start-up, not in production traffic
        raise RuntimeError(f"routes without a declared action: {', '.join(missing)}")
    return app


def iter_api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every :class:`APIRoute`, descending into included routers."""
    for _, route in iter_route_paths(routes):
        yield route


def iter_route_paths(
    routes: Iterable[BaseRoute], prefix: str = ""
) -> Iterator[tuple[str, APIRoute]]:
    """``(full path, route)`` of every :class:`APIRoute`, descending into included routers.

    The API's routers carry their ``/v1`` prefix in each route's ``path``; the console's
    pages are routers included into the ``/console`` router, whose prefix FastAPI (≥ 0.16x,
    which keeps included routers) records in the inclusion, not in the route.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            inner = prefix + str(getattr(context, "prefix", "") or "")
            yield from iter_route_paths(included.routes, inner)


_DECLARING = ("/v1", CONSOLE_PREFIX)


def undeclared_routes(app: FastAPI) -> list[str]:
    """``METHOD path`` of every ``/v1`` and console route that declares no action (the API's
    ``Authorize``/``Declare``, the console's ``Allow``/``Public``), and ``MOUNT path`` of a
    mounted app under either that was not declared public."""
    missing: list[str] = []
    for path, route in iter_route_paths(app.routes):
        if path.startswith(_DECLARING) and declared_action(route) is None:
            missing.extend(f"{method} {path}" for method in sorted(route.methods or ()))
    for mounted in app.routes:
        if (
            isinstance(mounted, Mount)
            and mounted.path.startswith(_DECLARING)
            and declared_mount(mounted) is None
        ):
            missing.append(f"MOUNT {mounted.path}")
    return missing
