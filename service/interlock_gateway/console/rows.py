"""Sessions as the console's table shows them: masked candidate, position, vendor, state,
the pending stop, and the "⋯" menu with each verb enabled or disabled with its reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from interlock.errors import InvalidTransition
from interlock.models import Session, Verb
from interlock.transitions import plan_transition

from ..operations.accept import ACTION_OF
from ..operations.context import Context
from ..operations.pending import PendingStop
from ..policy import Caller, Target, authorize
from .messages import N_, STATES, VERBS

__all__ = ["MenuItem", "SessionRow", "session_row"]

MENU_VERBS = (Verb.PAUSE, Verb.RESUME, Verb.TERMINATE, Verb.REVOKE)
_UNSUPPORTED = N_("%(vendor)s cannot do this (the vendor has no such function)")
_ROLE = N_("Your role may not do this for this session")
_PENDING = N_("A stop is pending: undo it first")
_STATE = N_("Not possible while the session is %(state)s")


@dataclass(frozen=True)
class MenuItem:
    """One entry of a row's "⋯" menu: enabled (with the confirm page) or why not."""

    verb: str
    label: str
    disabled_reason: str | None = None


@dataclass(frozen=True)
class SessionRow:
    session: Session
    vendor: str
    pending: PendingStop | None
    menu: list[MenuItem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.session.ref.name

    @property
    def undoable_now(self) -> bool:
        return self.pending is not None and self.pending.undoable


def _why_not(
    ctx: Context,
    caller: Caller,
    session: Session,
    verb: Verb,
    pending: PendingStop | None,
    gettext: Callable[[str], str],
) -> str | None:
    adapter = ctx.adapter(session.ref.account)
    if not adapter.capabilities.supports(verb):
        return gettext(_UNSUPPORTED) % {"vendor": adapter.vendor}
    if not authorize(caller, ACTION_OF[verb], Target.of_session(session), plugins=ctx.plugins):
        return gettext(_ROLE)
    if pending is not None and pending.blocks_other_verbs:
        return gettext(_PENDING)
    try:
        transition = plan_transition(session.state, verb)
    except InvalidTransition:
        transition = None
    if transition is None or transition.already_in_state:
        return gettext(_STATE) % {"state": gettext(STATES.get(session.state.value, "unknown"))}
    return None


def session_row(
    ctx: Context,
    caller: Caller,
    session: Session,
    pending: PendingStop | None,
    gettext: Callable[[str], str],
) -> SessionRow:
    menu = [
        MenuItem(
            verb=verb.value,
            label=gettext(VERBS[verb.value]),
            disabled_reason=_why_not(ctx, caller, session, verb, pending, gettext),
        )
        for verb in MENU_VERBS
    ]
    return SessionRow(session, ctx.vendor_of(session.ref.account), pending, menu)


def seconds_left(until: datetime | None, now: datetime) -> int:
    """Whole seconds until ``until`` (0 once passed)."""
    return 0 if until is None else max(0, int((until - now).total_seconds()))
