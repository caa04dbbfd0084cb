"""The neutral state machine, every (state, verb) pair against DESIGN §4's table."""

from __future__ import annotations

import itertools

import pytest

from interlock.errors import InvalidTransition
from interlock.models import SessionState, Verb
from interlock.transitions import plan_transition

S = SessionState
APPLY, ALREADY, INVALID = "apply", "already", "invalid"

# Written out from the design table, not derived from the code under test.
EXPECTED: dict[tuple[SessionState, Verb], str] = {
    (S.SCHEDULED, Verb.PAUSE): INVALID,
    (S.SCHEDULED, Verb.RESUME): INVALID,
    (S.SCHEDULED, Verb.TERMINATE): APPLY,
    (S.SCHEDULED, Verb.REVOKE): APPLY,
    (S.IN_PROGRESS, Verb.PAUSE): APPLY,
    (S.IN_PROGRESS, Verb.RESUME): ALREADY,
    (S.IN_PROGRESS, Verb.TERMINATE): APPLY,
    (S.IN_PROGRESS, Verb.REVOKE): APPLY,
    (S.PAUSED, Verb.PAUSE): ALREADY,
    (S.PAUSED, Verb.RESUME): APPLY,
    (S.PAUSED, Verb.TERMINATE): APPLY,
    (S.PAUSED, Verb.REVOKE): APPLY,
    (S.COMPLETED, Verb.PAUSE): INVALID,
    (S.COMPLETED, Verb.RESUME): INVALID,
    (S.COMPLETED, Verb.TERMINATE): INVALID,
    (S.COMPLETED, Verb.REVOKE): INVALID,
    (S.TERMINATED, Verb.PAUSE): INVALID,
    (S.TERMINATED, Verb.RESUME): INVALID,
    (S.TERMINATED, Verb.TERMINATE): ALREADY,
    (S.TERMINATED, Verb.REVOKE): INVALID,
    (S.REVOKED, Verb.PAUSE): INVALID,
    (S.REVOKED, Verb.RESUME): INVALID,
    (S.REVOKED, Verb.TERMINATE): INVALID,
    (S.REVOKED, Verb.REVOKE): ALREADY,
    (S.EXPIRED, Verb.PAUSE): INVALID,
    (S.EXPIRED, Verb.RESUME): INVALID,
    (S.EXPIRED, Verb.TERMINATE): INVALID,
    (S.EXPIRED, Verb.REVOKE): INVALID,
    (S.UNKNOWN, Verb.PAUSE): INVALID,
    (S.UNKNOWN, Verb.RESUME): INVALID,
    (S.UNKNOWN, Verb.TERMINATE): INVALID,
    (S.UNKNOWN, Verb.REVOKE): INVALID,
}
TARGET = {
    Verb.PAUSE: S.PAUSED,
    Verb.RESUME: S.IN_PROGRESS,
    Verb.TERMINATE: S.TERMINATED,
    Verb.REVOKE: S.REVOKED,
}


def test_the_table_covers_every_pair() -> None:
    assert set(EXPECTED) == set(itertools.product(SessionState, Verb))


@pytest.mark.parametrize(
    ("state", "verb", "expected"),
    [pytest.param(s, v, e, id=f"{v}-from-{s}") for (s, v), e in EXPECTED.items()],
)
def test_transition(state: SessionState, verb: Verb, expected: str) -> None:
    if expected == INVALID:
        with pytest.raises(InvalidTransition) as caught:
            plan_transition(state, verb)
        error = caught.value
        assert error.code == "SESSION.INVALID_TRANSITION"
        assert (error.from_state, error.verb) == (str(state), str(verb))
        assert str(state) in str(error)
        assert str(verb) in str(error)
        return

    transition = plan_transition(state, verb)

    assert transition.source is state
    assert transition.target is TARGET[verb]
    assert transition.already_in_state is (expected == ALREADY)


def test_final_states_are_the_ones_no_verb_leaves() -> None:
    leavable = {s for (s, _), e in EXPECTED.items() if e == APPLY}
    assert {s for s in SessionState if s.is_final} == set(SessionState) - leavable - {S.UNKNOWN}
