"""Each verb, idempotency (``already_in_state``), invalid transitions and not-found."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import VirtualClock
from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import OperationOutcome, Reason, ReasonCode, SessionState, Verb, utc_now
from interlock.transitions import ACCEPTED_FROM, TARGET_STATE
from interlock_contract.checks import A_DAY_S, assert_hooks_once, assert_reason_recorded, attempt
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.scenario import Scenario

__all__ = [
    "IdempotencyContract",
    "InvalidTransitionContract",
    "NotFoundVerbsContract",
    "VerbsContract",
    "source_state",
]

S = SessionState
RESUME_WINDOW = timedelta(hours=3)
"""Not the facade's default (24 h): a pause that drops the deadline must not pass by chance."""
_ORDER = [S.SCHEDULED, S.IN_PROGRESS, S.PAUSED]


def source_state(verb: Verb) -> SessionState:
    """A state ``verb`` is accepted from (the one a real operator meets most)."""
    return S.PAUSED if verb is Verb.RESUME else S.IN_PROGRESS


def _accepted() -> list[Any]:
    return [
        pytest.param(verb, state, id=f"{verb}-from-{state}")
        for verb in Verb
        for state in _ORDER
        if state in ACCEPTED_FROM[verb]
    ]


def _refused() -> list[Any]:
    return [
        pytest.param(verb, state, id=f"{verb}-from-{state}")
        for verb in Verb
        for state in SessionState
        if state not in ACCEPTED_FROM[verb]
        and state is not TARGET_STATE[verb]
        and state is not S.UNKNOWN
    ]


class VerbsContract(ContractFixtures):
    """Every supported verb moves the session at the vendor and reports it faithfully."""

    contract_concern: ClassVar[str] = "verbs"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_a_reason_without_a_note_is_recorded_as_given(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """An operator may give a reason code alone: the vendor records that code, and no
        placeholder (``None``, an empty note) where the note would have been."""
        self.require_verb(request, capabilities, verb)
        self.require(request, scenario.double.records_reasons, "the double records no reasons")
        session_id = scenario.session_exists(source_state(verb))
        bare = Reason(code=ReasonCode.OPERATOR_ERROR)
        key = f"contract-bare-reason-{session_id}"
        run(adapter.change_state(verb, session_id, bare, idempotency_key=key))
        recorded = scenario.truth(session_id).last_reason or ""
        as_given = str(bare.code) in recorded and not re.search(r"\bNone\b|:\s*$", recorded)
        assert as_given, (
            f"{verb} with the reason code {bare.code} alone: the vendor recorded {recorded!r}; "
            "send the code, and no note where the operator gave none"
        )

    @pytest.mark.parametrize(("verb", "state"), _accepted())
    def test_verb_applies(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        hooks: HookRecorder,
        verb: Verb,
        state: SessionState,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        session_id = scenario.session_exists(state)
        ref = adapter.ref(session_id)
        key = f"contract-{verb}-{session_id}"
        outcome = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        target = TARGET_STATE[verb]
        assert outcome.result is not None, (
            f"{verb} is declared {capabilities.level(verb)} but {outcome.describe()}"
        )
        result = outcome.result
        assert result.outcome is OperationOutcome.APPLIED, f"{verb}: outcome {result.outcome}"
        assert (result.ref, result.verb) == (ref, verb), "the result names another operation"
        assert result.idempotency_key == key, "the result must carry the idempotency key"
        assert result.state_after in (None, target), f"state_after is {result.state_after}"
        assert result.state_before in (None, state), f"state_before is {result.state_before}"
        if not result.confirmed_by_read_back:  # a read-back cannot know the state before
            named = (result.state_before, result.state_after)
            assert named == (state, target), (
                f"{verb} from {state}: the result names {named}; an applied result records the "
                f"states the change went between ({state} → {target}), which the audit keeps"
            )
        assert scenario.state_of(session_id) is target, (
            f"the vendor's session is {scenario.state_of(session_id)} after {verb}, not {target}"
        )
        assert scenario.mutations_of(session_id) == 1, "the vendor changed the session twice"
        assert_reason_recorded(scenario, session_id, CONTRACT_REASON, f"{verb} from {state}")
        assert run(adapter.get_session(session_id)).state is target, "read-back disagrees"
        assert_hooks_once(hooks, [ref])

    def test_pause_keeps_the_resume_deadline(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        self.require_verb(request, capabilities, Verb.PAUSE)
        session_id = scenario.session_exists(S.IN_PROGRESS)
        deadline = (utc_now() + RESUME_WINDOW).replace(microsecond=0)
        outcome = attempt(
            run,
            interlock.perform(
                Verb.PAUSE, adapter.ref(session_id), CONTRACT_REASON, resume_deadline=deadline
            ),
        )
        assert outcome.succeeded, f"pause with a resume deadline {outcome.describe()}"
        kept = scenario.truth(session_id).resume_deadline
        drift = abs(kept - deadline) if kept is not None else timedelta.max
        assert drift <= timedelta(seconds=1), (
            f"pause was asked to let the candidate resume until {deadline.isoformat()}, but the "
            f"vendor's session has {kept.isoformat() if kept else None}: send resume_deadline "
            "to the vendor in its own time format"
        )


class IdempotencyContract(ContractFixtures):
    """A verb whose target state already holds is ``already_in_state``, with no vendor write."""

    contract_concern: ClassVar[str] = "idempotency"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_verb_on_target_state_is_already_in_state(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        hooks: HookRecorder,
        verb: Verb,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        target = TARGET_STATE[verb]
        session_id = scenario.session_exists(target)
        ref = adapter.ref(session_id)
        key = f"contract-already-{session_id}"
        outcome = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        assert outcome.result is not None, f"{verb} on a {target} session {outcome.describe()}"
        assert outcome.result.outcome is OperationOutcome.ALREADY_IN_STATE, (
            f"{verb} on a session that is already {target} returned {outcome.result.outcome}; "
            "it must be already_in_state"
        )
        result = outcome.result
        assert (result.ref, result.verb, result.idempotency_key) == (ref, verb, key), (
            f"{verb} already done: the result names {result.ref}, {result.verb} and key "
            f"{result.idempotency_key!r}"
        )
        assert result.state_after in (None, target), f"state_after is {result.state_after}"
        assert scenario.mutations_of(session_id) == 0, "already_in_state wrote to the vendor"
        assert scenario.state_of(session_id) is target
        assert_hooks_once(hooks, [ref])

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_repeating_an_operation_changes_the_vendor_once(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        session_id = scenario.session_exists(source_state(verb))
        ref = adapter.ref(session_id)
        key = f"contract-repeat-{session_id}"
        first = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        second = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        for number, outcome in ((1, first), (2, second)):
            assert outcome.succeeded, (
                f"{verb} #{number} with the same idempotency key {outcome.describe()}"
            )
        assert scenario.mutations_of(session_id) == 1, "a repeated operation changed it twice"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_replaying_a_key_after_the_session_moved_on_changes_nothing(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """The vendor's own state check cannot hide a missing client token here: by the time
        the key comes again, the session is back where the operation found it."""
        self.require_verb(request, capabilities, verb)
        source = source_state(verb)
        session_id = scenario.session_exists(source)
        ref = adapter.ref(session_id)
        key = f"contract-replay-{session_id}"
        first = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        assert first.succeeded, f"{verb} {first.describe()}"
        scenario.vendor_moves(session_id, source)
        attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        assert scenario.state_of(session_id) is source, (
            f"the same {verb} (same idempotency key) came again after the session had moved back "
            f"to {source}, and the vendor applied it a second time: send the idempotency key "
            "as the vendor's own client token / request id, so the vendor replays its answer"
        )
        assert scenario.mutations_of(session_id) == 1

    @pytest.mark.parametrize("verb", [Verb.PAUSE, Verb.TERMINATE], ids=str)
    def test_replaying_a_key_a_day_later_changes_nothing(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        virtual_clock: VirtualClock,
        verb: Verb,
    ) -> None:
        """A key that comes again a day later, when the vendor's replay window (an hour at
        Yonyou) has passed and the session has moved back: still no second change, and the
        answer is the operation's own — it was applied, under that key."""
        self.require_verb(request, capabilities, verb)
        source = source_state(verb)
        session_id = scenario.session_exists(source)
        ref = adapter.ref(session_id)
        key = f"contract-replay-day-{session_id}"
        first = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        assert first.succeeded, f"{verb} {first.describe()}"
        scenario.vendor_moves(session_id, source)
        virtual_clock.advance(A_DAY_S)
        again = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key))
        assert scenario.state_of(session_id) is source, (
            f"the same {verb} came again a day later and the vendor applied it a second time"
        )
        assert scenario.mutations_of(session_id) == 1
        assert again.result is not None, (
            f"the same {verb} a day later {again.describe()}; the vendor says it already did "
            "this write: answer the operation's outcome (applied), whatever the session's state "
            "is now"
        )
        said = (again.result.outcome, again.result.verb, again.result.idempotency_key)
        assert said == (OperationOutcome.APPLIED, verb, key), (
            f"the same {verb} a day later answered {said}; the operation under this key was "
            f"applied: answer (applied, {verb}, {key!r})"
        )
        assert again.result.state_after is TARGET_STATE[verb], (
            f"the same {verb} a day later says state_after={again.result.state_after}: the write "
            f"under this key left the session {TARGET_STATE[verb]}"
        )


class InvalidTransitionContract(ContractFixtures):
    """A verb from a state that does not accept it is ``SESSION.INVALID_TRANSITION``."""

    contract_concern: ClassVar[str] = "invalid transitions"

    @pytest.mark.parametrize(("verb", "state"), _refused())
    def test_verb_from_wrong_state_is_refused(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        hooks: HookRecorder,
        verb: Verb,
        state: SessionState,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        session_id = scenario.session_exists(state)
        ref = adapter.ref(session_id)
        outcome = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON))
        assert isinstance(outcome.error, InvalidTransition), (
            f"{verb} from {state} must raise SESSION.INVALID_TRANSITION but {outcome.describe()}"
        )
        error = outcome.error
        assert (error.from_state, error.verb) == (str(state), str(verb)), (
            f"the error names from_state={error.from_state!r}, verb={error.verb!r}; read the "
            "session back and use interlock.transitions.plan_transition to name both"
        )
        assert scenario.state_of(session_id) is state, "the vendor's session changed"
        assert scenario.mutations_of(session_id) == 0
        assert_hooks_once(hooks, [ref])


class NotFoundVerbsContract(ContractFixtures):
    """Every verb on a session that does not exist is ``SESSION.NOT_FOUND``."""

    contract_concern: ClassVar[str] = "not found"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_verb_on_missing_session_is_not_found(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        hooks: HookRecorder,
        verb: Verb,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        ref = adapter.ref(scenario.session_missing())
        outcome = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON))
        assert isinstance(outcome.error, SessionNotFound), (
            f"{verb} on a missing session must raise SESSION.NOT_FOUND but {outcome.describe()}"
        )
        assert_hooks_once(hooks, [ref])
        assert hooks.finished[0].result.error_code == "SESSION.NOT_FOUND"
