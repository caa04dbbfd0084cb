"""Every router of the HTTP API, in the order they are mounted.

Kept apart from ``api/__init__.py`` so that importing one API module (problems, schemas) does
not import every router.
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
    me,
    metrics,
    operations,
    previews,
    principals,
    sessions,
    stats,
    tasks,
)

__all__ = ["ROUTERS", "include_routers"]

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    me.router,
    sessions.router,
    operations.router,
    approvals.router,
    tasks.router,
    previews.router,
    batches.router,
    audit.router,
    stats.router,
    adapters.router,
    principals.router,
    callbacks.router,
    metrics.router,
)


def include_routers(app: FastAPI) -> None:
    """Mount every router of :data:`ROUTERS`."""
    for router in ROUTERS:
        app.include_router(router)
