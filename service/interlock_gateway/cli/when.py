"""Times as people type them: ``2026-12-04`` (a local day), ``2026-12-04 09:30`` (local), or
ISO 8601 with a zone. The gateway gets an aware instant; a zone typed is kept."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ._common import fail

__all__ = ["parse_when"]


def parse_when(text: str | None, *, option: str, end_of_day: bool = False) -> str | None:
    """``text`` as an ISO 8601 instant with a zone, or ``None``.

    :param end_of_day: a date alone means the end of that day (the start of the next), as an
        exclusive upper bound (``--to 2026-12-04`` includes all of the 4th).
    """
    if text is None:
        return None
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        moment = datetime.combine(day + timedelta(days=1 if end_of_day else 0), time())
        return moment.astimezone().isoformat()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(
            f"{option}: {text!r} is not a date or time",
            hint="e.g. 2026-12-04, '2026-12-04 09:30' or 2026-12-04T09:30+08:00",
        )
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a time without a zone is the user's local time
    return moment.isoformat()
