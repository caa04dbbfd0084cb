"""The sessions page's filters: read from the query string as typed, checked field by field
(an error is shown next to its field and the typed values stay), then turned into the
lifecycle's :class:`~interlock_gateway.operations.sessions.SessionQuery`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from interlock.models import ACCOUNT_NAME_PATTERN, SessionState

from ..operations.sessions import SessionQuery
from .i18n import Formats
from .messages import N_

__all__ = ["FIELDS", "SessionFilters"]

FIELDS = ("candidate", "position", "from", "to", "batch_no", "vendor", "account", "state")
_NAME = re.compile(ACCOUNT_NAME_PATTERN)
_MAX_TEXT = 200
_TOO_LONG = N_("At most 200 characters.")
_BAD_TIME = N_("Enter a date and time, e.g. 2026-12-03 14:30.")
_ORDER = N_("'From' must be before 'to'.")
_UNKNOWN = N_("Not one of the listed values.")


@dataclass
class SessionFilters:
    """The filters as typed (``values``), their errors by field, and the query they make."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    start_from: datetime | None = None
    start_to: datetime | None = None

    @classmethod
    def parse(
        cls,
        params: Mapping[str, str],
        fmt: Formats,
        accounts: Mapping[str, str],
        gettext: Callable[[str], str],
    ) -> SessionFilters:
        """Read and check each field; ``accounts`` maps account name → vendor."""
        values = {name: (params.get(name) or "").strip() for name in FIELDS}
        found = cls(values)
        for name in ("candidate", "position", "batch_no"):
            if len(values[name]) > _MAX_TEXT:
                found.errors[name] = gettext(_TOO_LONG)
        found.start_from = found._time("from", fmt, gettext)
        found.start_to = found._time("to", fmt, gettext)
        if found.start_from and found.start_to and found.start_from >= found.start_to:
            found.errors["from"] = gettext(_ORDER)
        known = {
            "account": set(accounts),
            "vendor": set(accounts.values()),
            "state": {s.value for s in SessionState},
        }
        for name, allowed in known.items():
            if values[name] and (values[name] not in allowed or not _NAME.match(values[name])):
                found.errors[name] = gettext(_UNKNOWN)
        return found

    def _time(self, name: str, fmt: Formats, gettext: Callable[[str], str]) -> datetime | None:
        text = self.values[name]
        if not text:
            return None
        try:
            return fmt.from_local_input(text)
        except ValueError:
            self.errors[name] = gettext(_BAD_TIME)
            return None

    def query(self) -> SessionQuery:
        """The lifecycle's query (call only without errors)."""
        v = self.values
        return SessionQuery(
            account=v["account"] or None,
            vendor=v["vendor"] or None,
            states=frozenset({SessionState(v["state"])}) if v["state"] else frozenset(),
            candidate_name=v["candidate"] or None,
            position_title=v["position"] or None,
            batch_no=v["batch_no"] or None,
            start_from=self.start_from,
            start_to=self.start_to,
        )

    @property
    def active(self) -> bool:
        return any(self.values.values())

    def encoded(self, **extra: str) -> str:
        """The filters (and ``extra``) as a query string, for links that keep them."""
        pairs = {k: v for k, v in self.values.items() if v}
        pairs.update({k: v for k, v in extra.items() if v})
        return urlencode(pairs)
