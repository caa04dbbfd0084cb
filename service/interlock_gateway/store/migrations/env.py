"""Alembic environment: runs on a connection handed in by ``store.migrate`` or on its own.

``interlock db upgrade`` and ``serve`` call :func:`interlock_gateway.store.upgrade`, which
opens the async engine and passes a sync connection in ``config.attributes["connection"]``.
Plain ``alembic`` commands (for developers writing a new revision) fall back to building an
async engine from ``sqlalchemy.url`` / ``$INTERLOCK_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from interlock_gateway.store.engine import create_engine, resolve_database_url
from interlock_gateway.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    engine = create_engine(resolve_database_url(config.get_main_option("sqlalchemy.url")))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_standalone())


_main()
