"""Every /v1 and console route declares its action; the app refuses to start with one that
does not."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

from interlock_gateway import app as app_module
from interlock_gateway import console
from interlock_gateway.api.deps import Authorize, declared_action
from interlock_gateway.app import create_app, iter_api_routes, iter_route_paths, undeclared_routes
from interlock_gateway.console.web import ConsoleUser, require_user
from interlock_gateway.gates import public_mount
from interlock_gateway.policy import RULES, UNAUTHENTICATED, Action, Caller
from interlock_gateway.settings import GatewaySettings


@pytest.fixture
def app() -> FastAPI:
    return create_app(GatewaySettings())


def test_every_console_route_declares_an_action(app: FastAPI) -> None:
    routes = [(p, r) for p, r in iter_route_paths(app.routes) if p.startswith("/console/")]
    assert len(routes) >= 20
    missing = [f"{sorted(r.methods or ())} {p}" for p, r in routes if declared_action(r) is None]
    assert missing == []
    assert undeclared_routes(app) == []  # the static files are declared public too


CONSOLE_EXPECTED = {
    ("GET", "/console/signin"): Action.PUBLIC,
    ("POST", "/console/preferences"): Action.PUBLIC,
    ("GET", "/console/sessions"): Action.SESSIONS_LIST,
    ("GET", "/console/sessions/{account}/{session_id}/terminate"): Action.SESSIONS_TERMINATE,
    ("POST", "/console/sessions/{account}/{session_id}/pause"): Action.SESSIONS_PAUSE,
    ("POST", "/console/batches"): Action.BATCHES_CREATE,
    ("GET", "/console/batches/{batch_id}/events"): Action.BATCHES_READ,
    ("POST", "/console/approvals/{approval_id}/{decision}"): Action.APPROVALS_DECIDE,
    ("GET", "/console/audit/export.{form}"): Action.AUDIT_READ,
}


@pytest.mark.parametrize(
    ("route", "action"), CONSOLE_EXPECTED.items(), ids=[p for _, p in CONSOLE_EXPECTED]
)
def test_console_routes_declare_the_right_action(
    app: FastAPI, route: tuple[str, str], action: Action
) -> None:
    method, path = route
    found = [r for p, r in iter_route_paths(app.routes) if p == path and method in r.methods]
    assert len(found) == 1
    assert declared_action(found[0]) is action


def test_a_planted_undeclared_console_route_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planted = APIRouter()

    @planted.get("/forgotten", response_class=HTMLResponse)
    async def forgotten(user: Annotated[ConsoleUser, Depends(require_user)]) -> str:
        return "signed in, but no role was checked"

    real = console.install_console

    def install_with_planted(app: FastAPI) -> None:
        real(app)
        app.include_router(planted, prefix=console.PREFIX)

    monkeypatch.setattr(app_module, "install_console", install_with_planted)
    with pytest.raises(RuntimeError, match="GET /console/forgotten"):
        create_app(GatewaySettings())


def test_an_undeclared_console_mount_is_refused() -> None:
    app = FastAPI()
    app.mount("/console/files", StaticFiles(directory="."))
    app.router.routes.append(public_mount(Mount("/console/static", StaticFiles(directory="."))))
    assert undeclared_routes(app) == ["MOUNT /console/files"]


def test_every_v1_route_declares_an_action(app: FastAPI) -> None:
    routes = [r for r in iter_api_routes(app.routes) if r.path.startswith("/v1")]
    assert len(routes) >= 11
    missing = [f"{sorted(r.methods or ())} {r.path}" for r in routes if declared_action(r) is None]
    assert missing == []


def test_every_declared_action_is_in_the_policy_table(app: FastAPI) -> None:
    tabled = {action for rules in RULES.values() for action in rules}
    for route in iter_api_routes(app.routes):
        if route.endpoint.__module__.startswith("interlock_gateway.candidate"):
            continue  # the candidate page's credential is the resume link's MAC
        action = declared_action(route)
        assert action is not None, route.path
        assert action in UNAUTHENTICATED or action in tabled, f"{route.path}: {action}"


EXPECTED = {
    ("GET", "/v1/sessions"): Action.SESSIONS_LIST,
    ("GET", "/v1/accounts/{account}/sessions/{session_id}"): Action.SESSIONS_READ,
    ("POST", "/v1/accounts/{account}/sessions/{session_id}/pause"): Action.SESSIONS_PAUSE,
    ("POST", "/v1/accounts/{account}/sessions/{session_id}/resume"): Action.SESSIONS_RESUME,
    ("POST", "/v1/accounts/{account}/sessions/{session_id}/terminate"): Action.SESSIONS_TERMINATE,
    ("POST", "/v1/accounts/{account}/sessions/{session_id}/revoke"): Action.SESSIONS_REVOKE,
    ("GET", "/v1/operations/{op_id}"): Action.OPERATIONS_READ,
    ("POST", "/v1/operations/{op_id}/undo"): Action.OPERATIONS_UNDO,
    ("GET", "/v1/approvals"): Action.APPROVALS_LIST,
    ("POST", "/v1/approvals/{approval_id}/approve"): Action.APPROVALS_DECIDE,
    ("POST", "/v1/approvals/{approval_id}/reject"): Action.APPROVALS_DECIDE,
}


@pytest.mark.parametrize(("route", "action"), EXPECTED.items(), ids=[p for _, p in EXPECTED])
def test_routes_declare_the_right_action(
    app: FastAPI, route: tuple[str, str], action: Action
) -> None:
    method, path = route
    found = [
        r for r in iter_api_routes(app.routes) if r.path == path and method in (r.methods or ())
    ]
    assert len(found) == 1
    assert declared_action(found[0]) is action


def test_an_undeclared_route_is_caught() -> None:
    router = APIRouter(prefix="/v1")

    @router.get("/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    @router.get("/declared")
    async def declared(caller: Annotated[Caller, Authorize(Action.STATS_READ)]) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    assert undeclared_routes(app) == ["GET /v1/forgotten"]
