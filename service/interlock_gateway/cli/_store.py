"""What the storage commands (``db``, ``principals``, ``audit``) share.

The database URL comes from ``--database-url``, else ``$INTERLOCK_DATABASE_URL``, else the
``[gateway]`` table of the config file, else SQLite under ``.interlock/`` (the same
resolution as ``interlock serve``). Database failures become one line on stderr.
"""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..settings import GatewaySettings
from ..store import Database, current_revision, head_revision, upgrade
from ._common import fail, run

__all__ = [
    "DatabaseUrlOption",
    "GatewayConfigOption",
    "configured_accounts",
    "open_database",
    "run_db",
    "settings_for",
    "shown_url",
]

T = TypeVar("T")

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="INTERLOCK_DATABASE_URL",
        help="SQLAlchemy URL (default: SQLite under .interlock/)",
        show_envvar=True,
    ),
]

GatewayConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="INTERLOCK_CONFIG",
        help="interlock.toml whose [gateway] table names the database and data dir",
    ),
]


def settings_for(config: Path | None, database_url: str | None) -> GatewaySettings:
    """The gateway settings the command should use (config file, environment, flags)."""
    return GatewaySettings.load(config, database_url=database_url)


def configured_accounts(settings: GatewaySettings) -> list[str] | None:
    """The account names of the config file (``None`` when there is no config file: then
    account names cannot be checked)."""
    try:
        raw = tomllib.loads(settings.config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as exc:
        fail(f"{settings.config}: not valid TOML: {exc}")
    accounts = raw.get("accounts", {})
    return sorted(accounts) if isinstance(accounts, dict) else []


def shown_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _explain(error: SQLAlchemyError) -> tuple[str, str | None]:
    cause = getattr(error, "orig", None) or error.__cause__ or error
    first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    if "no such table" in first_line or "does not exist" in first_line:
        return "the database has no Interlock schema yet", "run `interlock db upgrade` first"
    return f"database error: {first_line}", None


def run_db(coroutine: Awaitable[T]) -> T:
    """Run ``coroutine``; a database failure exits with one line, never a traceback."""

    async def wrapped() -> T:
        return await coroutine

    try:
        return run(wrapped())
    except ArgumentError as exc:
        fail(f"not a database URL: {exc}", hint="e.g. postgresql+psycopg://user@host/db")
    except SQLAlchemyError as exc:
        message, hint = _explain(exc)
        fail(message, hint=hint)
    except OSError as exc:  # e.g. the SQLite directory is not writable
        fail(f"cannot open the database: {exc.strerror or exc}")


@asynccontextmanager
async def open_database(url: str, *, migrate: bool = False) -> AsyncIterator[Database]:
    """A :class:`Database` for one command; ``migrate`` brings the schema up to date first.

    Without ``migrate`` a database that is not at the newest revision is refused with a hint,
    so a read command never runs against a half-built schema.
    """
    if migrate:
        await upgrade(url)
    elif await current_revision(url) != head_revision():
        fail(
            f"the database at {shown_url(url)} is not initialised or not up to date",
            hint="run `interlock db upgrade`",
        )
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()
