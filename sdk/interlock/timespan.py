"""Search bounds as a recruiter types them: a date, a time without a zone, or an exact instant.

A person typing ``2026-12-04`` means that whole day *where they are*, and ``2026-12-04 09:00``
means nine o'clock on their wall clock. These helpers turn such text into the aware UTC
instants :class:`~interlock.models.SessionFilter` holds, read in a named IANA zone:

* a **date alone** is the whole local day: as a lower bound its first instant, as an upper
  bound (exclusive) the first instant of the next day;
* a **datetime without a zone** is that wall-clock time in the zone (in a DST overlap the
  earlier reading, ``fold=0``; a time inside a DST gap is shifted as :mod:`zoneinfo` does);
* a **datetime with a zone** (``Z`` or ``+08:00``) is that instant; the zone does not apply.

The gateway (query parameters, the batch filter) and the client share these rules.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Bound", "BoundText", "parse_bound", "resolve_bound", "zone_named"]

BoundText = date | datetime | str
"""What a caller may give as a bound: a date, a naive or aware datetime, or ISO 8601 text."""

Bound = Literal["from", "to"]

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# IANA names are ASCII letters, digits and "/_+-"; refusing anything else up front keeps
# zoneinfo away from paths and odd bytes (it would also read files named like "../x").
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*$")


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``, ``UTC``).

    :raises ValueError: naming the zone and giving an example, when no such zone exists.
    """
    if len(name) <= 64 and _ZONE_NAME.fullmatch(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Asia/Shanghai'")


def parse_bound(text: str) -> date | datetime:
    """ISO 8601 text as a date (``2026-12-04``) or a datetime, naive or aware.

    :raises ValueError: saying which shapes are accepted.
    """
    value = text.strip()
    try:
        if _DATE_ONLY.fullmatch(value):
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time; use ISO 8601: 2026-12-04, 2026-12-04T09:00 "
            "or 2026-12-04T09:00+08:00"
        ) from None


def resolve_bound(value: BoundText, zone: tzinfo, bound: Bound) -> datetime:
    """``value`` as an aware UTC instant, reading dates and naive times in ``zone``.

    :param bound: ``"from"`` (inclusive lower bound) or ``"to"`` (exclusive upper bound): a
        date alone starts its day as a lower bound and ends it as an upper bound.
    :raises ValueError: text that is not ISO 8601 (see :func:`parse_bound`), or a bound
        past the last representable date.
    """
    parsed = parse_bound(value) if isinstance(value, str) else value
    try:
        if not isinstance(parsed, datetime):  # a date alone: the whole local day
            day = parsed + timedelta(days=1) if bound == "to" else parsed
            parsed = datetime.combine(day, time.min)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31 as an upper bound, or a zone pushing past year 9999
        raise ValueError(f"{value!s} is out of the range of dates") from None
