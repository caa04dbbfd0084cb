"""The vendor does not stand still: a session changes between the adapter's read and its write,
a batch meets sessions that moved on, and any request of an operation — not only the first —
can fail (the lookup after the read, the job poll after the submit)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import Fault
from interlock.errors import InvalidTransition
from interlock.models import OperationOutcome, SessionState, Verb
from interlock.transitions import TARGET_STATE
from interlock_contract.checks import assert_hooks_once, assert_well_told, attempt
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.scenario import Scenario
from interlock_contract.suites.batch import collect_batch
from interlock_contract.suites.faults import check_bounded, check_truthful
from interlock_contract.suites.verbs import source_state

__all__ = ["RacesContract"]

S = SessionState
_NTH_FAULTS = {"5xx-once": Fault.SERVER_ERROR, "timeout-after-send": Fault.TIMEOUT_AFTER_SEND}


class RacesContract(ContractFixtures):
    """Changes at the vendor in the middle of an operation, and faults on any of its requests."""

    contract_concern: ClassVar[str] = "races"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_session_changes_between_read_and_write(
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
        session_id = scenario.session_exists(source_state(verb))
        ref = adapter.ref(session_id)
        run(adapter.get_session(session_id))
        scenario.changes_before_the_write({session_id: S.COMPLETED})
        outcome = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON))
        scenario.clear_faults()
        assert isinstance(outcome.error, InvalidTransition), (
            f"the session was completed at the vendor just before the adapter's {verb} was "
            f"served; expected SESSION.INVALID_TRANSITION but {outcome.describe()}"
        )
        assert (outcome.error.from_state, outcome.error.verb) == ("completed", str(verb)), (
            f"the refusal names from_state={outcome.error.from_state!r}: the vendor's session was "
            "completed when it refused; read it again after the refusal "
            "(interlock.adapter.explain_refusal) instead of trusting an earlier read"
        )
        assert scenario.mutations_of(session_id) == 0, "the adapter changed the session"
        assert_hooks_once(hooks, [ref])

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_another_hand_gets_there_first(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """Just before the adapter's write is served, someone else moves the session to the
        verb's target (a recruiter in the vendor's console): the operation is
        ``already_in_state`` — nothing failed, and the vendor changed nothing for it — and
        names the state it found, under the caller's key."""
        self.require_verb(request, capabilities, verb)
        session_id = scenario.session_exists(source_state(verb))
        target = TARGET_STATE[verb]
        run(adapter.get_session(session_id))
        scenario.changes_before_the_write({session_id: target})
        key = f"contract-there-first-{session_id}"
        outcome = attempt(
            run, adapter.change_state(verb, session_id, CONTRACT_REASON, idempotency_key=key)
        )
        scenario.clear_faults()
        assert outcome.error is None, (
            f"the session reached {target} by another hand just before the adapter's {verb} "
            f"was served, and the {verb} {outcome.describe()}; it is already_in_state"
        )
        result = outcome.result
        assert result is not None
        assert result.outcome is OperationOutcome.ALREADY_IN_STATE, (
            f"the session reached {target} by another hand; the {verb} reported "
            f"{result.outcome}, but the vendor changed nothing for it: already_in_state"
        )
        assert (result.state_after, result.idempotency_key) == (target, key), (
            f"the result names state_after={result.state_after}, key "
            f"{result.idempotency_key!r}; the vendor holds {target}, the caller's key is {key!r}"
        )
        assert scenario.mutations_of(session_id) == 0, "the adapter changed the session again"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_batch_meets_sessions_that_moved_on(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """Between the adapter's read and the vendor running the batch, sessions change at the
        vendor: two are completed, one is deleted, one reaches the verb's target by another
        hand and, for a resume, one passes its resume deadline. Each such item fails with what
        the vendor holds now, the one already there is ``already_in_state``; the others
        apply."""
        self.require_verb(request, capabilities, verb)
        ids = scenario.sessions_exist(7, source_state(verb))
        moved = {ids[1]: S.COMPLETED, ids[3]: S.COMPLETED}
        gone = ids[4]
        expired = [ids[5]] if verb is Verb.RESUME else []
        there = ids[6]
        run(adapter.get_session(ids[0]))
        scenario.changes_before_the_write(
            {**moved, there: TARGET_STATE[verb]}, deleted=[gone], past_deadline=expired
        )
        results = collect_batch(run, interlock, verb, [adapter.ref(i) for i in ids])
        scenario.clear_faults()
        by_id = {r.ref.session_id: r for r in results}
        native = bool(capabilities.native_batch(verb))
        assert sorted(by_id) == sorted(ids), "the batch must yield one result per item"
        failing = dict.fromkeys([*moved, *expired], "SESSION.INVALID_TRANSITION")
        failing[gone] = "SESSION.NOT_FOUND"
        for session_id in ids:
            item = by_id[session_id]
            if session_id in failing:
                what = {gone: "deleted"}.get(session_id, "completed")
                if session_id in expired:
                    what = "past its resume deadline"
                assert (item.outcome, item.error_code) == (
                    OperationOutcome.FAILED,
                    failing[session_id],
                ), (
                    f"{session_id} was {what} at the vendor while the batch ran, but its item "
                    f"is {item.outcome} {item.error_code or ''}: read the vendor's per-item "
                    "failures (matched by id, never by position)"
                )
                assert_well_told(item, f"batch item {session_id} ({what})")
                if session_id in moved:
                    message = item.error_message or ""
                    assert str(S.COMPLETED) in message, (
                        f"batch item {session_id}: the refusal says {message!r}, not the state "
                        "the vendor holds now (completed); read the refused sessions again "
                        "(explain_refusal) instead of trusting the read before the batch"
                    )
                if session_id in expired:
                    told = (item.details.get("from_state"), item.details.get("verb"))
                    assert told == ("paused", "resume"), (
                        f"batch item {session_id} (past its resume deadline) names (from_state, "
                        f"verb) {told}; the session is paused, the resume came too late: "
                        "InvalidTransition(from_state='paused', verb='resume')"
                    )
                assert scenario.mutations_of(session_id) == 0
                if scenario.double.request_id_header is not None and native:
                    assert item.vendor_request_id, (
                        f"batch item {session_id} ({what}) failed as the vendor's batch answer "
                        "said, but names no request id: keep the id of the answer (or job) "
                        "that failed it (support looks the failure up by it)"
                    )
            elif session_id == there:
                assert item.outcome is OperationOutcome.ALREADY_IN_STATE, (
                    f"{session_id} reached {TARGET_STATE[verb]} by another hand while the batch "
                    f"ran, but its item is {item.outcome} {item.error_code or ''}: the vendor "
                    "changed nothing for it (already_in_state)"
                )
                assert scenario.mutations_of(session_id) == 0, "the vendor changed it again"
            else:
                assert item.outcome is OperationOutcome.APPLIED, (
                    f"{session_id}: {item.outcome} {item.error_code or ''} {item.error_message}"
                )
                assert scenario.state_of(session_id) is TARGET_STATE[verb]

    @pytest.mark.parametrize("fault", list(_NTH_FAULTS))
    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_a_fault_on_any_request_of_an_operation(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
        fault: str,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        first = scenario.session_exists(source_state(verb))
        run(adapter.get_session(first))  # warm up: tokens and lookups are fetched first
        with scenario.watch() as clean:
            run(interlock.perform(verb, adapter.ref(first), CONTRACT_REASON))
        for number in range(1, len(clean.requests) + 1):
            session_id = scenario.session_exists(source_state(verb))
            run(adapter.get_session(session_id))
            scenario.fault_on_request(_NTH_FAULTS[fault], number)
            with scenario.watch() as watched:
                outcome = attempt(
                    run, interlock.perform(verb, adapter.ref(session_id), CONTRACT_REASON)
                )
            scenario.clear_faults()
            where = f"{verb} with {fault} on request {number} of {len(clean.requests)}"
            if fault == "5xx-once":
                assert outcome.succeeded, (
                    f"{where} ({clean.requests[number - 1].api}): a transient failure of any "
                    f"request must be retried, but {outcome.describe()}\n{watched.describe()}"
                )
            check_truthful(outcome, scenario, session_id, source_state(verb), TARGET_STATE[verb],
                           where)  # fmt: skip
            check_bounded(watched, where)
