"""Pending stops: a terminate or revoke on its way to the vendor, and what it forbids meanwhile.

A session whose stop is pending — accepted, held, waiting for its undo window to close, being
committed, or awaiting approval — shows it in every view (:func:`pending_stops`). While it is
accepted, held or committing, every verb but undo is refused on that session
(``SESSION.PENDING_COMMIT``, naming the operation and how to undo it): a resume would free the
candidate only for the commit to cut them off minutes later.

The check and the insert that it guards are one write transaction; on PostgreSQL a
transaction-scoped advisory lock per session serialises concurrent requests for one session
(SQLite has a single writer already).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, and_, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from interlock.models import SessionRef

from ..problems import Problem
from ..store import Database
from ..store.tables import OPEN_STOP_SQL, OPERATIONS, OperationStatus
from .phases import ACTIVE_STOP_STATUSES
from .rows import EXPIRY_ACTOR

__all__ = [
    "PendingStop",
    "lock_sessions",
    "pending_commit_problem",
    "pending_stops",
    "stops_in_way",
]

_SHOWN = (*ACTIVE_STOP_STATUSES, OperationStatus.AWAITING_APPROVAL.value)
_C = OPERATIONS.c
_COLUMNS = (_C.account, _C.session_id, _C.id, _C.verb, _C.status, _C.commit_at, _C.actor)


@dataclass(frozen=True, slots=True)
class PendingStop:
    """A session's stop that has not reached the vendor for good yet."""

    verb: str
    operation_id: str
    status: str
    commit_at: datetime | None
    requested_by: str

    @property
    def undoable(self) -> bool:
        """Undo is possible now (the hold is done and the window is open)."""
        return self.status == OperationStatus.GRACE

    @property
    def blocks_other_verbs(self) -> bool:
        """Accepted, held or committing (awaiting approval forbids nothing yet)."""
        return self.status in ACTIVE_STOP_STATUSES


def _stops(sessions: Iterable[str], account: str, statuses: tuple[str, ...]) -> Select[Any]:
    return _stops_of({account: set(sessions)}, statuses)


def _stops_of(by_account: Mapping[str, Iterable[str]], statuses: tuple[str, ...]) -> Select[Any]:
    """One statement for sessions of several accounts (each ``(account, session_id IN …)``
    clause is served by the partial index on open stops, ``ix_operations_open_stops``)."""
    sessions = or_(
        *(
            and_(_C.account == account, _C.session_id.in_(list(ids)))
            for account, ids in by_account.items()
        )
    )
    return (
        select(*_COLUMNS)
        .where(
            sessions,
            text(OPEN_STOP_SQL),  # verbatim, so the partial index on open stops serves it
            _C.status.in_(statuses),
            _C.actor != EXPIRY_ACTOR,
        )
        .order_by(_C.created_at)
    )


def _stop(row: Row[Any]) -> PendingStop:
    return PendingStop(
        verb=row.verb,
        operation_id=row.id,
        status=row.status,
        commit_at=row.commit_at,
        requested_by=row.actor,
    )


async def pending_stops(
    db: Database, refs: Iterable[SessionRef]
) -> dict[tuple[str, str], PendingStop]:
    """The pending stop of each session that has one, by ``(account, session_id)``."""
    by_account: dict[str, set[str]] = defaultdict(set)
    for ref in refs:
        by_account[ref.account].add(ref.session_id)
    found: dict[tuple[str, str], PendingStop] = {}
    if not by_account:
        return found
    async with db.session() as session:  # one statement for the page, whatever its accounts
        for row in (await session.execute(_stops_of(by_account, _SHOWN))).all():
            found[(row[0], row[1])] = _stop(row)
    return found


def lock_sessions(session: OrmSession, account: str, session_ids: Iterable[str]) -> None:
    """Serialise writers for these sessions until the transaction ends (PostgreSQL; in one
    order, so two transactions locking overlapping sets cannot deadlock)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the write transaction is exclusive already
    keys = sorted({_lock_key(account, session_id) for session_id in session_ids})
    lock = func.pg_advisory_xact_lock(literal_column("k"))
    session.execute(select(lock).select_from(func.unnest(array(keys, type_=BigInteger)).alias("k")))


def _lock_key(account: str, session_id: str) -> int:
    digest = hashlib.sha256(f"{account}/{session_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def stops_in_way(
    session: OrmSession, account: str, session_ids: Iterable[str]
) -> dict[str, PendingStop]:
    """Sessions of ``account`` whose stop is accepted, held or committing (read in the
    caller's write transaction), by session id."""
    rows = session.execute(_stops(session_ids, account, ACTIVE_STOP_STATUSES)).all()
    return {row[1]: _stop(row) for row in rows}


def pending_commit_problem(ref: SessionRef, stop: PendingStop) -> Problem:
    """``SESSION.PENDING_COMMIT``: what is pending, and how to take it back."""
    when = f" at {stop.commit_at.isoformat()}" if stop.commit_at else ""
    return Problem(
        409,
        "SESSION.PENDING_COMMIT",
        "Stop pending",
        f"{ref.name} has a {stop.verb} pending (operation {stop.operation_id}), final{when}; "
        "no other verb is accepted until it is committed or undone",
        hint=f"to take the {stop.verb} back: POST /v1/operations/{stop.operation_id}/undo",
        operation=stop.operation_id,
        verb=stop.verb,
        commit_at=stop.commit_at.isoformat() if stop.commit_at else None,
        undo=f"/v1/operations/{stop.operation_id}/undo",
    )
