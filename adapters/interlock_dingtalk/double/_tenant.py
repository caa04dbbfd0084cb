"""The DingTalk org the double simulates: its sessions and the ATS records around them.

Route handlers see the tenant, never the double, so that the handlers and the double that
dispatches to them do not import each other.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from interlock.doubles import World, WorldSession
from interlock.models import FilterField
from interlock_dingtalk.double._render import session_json

RecordQuery = Callable[[Mapping[FilterField, Any], Iterable[str]], None]
Shuffle = Callable[[Sequence[Any]], list[Any]]

__all__ = ["Tenant"]


@dataclass
class Tenant:
    """The org's world of sessions and its ATS data: jobs, sign-ins, syncs, recruitment flows."""

    world: World
    timezone: tzinfo
    created_at: datetime
    record_query: RecordQuery = field(repr=False)
    """Records a listing's filters and ids (``VendorDouble.record_query``)."""
    shuffled: Shuffle = field(repr=False)
    """Puts batch answers in the vendor's (undocumented, so random) order."""
    deleted_jobs: set[str] = field(default_factory=set)
    self_scheduled: set[str] = field(default_factory=set)
    """Interviews the candidate schedules: DingTalk holds only their local day, no time yet."""
    left_out: set[str] = field(default_factory=set)
    """Ids batch answers do not mention though the vendor acted on them (``VendorDouble``'s)."""
    garbled_page: dict[str, Any] = field(default_factory=dict)
    """Raw values the sessions query sends in place of its own (``VendorDouble``'s)."""
    sign_ins: dict[str, int] = field(default_factory=dict)
    synced: dict[str, dict[str, Any]] = field(default_factory=dict)
    _flows: dict[str, str] = field(default_factory=dict)
    _flow_ids: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def from_millis(value: int) -> datetime:
        return datetime.fromtimestamp(value / 1000, UTC)

    def session_json(self, session: WorldSession) -> dict[str, Any]:
        """The session object as this org's DingTalk sends it."""
        return session_json(session, self.timezone, day_only=session.id in self.self_scheduled)

    def flow_id_of(self, session_id: str) -> str:
        """The recruitment flow of an interview (created on first use, then stable)."""
        if session_id not in self._flow_ids:
            flow = str(random.Random(f"flow:{session_id}").randrange(10**11, 10**12))
            self._flow_ids[session_id] = flow
            self._flows[flow] = session_id
        return self._flow_ids[session_id]

    def session_of_flow(self, flow_id: str) -> str | None:
        return self._flows.get(flow_id)
