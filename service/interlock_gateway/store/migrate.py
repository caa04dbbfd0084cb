"""Run the packaged Alembic migrations programmatically (no ``alembic.ini`` on disk needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .engine import SQLITE_BEGIN, create_engine

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

_MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same for every replica running ``upgrade``.
_PG_MIGRATION_LOCK = 0x1A7E_10C4


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts (and ``url`` if given)."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision shipped with this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package always ships at least 0001
    return head


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Two replicas starting together must not both run the same migration.
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (default: newest) in one transaction."""
    engine = create_engine(url)
    config = alembic_config(url)
    # SQLite: take the write lock before Alembic reads the current revision, so a second
    # process migrating at the same time waits and then finds nothing to do.
    writer = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    try:
        async with writer.begin() as connection:
            await connection.run_sync(_upgrade, config, revision)
    finally:
        await engine.dispose()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (``None`` before the first upgrade)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        await engine.dispose()
