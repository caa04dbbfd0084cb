"""Hypothesis stateful test: the sandbox adapter (over HTTP to its double) against a model.

The model below is written from DESIGN §4 on purpose, not imported from
``interlock.transitions``: the two must agree without sharing code.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from interlock import (
    Interlock,
    OperationOutcome,
    Reason,
    ReasonCode,
    SessionFilter,
    SessionState,
    Verb,
)
from interlock.adapter import AccountContext
from interlock.errors import InvalidTransition
from interlock_sandbox.adapter import SandboxAdapter
from interlock_sandbox.options import SandboxOptions

S = SessionState
FINAL = {S.COMPLETED, S.TERMINATED, S.REVOKED, S.EXPIRED}
MODEL: dict[Verb, tuple[set[SessionState], SessionState]] = {
    Verb.PAUSE: ({S.IN_PROGRESS}, S.PAUSED),
    Verb.RESUME: ({S.PAUSED}, S.IN_PROGRESS),
    Verb.TERMINATE: ({S.SCHEDULED, S.IN_PROGRESS, S.PAUSED}, S.TERMINATED),
    Verb.REVOKE: ({S.SCHEDULED, S.IN_PROGRESS, S.PAUSED}, S.REVOKED),
}
REASON = Reason(code=ReasonCode.OPERATOR_ERROR)
SEEDED_STATES = [s for s in SessionState if s is not S.UNKNOWN]


class SandboxStateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        options = SandboxOptions(sessions=0)
        self.adapter = SandboxAdapter(AccountContext(account="model", options=options))
        self.interlock = Interlock({"model": self.adapter})
        self.model: dict[str, SessionState] = {}

    def teardown(self) -> None:
        self.loop.run_until_complete(self.interlock.aclose())
        self.loop.close()

    @rule(state=st.sampled_from(SEEDED_STATES))
    def add_session(self, state: SessionState) -> None:
        assert self.adapter.double is not None
        self.model[self.adapter.double.put_session(state)] = state

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), verb=st.sampled_from(list(Verb)))
    def act(self, data: st.DataObject, verb: Verb) -> None:
        session_id = data.draw(st.sampled_from(sorted(self.model)))
        before = self.model[session_id]
        accepted, target = MODEL[verb]
        ref = self.adapter.ref(session_id)
        perform = self.interlock.perform(verb, ref, REASON)
        if before is not target and before not in accepted:
            with pytest.raises(InvalidTransition) as refused:
                self.loop.run_until_complete(perform)
            assert str(before) in refused.value.message
            assert str(verb) in refused.value.message
            return
        result = self.loop.run_until_complete(perform)
        if before is target:
            assert result.outcome is OperationOutcome.ALREADY_IN_STATE
        else:
            assert before in accepted, (verb, before)
            assert result.outcome is OperationOutcome.APPLIED
            assert before not in FINAL, "no transition may leave a final state"
        assert result.state_after is target
        self.model[session_id] = target

    @invariant()
    def adapter_agrees_with_model(self) -> None:
        page = self.loop.run_until_complete(
            self.adapter.list_sessions(SessionFilter(), page_size=200)
        )
        assert {s.ref.session_id: s.state for s in page.sessions} == self.model


TestSandboxStateMachine = SandboxStateMachine.TestCase
TestSandboxStateMachine.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
