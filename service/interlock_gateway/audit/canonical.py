"""Canonical JSON: the exact bytes the audit hash chain is computed over.

Sorted keys, no whitespace, UTF-8 (non-ASCII kept, not escaped), no NaN/Infinity, and
datetimes as ISO 8601 in UTC with a ``Z`` suffix and microseconds. Anything else that is not
plain JSON is refused, so the same record always serialises to the same text.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

__all__ = ["canonical_bytes", "canonical_json", "format_timestamp"]


def format_timestamp(value: datetime) -> str:
    """``2026-01-02T03:04:05.000006Z``; naive datetimes are refused (their zone is unknown)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime in an audit record; use an aware UTC datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        raise TypeError(f"{type(value).__name__} has no canonical JSON order; use a list")
    raise TypeError(f"{type(value).__name__} is not canonical-JSON serialisable")


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON of ``value`` as UTF-8 bytes."""
    return canonical_json(value).encode("utf-8")
