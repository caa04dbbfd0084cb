"""The HTTP API: one router per resource, each route declaring its action.

To add a resource: create ``api/<resource>.py`` with ``router = APIRouter(prefix="/v1", ...)``,
give every route a caller parameter ``Annotated[Caller, Authorize(Action.…)]`` (add the action
to :class:`~interlock_gateway.policy.Action` and to the policy table), and list the module in
:data:`ROUTERS`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from . import (
    adapters,
    approvals,
    audit,
    batches,
    callbacks,
    health,
    metrics,
    operations,
    previews,
    sessions,
    stats,
)

__all__ = ["ROUTERS", "include_routers"]

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    sessions.router,
    operations.router,
    approvals.router,
    previews.router,
    batches.router,
    audit.router,
    stats.router,
    adapters.router,
    callbacks.router,
    metrics.router,
)


def include_routers(app: FastAPI) -> None:
    """Mount every router of :data:`ROUTERS`."""
    for router in ROUTERS:
        app.include_router(router)
