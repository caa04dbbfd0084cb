"""``/healthz`` (the process answers) and ``/readyz`` (database and every account reachable)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..policy import Action
from ..reports.health import account_health, database_health
from .deps import ContextDep, Declare

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz(_: Annotated[None, Declare(Action.PUBLIC)]) -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the event loop runs."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database and every account answer",
    responses={
        503: {
            "description": "something is not ready; the body says what",
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "example": {
                        "status": "not_ready",
                        "checks": {"database": "ok", "accounts": {"dingtalk-hq": "error: timeout"}},
                    },
                }
            },
        }
    },
)
async def readyz(_: Annotated[None, Declare(Action.PUBLIC)], ctx: ContextDep) -> JSONResponse:
    """Checks the database and each account's adapter (``check_health``) concurrently."""
    checks: dict[str, Any] = {"database": await database_health(ctx)}
    accounts = sorted(ctx.interlock.accounts)
    results = await asyncio.gather(*(account_health(ctx, name) for name in accounts))
    checks["accounts"] = dict(zip(accounts, results, strict=True))
    ready = checks["database"] == "ok" and all(r == "ok" for r in results)
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)
