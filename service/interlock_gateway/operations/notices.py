"""Notices: what the HR user who asked for an operation must learn without asking.

A notice is written on the operation (``details.notices``: shown with it in every view) in the
transaction that caused it, and told to the requester through ``interlock_notify`` after that
transaction committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from interlock.models import SessionRef, Verb
from interlock.plugins import LoadedPlugins, Notification, notify_observers

from ..store.tables import Operation

__all__ = ["Notice", "add_notice", "notices_of", "tell_requester"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing that happened to an operation that its requester must know."""

    kind: str
    at: datetime
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at.isoformat(), "text": self.text}


def add_notice(op: Operation, notice: Notice) -> None:
    """Append ``notice`` to the operation's details (a new dict: the column must see a change)."""
    details = dict(op.details or {})
    details["notices"] = [*details.get("notices", []), notice.as_dict()]
    op.details = details


def notices_of(details: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The notices stored in an operation's details."""
    found = (details or {}).get("notices", [])
    return [n for n in found if isinstance(n, dict)]


def tell_requester(plugins: LoadedPlugins, op: Operation, message_key: str) -> None:
    """``interlock_notify`` to the HR user who asked for ``op``."""
    notification = Notification(
        audience="hr",
        ref=SessionRef(account=op.account, session_id=op.session_id),
        verb=Verb(op.verb),
        message_key=message_key,
        candidate_id=(op.details or {}).get("candidate_id"),
        recipient=op.actor,
        operation_id=op.id,
    )
    notify_observers(plugins, "interlock_notify", notification=notification)
