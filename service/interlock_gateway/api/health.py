"""``/healthz`` (the process answers) and ``/readyz`` (database and every account reachable)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from interlock.errors import InterlockError

from ..policy import Action
from .deps import Declare, RuntimeDep

__all__ = ["router"]

router = APIRouter(tags=["health"])
_ACCOUNT_TIMEOUT_S = 5.0


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
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def readyz(_: Annotated[None, Declare(Action.PUBLIC)], runtime: RuntimeDep) -> JSONResponse:
    """Checks the database and each account's adapter (``check_health``) concurrently."""
    checks: dict[str, Any] = {"database": await _database(runtime)}
    accounts = sorted(runtime.interlock.accounts)
    results = await asyncio.gather(*(_account(runtime, name) for name in accounts))
    checks["accounts"] = dict(zip(accounts, results, strict=True))
    ready = checks["database"] == "ok" and all(r == "ok" for r in results)
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


async def _database(runtime: RuntimeDep) -> str:
    try:
        async with runtime.db.session() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"; say which kind
        return f"error: {type(exc).__name__}"
    return "ok"


async def _account(runtime: RuntimeDep, name: str) -> str:
    try:
        adapter = runtime.interlock.adapter(name)
        await asyncio.wait_for(adapter.check_health(), _ACCOUNT_TIMEOUT_S)
    except InterlockError as exc:
        return f"error: {exc.code}"
    except TimeoutError:
        return "error: timeout"
    return "ok"
