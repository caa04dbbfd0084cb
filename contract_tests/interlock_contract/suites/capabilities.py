"""Capabilities are data that tell the truth: declared verbs work, the others are refused
before any vendor call, and nothing is skipped without a written reason."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.errors import UnsupportedOperation
from interlock.models import OperationOutcome, SessionState, Verb
from interlock_contract.checks import attempt
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.scenario import Scenario
from interlock_contract.suites.batch import collect_batch
from interlock_contract.suites.verbs import source_state

__all__ = ["CapabilitiesContract"]


def _overrides(adapter: InterviewAdapter, *methods: str) -> bool:
    """Whether the adapter's class implements any of ``methods`` itself (methods the SDK's base
    class does not have count as not implemented)."""
    return any(
        getattr(type(adapter), m, None) is not getattr(InterviewAdapter, m, None)
        and getattr(type(adapter), m, None) is not None
        for m in methods
    )


class CapabilitiesContract(ContractFixtures):
    """The declared capabilities match what the adapter really does."""

    contract_concern: ClassVar[str] = "capabilities"

    def test_capabilities_are_data(self, adapter: InterviewAdapter, scenario: Scenario) -> None:
        first, second = adapter.capabilities, adapter.capabilities
        assert isinstance(first, Capabilities), "capabilities must be a Capabilities model"
        assert first == second, "capabilities must be stable"
        assert not scenario.requests, "reading capabilities must not call the vendor"
        assert adapter.vendor, 'declare `vendor = "..."` on the adapter class'

    def test_declared_features_are_implemented(
        self, adapter: InterviewAdapter, capabilities: Capabilities
    ) -> None:
        for verb in Verb:
            if capabilities.supports(verb):
                assert _overrides(adapter, str(verb), "change_state"), (
                    f"{verb} is declared {capabilities.level(verb)} but the adapter implements "
                    f"neither {type(adapter).__name__}.{verb} nor change_state"
                )
        if capabilities.restore:
            assert _overrides(adapter, "restore"), "restore=True but restore is not implemented"
        if capabilities.native_batch_size:
            assert _overrides(adapter, "batch", "batch_chunk"), (
                "native_batch_size > 0 but there is no native batch call; implement batch_chunk "
                "(or batch) with the vendor's batch call, or declare native_batch_size=0"
            )
        if capabilities.push_events:
            assert _overrides(adapter, "parse_callback"), "push_events=True but no parse_callback"

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
    ) -> None:
        if not capabilities.restore:
            session_id = scenario.session_exists(SessionState.TERMINATED)
            outcome = attempt(
                run,
                adapter.restore(
                    session_id, SessionState.IN_PROGRESS, CONTRACT_REASON, idempotency_key="r"
                ),
            )
            assert isinstance(outcome.error, UnsupportedOperation), outcome.describe()
            assert not scenario.requests, "an undeclared restore called the vendor"
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
