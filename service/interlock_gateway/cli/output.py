"""What people read: session listings that never cut a name, operations in a sentence, times
in the user's zone with the zone named. Every cell is :class:`~rich.text.Text`, so brackets in
vendor data or notes are shown as typed, never read as markup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from interlock import models as sdk
from interlock.client import models as api

from ._common import console

__all__ = ["SessionRow", "local_time", "print_entries", "print_sessions", "row_of"]


def local_time(value: datetime | None) -> str:
    """``value`` in the user's zone, the zone named (vendors and the gateway speak UTC)."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M %Z") if value else "-"


@dataclass(frozen=True)
class SessionRow:
    """One session as a listing shows it (from the SDK or from the gateway)."""

    name: str
    state: str
    candidate: str
    position: str
    level: str
    batch: str
    scheduled: str

    def others(self) -> tuple[str, ...]:
        return (self.state, self.candidate, self.position, self.level, self.batch, self.scheduled)


def row_of(session: sdk.Session | api.Session) -> SessionRow:
    if isinstance(session, sdk.Session):
        name, state = session.ref.name, str(session.state)
    else:
        name = session.name
        state = session.state + (f" ({session.pending.verb} pending)" if session.pending else "")
    return SessionRow(
        name=name,
        state=state,
        candidate=session.candidate.masked_name,
        position=session.position.title,
        level=session.position.level or "-",
        batch=session.batch_no or "-",
        scheduled=local_time(session.scheduled_at),
    )


_OTHER_COLUMNS_WIDTH = 70  # what state, candidate, position, level, batch and time need


def print_sessions(
    sessions: list[sdk.Session] | list[api.Session], out: Console | None = None
) -> None:
    """A table when the terminal is wide enough to keep every name whole, else a list with the
    name on its own line: the name is what the next command needs."""
    out = out or console
    rows = [row_of(s) for s in sessions]
    widest = max((len(r.name) for r in rows), default=0)
    if out.width >= widest + _OTHER_COLUMNS_WIDTH:
        out.print(_table(rows, widest))
        return
    for row in rows:
        out.print(Text(row.name), soft_wrap=True)
        out.print(Text("  " + " · ".join(row.others())), soft_wrap=False)
    out.print(Text(f"{len(rows)} session(s)"))


def _table(rows: list[SessionRow], widest: int) -> Table:
    table = Table(title=f"{len(rows)} session(s)")
    table.add_column("session", no_wrap=True, min_width=max(widest, 7))
    for column in ("state", "candidate", "position", "level", "batch", "scheduled"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(Text(row.name), *(Text(cell) for cell in row.others()))
    return table


def print_entries(title: str, entries: list[tuple[str, str]]) -> None:
    """Entries as two lines each — the ids and names a next command needs, whole, then the
    rest indented — so nothing is cut at any width."""
    console.print(Text(title))
    for head, detail in entries:
        console.print(Text(head), soft_wrap=True)
        console.print(Text("  " + detail), soft_wrap=True)
