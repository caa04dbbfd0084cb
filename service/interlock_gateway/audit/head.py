"""The audit head inside a transaction: locked and read once, written once before commit.

An append needs the previous record's hash and the next sequence number, and the transaction
must end with ``audit_head`` pointing at its last record. Reading and writing the head for
every record cost two statements each — most of an append. Instead the first append of a
transaction locks and reads the head (``UPDATE … SET last_seq = last_seq RETURNING``: a row
lock on PostgreSQL, the write lock on SQLite, held to the end of the transaction), later
appends continue from the tip kept in ``session.info``, and a ``before_commit`` listener
writes the tip in one UPDATE. The listeners are attached to the session that appends (at
its first append), never to SQLAlchemy's ``Session`` class: a session that never appends
is untouched, and nothing is registered at import time. The head still moves only through
the trail, so a row inserted past it by anything else is still caught by verification.

A rollback forgets the tip; rolling back a savepoint restores the tip it began with (its
records are gone with it), so appends on either side of savepoints stay one gapless chain.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, event, update
from sqlalchemy.orm import Session, SessionTransaction

from ..store.tables import AuditHead

__all__ = ["advance_tip", "current_tip"]

_TIP = "interlock.audit.tip"
_WATCHED = "interlock.audit.watched"  # the listeners below are attached to this session
_AT_SAVEPOINT = "interlock.audit.tip_at_savepoint"  # savepoint -> the tip when it began
_HEAD = cast(Table, AuditHead.__table__)
_LOCK_AND_READ = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_seq=_HEAD.c.last_seq)
    .returning(_HEAD.c.last_seq, _HEAD.c.last_hash)
)
_WRITE = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_seq=bindparam("tip_seq"), last_hash=bindparam("tip_hash"))
)


def current_tip(session: Session) -> tuple[int, str]:
    """``(seq, hash)`` of the chain's last record as this transaction sees it."""
    tip: tuple[int, str] | None = session.info.get(_TIP)
    if tip is None:
        _watch(session)
        seq, last_hash = session.execute(_LOCK_AND_READ).one()
        tip = (seq, last_hash)
    return tip


def _watch(session: Session) -> None:
    """Attach the tip's listeners to ``session`` (once per session object)."""
    if session.info.get(_WATCHED):
        return
    session.info[_WATCHED] = True
    # Savepoints already open began before any tip existed: rolling one back forgets it.
    saved = session.info.setdefault(_AT_SAVEPOINT, {})
    nested = session.get_nested_transaction()
    while nested is not None and nested.nested:
        saved.setdefault(nested, None)
        nested = nested.parent
    event.listen(session, "before_commit", _write_tip)
    event.listen(session, "after_transaction_create", _remember_tip_at_savepoint)
    event.listen(session, "after_soft_rollback", _restore_tip_of_savepoint)
    event.listen(session, "after_transaction_end", _forget_at_end)


def advance_tip(session: Session, seq: int, record_hash: str) -> None:
    """Record ``(seq, record_hash)`` as the new tip (written just before the commit)."""
    session.info[_TIP] = (seq, record_hash)


def _write_tip(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released, the transaction goes on: the tip stays pending
    tip = session.info.pop(_TIP, None)
    if tip is not None:
        session.execute(_WRITE, {"tip_seq": tip[0], "tip_hash": tip[1]})


def _remember_tip_at_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_AT_SAVEPOINT, {})[transaction] = session.info.get(_TIP)


def _restore_tip_of_savepoint(session: Session, previous: SessionTransaction) -> None:
    saved: dict[SessionTransaction, tuple[int, str] | None] = session.info.get(_AT_SAVEPOINT, {})
    if previous.nested and previous in saved:
        tip = saved.pop(previous)
        if tip is None:
            session.info.pop(_TIP, None)
        else:
            session.info[_TIP] = tip


def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (tip written) or rolled back: start afresh
        session.info.pop(_TIP, None)
        session.info.pop(_AT_SAVEPOINT, None)
