"""Database fixtures for gateway tests: every storage test runs on SQLite and PostgreSQL.

* ``database_url`` — a migrated database with no data, per test: a copy of a migrated SQLite
  file, or the session's migrated PostgreSQL database emptied before the test (cloning or
  creating and dropping a database per test costs ~1.5 s on PostgreSQL, emptying ~20 ms).
* ``empty_database_url`` — a fresh database with no tables (for migration tests); on
  PostgreSQL a fresh schema first on the ``search_path``, in the session's database.
* ``db`` — a :class:`~interlock_gateway.store.Database` on ``database_url``, disposed after.

PostgreSQL comes from ``INTERLOCK_TEST_PG_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); without it the ``postgresql`` params are
skipped — unless ``INTERLOCK_REQUIRE_PG=1`` (CI), where a missing URL fails the test.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from interlock_gateway.store import Database, upgrade
from interlock_gateway.store.tables import GENESIS_HASH

PG_URL_ENV = "INTERLOCK_TEST_PG_URL"
REQUIRE_PG_ENV = "INTERLOCK_REQUIRE_PG"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _pg_base_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if url:
        return url
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{REQUIRE_PG_ENV}=1 but {PG_URL_ENV} is not set", pytrace=False)
    pytest.skip(f"{PG_URL_ENV} is not set")


def _libpq(url: str, database: str | None = None) -> str:
    """A psycopg connection string for ``url`` (the SQLAlchemy driver suffix removed)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


class PgDatabases:
    """Creates throw-away databases on the test server (``interlock_t_*``), drops them at exit."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.prefix = f"interlock_t_{secrets.token_hex(4)}"
        self._created: list[str] = []
        self._counter = 0

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_libpq(self.base_url), autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]  # names are generated here

    def create(self) -> str:
        """A new, empty database; returns its SQLAlchemy URL."""
        self._counter += 1
        name = f"{self.prefix}_{self._counter}"
        self._admin(f"CREATE DATABASE {name}")
        self._created.append(name)
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop whatever is left."""
        for name in reversed(list(self._created)):
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._created.clear()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    """The session's database factory on the PostgreSQL test server."""
    databases = PgDatabases(_pg_base_url())
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def pg_migrated(pg_databases: PgDatabases) -> str:
    """URL of the session's migrated PostgreSQL database."""
    url = pg_databases.create()
    asyncio.run(upgrade(url))
    return url


def _reset_pg(url: str) -> None:
    """Empty every table (the audit ones too) and re-seed the audit head.

    Leftover connections of an earlier test are terminated first so nothing waits on their
    locks; ``session_replication_role = replica`` (superuser) silences the append-only and
    foreign-key triggers for this transaction only.
    """
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        with connection.transaction():
            connection.execute("SET LOCAL session_replication_role = replica")
            connection.execute("SET LOCAL synchronous_commit = off")  # nothing here must survive
            for table in tables:  # DELETE: far cheaper than TRUNCATE on tables this small
                connection.execute(f"DELETE FROM {table}")  # type: ignore[arg-type]  # noqa: S608 (names from pg_tables)
            connection.execute(
                "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, %s)",
                (GENESIS_HASH,),
            )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "interlock.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this test only."""
    if backend == "sqlite":
        path = tmp_path / "interlock.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_migrated")
    _reset_pg(url)
    yield url


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A fresh database without any tables (on PostgreSQL: a fresh schema, first on the path)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'interlock.db'}"
        return
    url: str = request.getfixturevalue("pg_migrated")
    schema = f"empty_{secrets.token_hex(4)}"
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
    yield (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A :class:`Database` on this test's fresh database."""
    database = Database(database_url)
    yield database
    await database.dispose()
