"""Sessions as the console's table shows them: masked candidate, position, vendor, state,
the pending stop, and the "⋯" menu with each verb enabled or disabled with its reason.

A page of 50 rows is built by one :class:`RowMaker`: what is the same for every row (the
verbs' labels, each account's vendor and capabilities, the way back) is worked out once,
and each row's texts (labels, localised times, the menu's links) are composed here rather
than by calls from the template, where each call costs several times as much.
"""

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
from .i18n import Formats
from .messages import N_, STATES, VERBS

__all__ = ["MenuItem", "RowMaker", "SessionRow"]

MENU_VERBS = (Verb.PAUSE, Verb.RESUME, Verb.TERMINATE, Verb.REVOKE)
_UNSUPPORTED = N_("%(vendor)s cannot do this (the vendor has no such function)")
_ROLE = N_("Your role may not do this for this session")
_PENDING = N_("A stop is pending: undo it first")
_STATE = N_("Not possible while the session is %(state)s")
_SELECT = N_("Select %(candidate)s, %(position)s")
_MORE = N_("More actions for %(candidate)s")


@dataclass(frozen=True)
class MenuItem:
    """One entry of a row's "⋯" menu: enabled (with the confirm page) or why not."""

    verb: str
    label: str
    disabled_reason: str | None = None
    href: str = ""


@dataclass(frozen=True)
class SessionRow:
    """One row, with its texts ready to show (the template only places them)."""

    session: Session
    vendor: str
    pending: PendingStop | None
    menu: list[MenuItem] = field(default_factory=list)
    candidate: str = ""
    state: str = ""
    scheduled: str = ""
    started: str = ""
    select_label: str = ""
    menu_label: str = ""

    @property
    def name(self) -> str:
        return self.session.ref.name

    @property
    def undoable_now(self) -> bool:
        return self.pending is not None and self.pending.undoable


class RowMaker:
    """Builds the rows of one page for one user.

    :param back: the ``return_to`` of the menu's links (this page, URL-quoted).
    """

    def __init__(
        self,
        ctx: Context,
        caller: Caller,
        gettext: Callable[[str], str],
        fmt: Formats,
        prefix: str,
        back: str,
    ) -> None:
        self.ctx, self.caller, self.gettext, self.fmt = ctx, caller, gettext, fmt
        self.prefix, self.back = prefix, back
        self.verb_labels = {verb: gettext(VERBS[verb.value]) for verb in MENU_VERBS}
        self.state_labels = {state: gettext(msgid) for state, msgid in STATES.items()}
        self._select, self._more = gettext(_SELECT), gettext(_MORE)
        self._role, self._pending = gettext(_ROLE), gettext(_PENDING)
        self._unsupported: dict[str, dict[Verb, str | None]] = {}

    def _unsupported_by(self, account: str) -> dict[Verb, str | None]:
        """Per verb, why ``account``'s vendor cannot do it (``None``: it can)."""
        known = self._unsupported.get(account)
        if known is None:
            adapter = self.ctx.adapter(account)
            why = self.gettext(_UNSUPPORTED) % {"vendor": adapter.vendor}
            known = {v: None if adapter.capabilities.supports(v) else why for v in MENU_VERBS}
            self._unsupported[account] = known
        return known

    def _why_not(
        self, session: Session, target: Target, verb: Verb, pending: PendingStop | None
    ) -> str | None:
        unsupported = self._unsupported_by(session.ref.account)[verb]
        if unsupported is not None:
            return unsupported
        if not authorize(self.caller, ACTION_OF[verb], target, plugins=self.ctx.plugins):
            return self._role
        if pending is not None and pending.blocks_other_verbs:
            return self._pending
        try:
            transition = plan_transition(session.state, verb)
        except InvalidTransition:
            transition = None
        if transition is None or transition.already_in_state:
            state = self.state_labels.get(session.state.value, self.state_labels["unknown"])
            return self.gettext(_STATE) % {"state": state}
        return None

    def row(self, session: Session, pending: PendingStop | None) -> SessionRow:
        ref = session.ref
        target = Target.of_session(session)  # once per row, not once per verb
        base = f"{self.prefix}/sessions/{ref.account}/{ref.session_id}/"
        menu = []
        for verb in MENU_VERBS:
            why = self._why_not(session, target, verb, pending)
            href = "" if why else f"{base}{verb.value}?return_to={self.back}"
            menu.append(MenuItem(verb.value, self.verb_labels[verb], why, href))
        candidate = session.candidate.masked_name
        return SessionRow(
            session,
            self.ctx.vendor_of(ref.account),
            pending,
            menu,
            candidate=candidate,
            state=self.state_labels.get(session.state.value, session.state.value),
            scheduled=self.fmt.datetime(session.scheduled_at),
            started=self.fmt.datetime(session.started_at),
            select_label=self._select
            % {"candidate": candidate, "position": session.position.title},
            menu_label=self._more % {"candidate": candidate},
        )


def seconds_left(until: datetime | None, now: datetime) -> int:
    """Whole seconds until ``until`` (0 once passed)."""
    return 0 if until is None else max(0, int((until - now).total_seconds()))
