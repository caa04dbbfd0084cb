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
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

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
    "comma_separated",
]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 but tab (09) and newline (0a); DEL
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: object) -> object:
    """Refuse what is not ISO 8601 text (pydantic would read ``236128`` as a Unix time)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError("must be an ISO 8601 date-time with a zone, e.g. 2026-03-02T09:00:00+08:00")


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


# The schema states the range as the years it allows (1970–2199); a zone offset at either end
# can still move an instant across it, which the validator's message then names.
def comma_separated(allowed: Iterable[str]) -> dict[str, object]:
    """The schema of one value of a repeatable query parameter that also takes a
    comma-separated list of ``allowed`` words (``?state=paused,in_progress&state=completed``).

    Routes split on commas and ignore blank parts and surrounding white space; the pattern
    says exactly that, so a client — or Schemathesis — knows which values are refused.
    """
    word = "|".join(re.escape(value) for value in allowed)
    item = rf"\s*(?:(?:{word})\s*)?"
    return {"type": "string", "pattern": f"^{item}(?:,{item})*$"}


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    Field(
        description="ISO 8601 with a zone, between 1970-01-01 and 2200-01-01 UTC",
        json_schema_extra={"pattern": "^(19[7-9][0-9]|2[01][0-9][0-9])-"},
    ),
    AfterValidator(check_instant),
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


# A search bound's shape, in the schema and checked here alike: years 1970-2199 (what every
# backend holds), months with their own number of days (29 February in any year: the one
# calendar rule left to the parser), an optional time and an optional zone.
_MONTH_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-9]))"
)
BOUND_PATTERN = (
    f"^(19[7-9][0-9]|2[01][0-9][0-9])-{_MONTH_DAY}"
    "([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?"
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$"
)
_BOUND = re.compile(BOUND_PATTERN)
_BOUND_RULE = (
    "must be ISO 8601 between 1970 and 2199: a date (2026-12-04), or a time without a zone "
    "(2026-12-04T09:00) or with one (2026-12-04T09:00+08:00)"
)


def _a_bound(value: str) -> str:
    # The shape only: the zone that reads it comes with the request. The typed text is never
    # repeated in the message (a name typed into the wrong box must not reach a log).
    if not _BOUND.fullmatch(value):
        raise ValueError(_BOUND_RULE)
    try:
        parse_bound(value)
    except ValueError:
        raise ValueError("is not a day of the calendar (29 February of a common year)") from None
    return value


def _a_zone(value: str) -> str:
    zone_named(value)
    return value


def _zone_known(name: str) -> bool:
    try:
        zone_named(name)
    except ValueError:
        return False
    return True


#: Every zone name the gateway accepts, listed in the schema (this machine's tz database).
ZONE_NAMES = sorted(name for name in available_timezones() if _zone_known(name))


SearchBound = Annotated[
    str,
    Field(
        min_length=10,
        max_length=40,
        description="ISO 8601: a date (2026-12-04: the whole day), a time without a zone "
        "(2026-12-04T09:00, read in tz) or with one (2026-12-04T09:00+08:00)",
        examples=["2026-12-04", "2026-12-04T09:00", "2026-12-04T09:00:00+08:00"],
        json_schema_extra={"pattern": BOUND_PATTERN},
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
        json_schema_extra={"enum": list(ZONE_NAMES)},
    ),
    AfterValidator(_a_zone),
]
