"""Security tests run the gateway like the gateway tests do: the same database fixtures
(SQLite and PostgreSQL) and the same in-process harness."""

from __future__ import annotations

from gateway.api.conftest import sqlite_url
from gateway.conftest import (
    backend,
    database_url,
    db,
    empty_database_url,
    pg_databases,
    pg_migrated,
    sqlite_template,
)

__all__ = [
    "backend",
    "database_url",
    "db",
    "empty_database_url",
    "pg_databases",
    "pg_migrated",
    "sqlite_template",
    "sqlite_url",
]
