"""``interlock audit verify|export`` through the gateway: for auditors, who have a key, not the
database. The same commands read the database directly where the gateway runs (see
:func:`through_gateway`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

from ...settings import CONFIG_ENV
from ...store.engine import DATABASE_URL_ENV
from .connection import GATEWAY_ENV, connect

__all__ = ["export_via_gateway", "through_gateway", "verify_via_gateway"]


def through_gateway(
    *, config: Path | None, database_url: str | None, profile: str | None, gateway: str | None
) -> bool:
    """Whether an audit command goes through the gateway: asked for (``--gateway``,
    ``--profile``, ``INTERLOCK_GATEWAY``), or nothing here says where a database is (no
    ``--config``, ``INTERLOCK_CONFIG``, ``./interlock.toml``, ``--database-url`` or
    ``INTERLOCK_DATABASE_URL``)."""
    if profile or gateway or os.environ.get(GATEWAY_ENV):
        return True
    local = (
        config
        or database_url
        or os.environ.get(CONFIG_ENV)
        or os.environ.get(DATABASE_URL_ENV)
        or Path("interlock.toml").is_file()
    )
    return not local


async def verify_via_gateway(
    profile: str | None, gateway: str | None, *, witnesses: bool
) -> dict[str, Any]:
    async with connect(profile, gateway) as client:
        return await client.audit_verify(witnesses=witnesses)


async def export_via_gateway(
    profile: str | None, gateway: str | None, fmt: str, filters: dict[str, Any], out: BinaryIO
) -> int:
    """Stream the export into ``out``; the number of bytes written."""
    written = 0
    async with connect(profile, gateway) as client:
        async for chunk in client.audit_export(format=fmt, **filters):
            out.write(chunk)
            written += len(chunk)
    return written
