"""Observability and hygiene: hooks once per operation, no secret anywhere, timeouts, no escape."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.errors import InterlockError
from interlock.models import (
    OperationOutcome,
    OperationResult,
    SessionFilter,
    SessionState,
    Verb,
)
from interlock_contract.checks import (
    Attempt,
    assert_hooks_once,
    assert_no_secrets,
    assert_timeouts,
    attempt,
    secrets_of,
    texts_of_error,
    texts_of_records,
)
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder, VendorMock
from interlock_contract.scenario import Scenario
from interlock_contract.suites.verbs import source_state

__all__ = ["ObservabilityContract"]


def _some_verb(capabilities: Capabilities) -> Verb | None:
    for verb in (Verb.TERMINATE, Verb.REVOKE, Verb.PAUSE, Verb.RESUME):
        if capabilities.supports(verb):
            return verb
    return None


def _workload(
    run: Any,
    adapter: InterviewAdapter,
    interlock: Interlock,
    capabilities: Capabilities,
    scenario: Scenario,
) -> list[Attempt]:
    """A bit of everything: reads (one of a session without optional fields), a verb, faults,
    expiry, not-found, a failing vendor."""
    attempts: list[Attempt] = []
    session_id = scenario.session_exists(SessionState.IN_PROGRESS)
    attempts.append(attempt(run, adapter.get_session(session_id)))
    sparse = scenario.session_with_optional_fields_missing(SessionState.IN_PROGRESS)
    attempts.append(attempt(run, adapter.get_session(sparse)))
    attempts.append(attempt(run, adapter.list_sessions(SessionFilter(), page_size=5)))
    attempts.append(attempt(run, adapter.get_session(scenario.session_missing())))
    scenario.token_expired_once()
    attempts.append(attempt(run, adapter.get_session(session_id)))
    scenario.server_error(times=10)
    attempts.append(attempt(run, adapter.get_session(session_id)))
    scenario.clear_faults()
    verb = _some_verb(capabilities)
    if verb is not None:
        target = scenario.session_exists(source_state(verb))
        for inject in (scenario.timeout_after_send, scenario.error_in_200, scenario.rate_limited):
            inject(only_mutations=True)
            attempts.append(
                attempt(run, interlock.perform(verb, adapter.ref(target), CONTRACT_REASON))
            )
            scenario.clear_faults()
        missing = adapter.ref(scenario.session_missing())
        attempts.append(attempt(run, interlock.perform(verb, missing, CONTRACT_REASON)))
    return attempts


async def _first_item(batch: Coroutine[Any, Any, list[OperationResult]]) -> OperationResult:
    return (await batch)[0]


def _request_id_of(error: InterlockError) -> str | None:
    found = getattr(error, "vendor_request_id", None) or error.details.get("vendor_request_id")
    return str(found) if found else None


class ObservabilityContract(ContractFixtures):
    """What operators and auditors rely on, whatever the vendor does."""

    contract_concern: ClassVar[str] = "observability"

    def test_hooks_fire_once_per_operation_whatever_the_outcome(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        hooks: HookRecorder,
    ) -> None:
        verb = _some_verb(capabilities)
        self.require(request, verb is not None, "observability: no verb is automated")
        assert verb is not None
        applied = scenario.session_exists(source_state(verb))
        missing = scenario.session_missing()
        refused = scenario.session_exists(SessionState.COMPLETED)
        failing = scenario.session_exists(source_state(verb))
        refs = [adapter.ref(i) for i in (applied, missing, refused, failing)]
        for ref in refs[:3]:
            attempt(run, interlock.perform(verb, ref, CONTRACT_REASON))
        scenario.server_error(times=10)
        attempt(run, interlock.perform(verb, refs[3], CONTRACT_REASON))
        scenario.clear_faults()
        assert_hooks_once(hooks, refs)
        outcomes = {e.ref.session_id: e.result for e in hooks.finished}
        assert outcomes[applied].outcome is OperationOutcome.APPLIED
        assert outcomes[missing].error_code == "SESSION.NOT_FOUND"
        assert outcomes[refused].error_code == "SESSION.INVALID_TRANSITION"
        assert outcomes[failing].error_code == "VENDOR.UNAVAILABLE"

    def test_no_secret_in_logs_errors_or_reprs(
        self,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        contract_logs: pytest.LogCaptureFixture,
    ) -> None:
        attempts = _workload(run, adapter, interlock, capabilities, scenario)
        secrets = secrets_of(adapter, scenario)
        assert secrets, "found no secret to look for: declare VendorDouble.secrets in the double"
        texts = [repr(adapter), repr(adapter.context), repr(getattr(adapter, "options", None))]
        texts += [repr(value) for value in vars(adapter).values()]
        for outcome in attempts:
            if outcome.error is not None:
                texts += texts_of_error(outcome.error)
            if outcome.result is not None:
                texts.append(repr(outcome.result))
        assert_no_secrets(secrets, texts, where="an error or a repr")
        assert_no_secrets(secrets, texts_of_records(contract_logs.records), where="a log record")

    def test_log_records_name_the_account(
        self,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        contract_logs: pytest.LogCaptureFixture,
    ) -> None:
        """Every log record about a vendor call (successes, retries, failures) names the
        account it was for: one gateway serves many accounts of one vendor, and a log line
        that cannot be told apart is no help to the operator on call."""
        _workload(run, adapter, interlock, capabilities, scenario)
        about_calls = [r for r in contract_logs.records if r.name.startswith("interlock")]
        assert about_calls, "the workload logged nothing: log vendor calls with VendorClient"
        for record in about_calls:
            named = getattr(record, "account", None)
            # the VendorClient's lines and the adapters' own (``interlock.adapters.<name>``)
            required = record.name.startswith(("interlock.http", "interlock.adapters"))
            assert named == adapter.account or (named is None and not required), (
                f"the log record {record.getMessage()!r} names account {named!r}, not "
                f"{adapter.account!r}; build the VendorClient with account=context.account"
            )
        assert any(getattr(r, "account", None) == adapter.account for r in about_calls), (
            "no log record names the account; log with extra={'account': ...}"
        )

    def test_errors_and_results_name_the_vendors_request_id(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        """What support asks for first: the vendor's request id, on every error and result."""
        header = scenario.double.request_id_header
        self.require(request, header is not None, "the vendor sends no request id")
        assert header is not None
        verb = _some_verb(capabilities)
        self.require(request, verb is not None, "observability: no verb is automated")
        assert verb is not None
        run(adapter.get_session(scenario.session_exists()))
        cases: list[tuple[str, Callable[[], Coroutine[Any, Any, Any]]]] = [
            ("a missing session", lambda: adapter.get_session(scenario.session_missing())),
            ("an applied verb", lambda: interlock.perform(verb, adapter.ref(
                scenario.session_exists(source_state(verb))), CONTRACT_REASON)),
        ]  # fmt: skip
        if capabilities.native_batch(verb):
            cases.append(("an applied batch item", lambda: _first_item(adapter.batch(
                verb, [scenario.session_exists(source_state(verb))], CONTRACT_REASON,
                idempotency_key=f"contract-rid-{verb}"))))  # fmt: skip
        for what, call in cases:
            with scenario.watch() as watched:
                outcome = attempt(run, call())
            sent = {e.response.headers.get(header) for e in watched.exchanges if e.response}
            named = _request_id_of(outcome.error) if outcome.error else None
            if outcome.result is not None:
                named = outcome.result.vendor_request_id
            assert named in sent - {None}, (
                f"{what}: the vendor answered with request ids {sorted(i for i in sent if i)} "
                f"({header}), but the {'error' if outcome.error else 'result'} names "
                f"{named!r}: pass request_id_header= to VendorClient and keep the id"
            )

    def test_every_request_has_a_timeout(
        self,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        _workload(run, adapter, interlock, capabilities, scenario)
        assert scenario.requests, "the workload made no request"
        assert_timeouts(scenario)

    def test_no_request_escapes_the_double(
        self,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        vendor_mock: VendorMock,
    ) -> None:
        try:
            _workload(run, adapter, interlock, capabilities, scenario)
        except AssertionError as error:  # respx: a request no route of the double matched
            raise AssertionError(f"a request escaped the vendor double: {error}") from None
        served = len(scenario.requests)
        seen = len(vendor_mock.traffic.exchanges)
        assert served == seen, (
            f"the double served {served} requests but {seen} went over the mocked network; "
            "build every HTTP client with AccountContext.transport"
        )
