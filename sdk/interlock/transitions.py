"""The neutral state machine (DESIGN §4): which verb is accepted from which state.

One table, shared by the facade, the sandbox and every vendor double, so that they cannot
disagree about what "already in state" or "invalid transition" means.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.errors import InvalidTransition
from interlock.models import SessionState, Verb

__all__ = ["ACCEPTED_FROM", "TARGET_STATE", "Transition", "plan_transition"]

S = SessionState

TARGET_STATE: dict[Verb, SessionState] = {
    Verb.PAUSE: S.PAUSED,
    Verb.RESUME: S.IN_PROGRESS,
    Verb.TERMINATE: S.TERMINATED,
    Verb.REVOKE: S.REVOKED,
}

ACCEPTED_FROM: dict[Verb, frozenset[SessionState]] = {
    Verb.PAUSE: frozenset({S.IN_PROGRESS}),
    Verb.RESUME: frozenset({S.PAUSED}),
    Verb.TERMINATE: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.PAUSED}),
    Verb.REVOKE: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.PAUSED}),
}


@dataclass(frozen=True, slots=True)
class Transition:
    """What a verb does from a state: the target, and whether it already holds."""

    source: SessionState
    target: SessionState

    @property
    def already_in_state(self) -> bool:
        return self.source is self.target


def plan_transition(state: SessionState, verb: Verb) -> Transition:
    """Return the transition for ``verb`` from ``state``.

    :raises InvalidTransition: the verb is not accepted from ``state`` (the message names both
        states); a session in ``unknown`` state accepts nothing, because we never guess.
    """
    target = TARGET_STATE[verb]
    if state is target:
        return Transition(state, target)
    if state not in ACCEPTED_FROM[verb]:
        accepted = ", ".join(sorted(ACCEPTED_FROM[verb]))
        raise InvalidTransition(
            f"cannot {verb} a session that is {state}; {verb} is accepted from: {accepted}",
            from_state=str(state),
            verb=str(verb),
        )
    return Transition(state, target)
