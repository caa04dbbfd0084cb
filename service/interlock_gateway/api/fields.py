"""Field types every route shares: instants every backend can hold, and text without control
characters.

* :data:`Instant` — an ISO 8601 time *with* a zone, between 1970-01-01 and 2200-01-01 UTC.
  Outside that, some backend cannot hold it (a zone offset can push year 9999 past what
  Python's datetime holds; vendors count milliseconds from 1970), so it is refused with 422
  naming the field — before any database query or stream starts.
* :data:`SearchBound` — a search bound as a person types it: an ISO date (``2026-12-04``), a
  datetime without a zone, or an instant; read in :data:`TimeZoneName` (``tz``) by
  :mod:`.search_bounds` (see :mod:`interlock.timespan`).
* :data:`FreeText` (notes) and :data:`SearchText` (filters) — no C0 control characters (NUL,
  ESC, BEL …) and no DEL: they end up in exports, terminals and spreadsheets. Tab and newline
  are allowed in free text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

from interlock.timespan import parse_bound, zone_named

__all__ = [
    "EARLIEST",
    "LATEST",
    "FreeText",
    "Instant",
    "SearchBound",
    "SearchText",
    "TimeZoneName",
    "check_instant",
]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 but tab (09) and newline (0a); DEL
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")


def check_instant(value: datetime) -> datetime:
    """``value`` in UTC, if every backend can hold it. :raises ValueError: otherwise."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(
            f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} UTC (after its zone)"
        )
    return utc


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (tab and newline are allowed)")
    return value


def _no_control_or_newline(value: str) -> str:
    if _CONTROL_OR_NEWLINE.search(value):
        raise ValueError("must not contain control characters or line breaks")
    return value


Instant = Annotated[
    AwareDatetime,
    AfterValidator(check_instant),
    Field(description="ISO 8601 with a zone, between 1970-01-01 and 2200-01-01 UTC"),
]
# The patterns are declared in the schema (clients and Schemathesis see the rule); the
# validators enforce them with a message a person can act on.
FreeText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        json_schema_extra={"pattern": "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$"},
    ),
    AfterValidator(_no_control),
]
SearchText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f]*$"},
    ),
    AfterValidator(_no_control_or_newline),
]


def _a_bound(value: str) -> str:
    parse_bound(value)  # the shape only: the zone that reads it comes with the request
    return value


def _a_zone(value: str) -> str:
    zone_named(value)
    return value


SearchBound = Annotated[
    str,
    Field(
        min_length=10,
        max_length=40,
        description="ISO 8601: a date (2026-12-04: the whole day), a time without a zone "
        "(2026-12-04T09:00, read in tz) or with one (2026-12-04T09:00+08:00)",
        examples=["2026-12-04", "2026-12-04T09:00", "2026-12-04T09:00:00+08:00"],
    ),
    AfterValidator(_a_bound),
]
TimeZoneName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="IANA time zone in which dates and times without a zone are read "
        "(default: the gateway's time_zone setting, else UTC)",
        examples=["Asia/Shanghai", "UTC"],
    ),
    AfterValidator(_a_zone),
]
