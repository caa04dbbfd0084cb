"""The reason every stop carries: a code chosen from a list (never the system's own) and a
note, required for "other" — checked here so the form can say which field is wrong."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from interlock.models import SYSTEM_REASON_CODES, Reason, ReasonCode

from .messages import N_

__all__ = ["CLIENT_REASONS", "ReasonForm"]

CLIENT_REASONS = tuple(c.value for c in ReasonCode if c not in SYSTEM_REASON_CODES)
_MAX_NOTE = 500
_CHOOSE = N_("Choose a reason.")
_NOTE_FOR_OTHER = N_("Say what happened: a note is required for 'Other'.")
_NOTE_TOO_LONG = N_("At most 500 characters.")


@dataclass
class ReasonForm:
    """The reason fields as typed, and their errors by field."""

    code: str
    note: str
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Mapping[str, str], gettext: Callable[[str], str]) -> ReasonForm:
        found = cls(code=form.get("reason", ""), note=form.get("note", "").strip())
        if found.code not in CLIENT_REASONS:
            found.errors["reason"] = gettext(_CHOOSE)
        elif found.code == ReasonCode.OTHER and not found.note:
            found.errors["note"] = gettext(_NOTE_FOR_OTHER)
        if len(found.note) > _MAX_NOTE:
            found.errors["note"] = gettext(_NOTE_TOO_LONG)
        return found

    def reason(self) -> Reason:
        return Reason(code=ReasonCode(self.code), note=self.note or None)
