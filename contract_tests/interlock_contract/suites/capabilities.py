"""Capabilities are data that tell the truth: declared verbs work, the others are refused
before any vendor call, and nothing is skipped without a written reason."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import Fault
from interlock.errors import InterlockError, UnsupportedOperation
from interlock.models import OperationOutcome, SessionState, Verb
from interlock_contract.checks import assert_reason_recorded, attempt
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.scenario import Scenario
from interlock_contract.suites.batch import collect_batch
from interlock_contract.suites.verbs import source_state

__all__ = ["CapabilitiesContract"]

_RESTORE_FAULTS = {
    "timeout-after-send": Fault.TIMEOUT_AFTER_SEND,
    "timeout-before-acting": Fault.TIMEOUT_BEFORE_ACTING,
}


def _runs(run: Any, call: Coroutine[Any, Any, Any]) -> None:
    """Run ``call``; a vendor error is an answer, NotImplementedError a missing method."""
    with contextlib.suppress(InterlockError):
        run(call)


class CapabilitiesContract(ContractFixtures):
    """The declared capabilities match what the adapter really does."""

    contract_concern: ClassVar[str] = "capabilities"

    def test_capabilities_are_data(
        self, adapter: InterviewAdapter, scenario: Scenario, reads_work: None
    ) -> None:
        with scenario.watch() as watched:
            first, second = adapter.capabilities, adapter.capabilities
        assert isinstance(first, Capabilities), "capabilities must be a Capabilities model"
        assert first == second, "capabilities must be stable"
        assert not watched.requests, "reading capabilities must not call the vendor"
        assert adapter.vendor, 'declare `vendor = "..."` on the adapter class'

    def test_declared_features_are_implemented(
        self,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        reads_work: None,
    ) -> None:
        """Each declared verb, native batch, restore and push runs without NotImplementedError
        (whether it does the right thing is for the other checks)."""
        for verb in Verb:
            if capabilities.supports(verb):
                session_id = scenario.session_exists(source_state(verb))
                _runs(run, adapter.perform(verb, session_id, CONTRACT_REASON, idempotency_key="i"))
            if capabilities.native_batch(verb):
                ids = [scenario.session_exists(source_state(verb))]
                _runs(run, adapter.batch_chunk(verb, ids, CONTRACT_REASON, idempotency_key="b"))
        if capabilities.restore:
            session_id = scenario.session_exists(SessionState.TERMINATED)
            back = SessionState.IN_PROGRESS
            _runs(run, adapter.restore(session_id, back, CONTRACT_REASON, idempotency_key="r"))
        if capabilities.push_events:
            make = getattr(scenario.double, "signed_callback", None)
            assert make is not None, "push_events=True, but the double has no signed_callback"
            with contextlib.suppress(InterlockError):
                adapter.parse_callback(make(scenario.session_exists()))

    def test_an_account_set_up_for_pushes_takes_them(
        self, request: pytest.FixtureRequest, capabilities: Capabilities, scenario: Scenario
    ) -> None:
        """The double's own account is set up for the vendor's pushes (it signs them:
        ``signed_callback``), so the adapter built for it declares ``push_events``: an account
        whose push secrets are configured but silently unused would never hear of a change."""
        signs = getattr(scenario.double, "signed_callback", None) is not None
        self.require(request, signs, "the double signs no pushes")
        assert capabilities.push_events, (
            "the double signs pushes for this account, whose options configure them, but the "
            "adapter declares push_events=False; build the push verifier from the options"
        )

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_unsupported_verb_is_refused_before_any_vendor_call(
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
        level = capabilities.level(verb)
        self.require(request, not level.automated, f"capability {level}: nothing to refuse")
        session_id = scenario.session_exists(source_state(verb))
        ref = adapter.ref(session_id)
        calls: dict[str, Callable[[], Coroutine[Any, Any, Any]]] = {
            "InterviewAdapter.perform": lambda: adapter.perform(
                verb, session_id, CONTRACT_REASON, idempotency_key="contract-refuse"
            ),
            "InterviewAdapter.batch": lambda: adapter.batch(
                verb, [session_id], CONTRACT_REASON, idempotency_key="contract-refuse"
            ),
            "Interlock.perform": lambda: interlock.perform(verb, ref, CONTRACT_REASON),
        }
        for where, call in calls.items():
            outcome = attempt(run, call())
            assert isinstance(outcome.error, UnsupportedOperation), (
                f"{verb} is declared {level}; {where} must raise OPERATION.UNSUPPORTED but "
                f"{outcome.describe()}"
            )
        results = collect_batch(run, interlock, verb, [ref])
        assert [r.outcome for r in results] == [OperationOutcome.UNSUPPORTED]
        assert not hooks.started, "a refused verb is not an operation: no hook may fire"
        assert not scenario.requests, (
            f"{verb} is declared {level} but the vendor was called: "
            + ", ".join(f"{r.method} {r.path}" for r in scenario.requests)
        )
        assert scenario.mutations_of(session_id) == 0

    def test_restore_when_declared(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        reads_work: None,
    ) -> None:
        if not capabilities.restore:
            session_id = scenario.session_exists(SessionState.TERMINATED)
            back = SessionState.IN_PROGRESS
            with scenario.watch() as watched:
                outcome = attempt(
                    run, adapter.restore(session_id, back, CONTRACT_REASON, idempotency_key="r")
                )
            assert isinstance(outcome.error, UnsupportedOperation), outcome.describe()
            assert not watched.requests, "an undeclared restore called the vendor"
            return
        self.require(
            request, capabilities.supports(Verb.TERMINATE), "restore: terminate unsupported"
        )
        session_id = scenario.session_exists(SessionState.IN_PROGRESS)
        ref = adapter.ref(session_id)
        run(interlock.terminate(ref, CONTRACT_REASON))
        outcome = attempt(run, interlock.restore(ref, SessionState.IN_PROGRESS, CONTRACT_REASON))
        assert outcome.succeeded, outcome.describe()
        assert scenario.state_of(session_id) is SessionState.IN_PROGRESS

    @pytest.mark.parametrize("fault", list(_RESTORE_FAULTS))
    def test_restore_after_an_ambiguous_failure(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        fault: str,
    ) -> None:
        """A native restore (what an undo sends) that times out before or after the vendor
        acted is read back, never sent twice, and says what it did."""
        self.require(request, capabilities.restore, "restore: not declared")
        session_id = scenario.session_exists(SessionState.TERMINATED)
        run(adapter.get_session(session_id))  # the token is fetched first
        before = scenario.mutations_of(session_id)
        scenario.fault(_RESTORE_FAULTS[fault], only_mutations=True)
        key = f"contract-restore-{fault}-{session_id}"
        with scenario.watch() as watched:
            outcome = attempt(
                run,
                adapter.restore(
                    session_id, SessionState.IN_PROGRESS, CONTRACT_REASON, idempotency_key=key
                ),
            )
        scenario.clear_faults()
        where = f"a restore under {fault}"
        assert outcome.succeeded, f"{where}: {outcome.describe()}"
        assert scenario.state_of(session_id) is SessionState.IN_PROGRESS, (
            f"{where} reported success, but the vendor has {scenario.state_of(session_id)}"
        )
        assert scenario.mutations_of(session_id) - before == 1, f"{where} changed it twice"
        assert_reason_recorded(scenario, session_id, CONTRACT_REASON, where)
        result = outcome.result
        assert result is not None
        assert (result.ref, result.idempotency_key) == (adapter.ref(session_id), key), (
            f"{where}: the result names {result.ref} and key {result.idempotency_key!r}"
        )
        assert result.state_after is SessionState.IN_PROGRESS, (
            f"{where}: state_after is {result.state_after}"
        )
        if _RESTORE_FAULTS[fault] is Fault.TIMEOUT_AFTER_SEND:
            sent = len(watched.mutating_requests)
            assert sent == 1, f"{where}: sent {sent} times after the vendor acted; read back"

    def test_bypass_reasons_name_real_checks(self, request: pytest.FixtureRequest) -> None:
        cls = type(self)
        known = {name for klass in cls.__mro__ for name in vars(klass) if name.startswith("test_")}
        known |= {klass.__name__ for klass in cls.__mro__}
        for key, why in cls.bypass_reasons.items():
            base = key.split("[", 1)[0]
            assert base in known, (
                f"bypass_reasons names {key!r}, which is no check or concern class of the suite"
            )
            assert why.strip(), f"bypass of {key!r} needs a written reason"
