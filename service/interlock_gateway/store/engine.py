"""Async engines for SQLite (embedded default) and PostgreSQL, and the :class:`Database` handle.

Nothing here runs at import time: the settings object (or the CLI) passes a URL in, and the
caller owns the engine's life cycle (``await db.dispose()``).
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as _create_sync_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from interlock.errors import ConfigurationError

from .writer import Body, GroupWriter

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATA_DIR",
    "SQLITE_BEGIN",
    "Database",
    "create_engine",
    "default_database_url",
    "resolve_database_url",
]

DATABASE_URL_ENV = "INTERLOCK_DATABASE_URL"
DEFAULT_DATA_DIR = Path(".interlock")

# Execution option read by the SQLite "begin" hook: IMMEDIATE takes the write lock up front.
SQLITE_BEGIN = "interlock_sqlite_begin"
_BUSY_TIMEOUT_MS = 30_000
_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "psycopg"}
T = TypeVar("T")


def default_database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """The embedded default: a SQLite file ``interlock.db`` under ``data_dir``."""
    return f"sqlite+aiosqlite:///{(data_dir / 'interlock.db').as_posix()}"


def resolve_database_url(explicit: str | None = None, data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """``explicit`` if given, else ``$INTERLOCK_DATABASE_URL``, else the SQLite default."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or default_database_url(data_dir)


def _prepare_sqlite_file(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (the mode is stored in the file, so once is enough).

    Two connections switching a brand-new file at the same moment: the loser is told
    "database is locked" at once — the busy timeout does not cover a journal-mode change — so
    it retries until the winner is done (then the file is in WAL already).
    """
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # the driver's OperationalError, whichever driver
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _install_sqlite_hooks(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and our own BEGIN (DEFERRED or IMMEDIATE).

    The driver's implicit BEGIN is switched off because a DEFERRED transaction that reads and
    then writes fails with SQLITE_BUSY (not after the timeout, at once) when another writer
    committed in between; write transactions therefore begin IMMEDIATE (see ``Database.write``).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _async_url(url: str) -> URL:
    """Parse ``url``; plain ``sqlite://`` / ``postgresql://`` get the async driver we ship."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            "the database URL cannot be parsed", hint=f"e.g. {default_database_url()}"
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigurationError(
            f"unsupported database {backend!r}",
            hint="use sqlite+aiosqlite:///path.db or postgresql+psycopg://user@host/db",
        )
    if parsed.get_driver_name() != _ASYNC_DRIVERS[backend]:
        parsed = parsed.set(drivername=f"{backend}+{_ASYNC_DRIVERS[backend]}")
    return parsed


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (psycopg 3).

    ``sqlite://`` and ``postgresql://`` URLs are given the async driver; other databases are
    a :class:`~interlock.errors.ConfigurationError`. The SQLite file's directory is created.
    Extra keyword arguments go to SQLAlchemy.
    """
    parsed = _async_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(parsed)
        engine = _create_async_engine(parsed, **kwargs)
        _install_sqlite_hooks(engine.sync_engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return _create_async_engine(parsed, **kwargs)


class Database:
    """An engine plus session factories: ``session()`` for reads, ``write()`` for writes.

    ``write()`` yields a session inside a transaction that commits on success and rolls back on
    error. On PostgreSQL it is an ordinary READ COMMITTED transaction and the audit trail locks
    its head row itself. On SQLite it begins IMMEDIATE, and this process's writers first queue
    on an asyncio lock: SQLite has one writer anyway, and a writer that found the database
    locked would wait in SQLite's busy handler, which *sleeps* (1, 2, 5 … 100 ms) rather than
    being woken — under concurrent requests most of the time went to those sleeps. The busy
    timeout still covers writers in other processes (the CLI, a second gateway).
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(writer, expire_on_commit=False)
        self._group = self._group_writer() if self.is_sqlite else None
        # One lock per event loop (tests and the CLI may drive a Database from several loops).
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def session(self) -> AsyncSession:
        """A session for reads (or for callers who manage the transaction themselves)."""
        return self._reader()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read session that sees one snapshot throughout (``REPEATABLE READ`` on
        PostgreSQL; a SQLite read transaction is one already) — for reads that must agree
        with each other, such as verifying or exporting the audit trail while it grows."""
        async with self.session() as session:
            if not self.is_sqlite:
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction: committed on exit, rolled back on error.

        Not reentrant: a write transaction must not open another (on SQLite it would wait for
        itself).
        """
        if not self.is_sqlite:
            async with self._writer() as session, session.begin():
                yield session
            return
        async with self._write_lock(), self._writer() as session, session.begin():
            yield session

    async def run(self, body: Body[T]) -> T:
        """Run ``body`` (a function of a sync ``Session``) in a write transaction; its result.

        The hot write paths use this. On SQLite the body joins the next group commit (see
        :mod:`.writer`); on PostgreSQL it runs in a transaction of its own, through the async
        session's ``run_sync``. Either way it commits before this returns, or raises.
        """
        if self._group is not None:
            return await self._group.run(body)
        async with self.write() as session:
            return await session.run_sync(body)

    def _group_writer(self) -> GroupWriter | None:
        database = self.engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None  # a second connection would not see the same database
        url = self.engine.url.set(drivername="sqlite+pysqlite")
        engine = _create_sync_engine(
            url, pool_size=1, max_overflow=0, execution_options={SQLITE_BEGIN: "IMMEDIATE"}
        )
        _install_sqlite_hooks(engine)
        return GroupWriter(engine, self._write_lock)

    def _write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        return lock

    async def dispose(self) -> None:
        """Close every pooled connection (and stop the group-commit thread)."""
        if self._group is not None:
            await asyncio.to_thread(self._group.close)
        await self.engine.dispose()
