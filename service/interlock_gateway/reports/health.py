"""Readiness: does the database answer, and does every account's vendor?"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from interlock.errors import InterlockError

from ..operations.context import Context

__all__ = ["account_health", "database_health"]

_ACCOUNT_TIMEOUT_S = 5.0


async def database_health(ctx: Context) -> str:
    """``ok``, or ``error: <kind>`` (never the driver's message: it may hold the URL)."""
    try:
        async with ctx.db.session() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"; say which kind
        return f"error: {type(exc).__name__}"
    return "ok"


async def account_health(ctx: Context, name: str) -> str:
    """``ok``, or ``error: <code>`` from the account adapter's ``check_health``."""
    try:
        adapter = ctx.interlock.adapter(name)
        await asyncio.wait_for(adapter.check_health(), _ACCOUNT_TIMEOUT_S)
    except InterlockError as exc:
        return f"error: {exc.code}"
    except TimeoutError:
        return "error: timeout"
    return "ok"
