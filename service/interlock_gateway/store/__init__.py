"""Persistence: engines, the schema and its migrations."""

from .engine import Database, create_engine, default_database_url, resolve_database_url
from .migrate import current_revision, head_revision, upgrade

__all__ = [
    "Database",
    "create_engine",
    "current_revision",
    "default_database_url",
    "head_revision",
    "resolve_database_url",
    "upgrade",
]
