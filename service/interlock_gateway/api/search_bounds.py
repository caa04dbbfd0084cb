"""Search bounds of a request (``start_from``/``start_to`` with ``tz``) as aware UTC instants.

The field types (:data:`.fields.SearchBound`, :data:`.fields.TimeZoneName`) check the shapes;
here the bounds are read in the request's zone — or the gateway's ``time_zone`` setting, else
UTC — and held to the range every backend can store.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from interlock.timespan import Bound, resolve_bound, zone_named

from ..problems import Problem
from ..settings import GatewaySettings
from .fields import check_instant

__all__ = ["search_instant", "search_zone"]


def search_zone(tz: str | None, settings: GatewaySettings) -> tzinfo:
    """The zone a search's dates are read in (``tz`` was validated by its field type)."""
    return settings.search_zone if tz is None else zone_named(tz)


def search_instant(value: str | None, zone: tzinfo, bound: Bound, field: str) -> datetime | None:
    """``value`` read in ``zone`` (a date alone: its whole day).

    :param field: where the value came from (``query.start_from``), for the 422.
    :raises Problem: 422 naming ``field`` when the bound falls outside what backends hold.
    """
    if value is None:
        return None
    try:
        return check_instant(resolve_bound(value, zone, bound))
    except (ValueError, OverflowError) as error:
        message = str(error) if isinstance(error, ValueError) else "out of range"
        raise Problem(
            422,
            "REQUEST.VALIDATION",
            "Invalid request",
            f"{field}: {message}",
            hint="give a date or time between 1970 and 2200",
            errors=[{"field": field, "message": message, "type": "value_error"}],
        ) from None
