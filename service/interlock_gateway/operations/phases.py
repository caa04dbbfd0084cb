"""The phases of an operation, and the rules that move it from one to the next.

=========  ======================================================================  ==========
phase      what the worker does                                                    then
=========  ======================================================================  ==========
apply      send the verb (pause, resume; terminate/revoke without an undo window)  done
hold       terminate/revoke: hold the candidate (pause if running), open the       grace
           undo window (``commit_at`` = now + ``undo_window``)
commit     the window closed: read the session; if it was resumed at the vendor    done, or
           meanwhile, hold again and reopen the window (up to ``max_reholds``,     grace again
           then it fails as contested); otherwise send the final verb
restore    undo: give back what the hold took (resume if the hold paused)          done
expire     a pause reached its resume deadline: tell the vendor (terminate)        done
=========  ======================================================================  ==========

The *hold rule* (:func:`first_phase`): terminate and revoke start with ``hold`` whenever the
undo window is open (> 0), for every adapter; an adapter's native restore is not used,
because a terminate followed by a restore is visible to the candidate.
"""

from __future__ import annotations

from enum import StrEnum

from interlock.models import Verb

from ..settings import GatewaySettings
from ..store.tables import Operation, OperationStatus

__all__ = [
    "ACTIVE_STOP_STATUSES",
    "FINAL_STATUSES",
    "FINAL_VERBS",
    "Phase",
    "first_phase",
    "phase_of",
]

FINAL_VERBS = frozenset({Verb.TERMINATE, Verb.REVOKE})
"""Verbs that are final at the vendor, hence held for the undo window first."""

FINAL_STATUSES = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.COMMITTED,
        OperationStatus.REJECTED,
        OperationStatus.CANCELLED,
        OperationStatus.UNDONE,
    }
)
"""Statuses an operation never leaves."""

ACTIVE_STOP_STATUSES = (
    OperationStatus.PENDING.value,
    OperationStatus.IN_FLIGHT.value,
    OperationStatus.GRACE.value,
)
"""Statuses in which an accepted terminate or revoke is on its way to the vendor."""


class Phase(StrEnum):
    """What the worker does with an operation when it is due."""

    APPLY = "apply"
    HOLD = "hold"
    COMMIT = "commit"
    RESTORE = "restore"
    EXPIRE = "expire"

    @property
    def starts_operation(self) -> bool:
        """The phase an operation begins with (``commit`` only ever follows a hold)."""
        return self is not Phase.COMMIT


def first_phase(verb: Verb | str, settings: GatewaySettings) -> Phase:
    """The hold rule: terminate and revoke hold the candidate first while there is an undo
    window; every other verb is applied at once."""
    holds = Verb(verb) in FINAL_VERBS and settings.undo_window.total_seconds() > 0
    return Phase.HOLD if holds else Phase.APPLY


def phase_of(op: Operation) -> Phase:
    """The phase a due operation is in (a grace period that closes is the commit)."""
    if op.status == OperationStatus.GRACE:
        return Phase.COMMIT
    return Phase((op.details or {}).get("phase", Phase.APPLY))
