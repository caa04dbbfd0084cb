"""The fault matrix: every mutating verb × every vendor fault, with the invariants each time.

For each cell the double is told to fail in the vendor's own way and the verb runs through the
facade. Then, whatever the adapter answered, the suite checks:

* the neutral answer is right for that fault (a transient failure is retried and applied, a
  persistent one is the right ``VENDOR.*`` code, an ambiguous one is read back, not resent);
* the answer agrees with the vendor's truth (never "applied" while the vendor did nothing);
* retries are bounded (≤ 3 attempts) and wait what the vendor asked (``Retry-After``);
* the vendor changed the session at most once; after an ambiguous failure exactly one
  mutating request was sent;
* the observer hooks fired exactly once; no secret is in a log line, an error or a ``repr``;
  every request had a timeout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import Fault
from interlock.errors import VendorRateLimited
from interlock.models import OperationOutcome, SessionFilter, SessionState, Verb
from interlock.transitions import TARGET_STATE
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
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.harness import RecordingSleep as _RecordingSleep
from interlock_contract.scenario import Scenario, Window
from interlock_contract.suites.verbs import source_state

__all__ = [
    "FAULTS",
    "FaultCase",
    "FaultMatrixContract",
    "ReadFaultsContract",
    "check_bounded",
    "check_hygiene",
    "check_truthful",
]

MAX_ATTEMPTS = 3
RETRY_AFTER_S = 1.5


@dataclass(frozen=True)
class FaultCase:
    """One column of the matrix: how to break the vendor and what the right answer is.

    ``expect`` is ``applied`` (a transient fault: retried, applied once), ``read_back`` (an
    ambiguous fault after the vendor acted: applied, confirmed by reading back, one mutating
    request), a ``VENDOR.*`` code (a persistent fault), or ``truthful`` (either answer is fine as
    long as it agrees with the vendor).
    """

    name: str
    inject: Callable[[Scenario], object]
    expect: str
    codes: tuple[str, ...] = ()


FAULTS: tuple[FaultCase, ...] = (
    FaultCase("5xx-once", lambda s: s.server_error(only_mutations=True), "applied"),
    FaultCase(
        "5xx-persistent",
        lambda s: s.server_error(times=10, only_mutations=True),
        "VENDOR.UNAVAILABLE",
    ),
    FaultCase(
        "throttled-retry-after",
        lambda s: s.rate_limited(RETRY_AFTER_S, only_mutations=True),
        "applied",
    ),
    FaultCase("throttled-no-retry-after", lambda s: s.rate_limited(only_mutations=True), "applied"),
    FaultCase(
        "throttled-persistent",
        lambda s: s.rate_limited(0.5, times=10, only_mutations=True),
        "VENDOR.RATE_LIMITED",
    ),
    FaultCase(
        "timeout-before-send", lambda s: s.timeout_before_send(only_mutations=True), "applied"
    ),
    FaultCase(
        "timeout-after-send", lambda s: s.timeout_after_send(only_mutations=True), "read_back"
    ),
    FaultCase("connection-reset", lambda s: s.connection_reset(only_mutations=True), "read_back"),
    # ambiguous too, but the vendor never acted: the read-back must say so, and a resend apply
    FaultCase(
        "timeout-before-acting", lambda s: s.timeout_before_acting(only_mutations=True), "applied"
    ),
    FaultCase(
        "reset-before-acting", lambda s: s.reset_before_acting(only_mutations=True), "applied"
    ),
    FaultCase(
        "malformed-body",
        lambda s: s.malformed_body(only_mutations=True),
        "truthful",
        ("VENDOR.PROTOCOL_ERROR", "VENDOR.UNAVAILABLE"),
    ),
    FaultCase(
        "error-in-200",
        lambda s: s.error_in_200(only_mutations=True),
        "truthful",
        ("VENDOR.UNAVAILABLE", "VENDOR.PROTOCOL_ERROR", "VENDOR.RATE_LIMITED"),
    ),
)


def _matrix() -> list[Any]:
    return [pytest.param(verb, case, id=f"{verb}-{case.name}") for verb in Verb for case in FAULTS]


class FaultMatrixContract(ContractFixtures):
    """Errors and retries of every mutating verb under every vendor fault."""

    contract_concern: ClassVar[str] = "errors & retries"

    @pytest.mark.parametrize(("verb", "case"), _matrix())
    def test_fault_matrix(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        hooks: HookRecorder,
        retry_sleep: _RecordingSleep,
        contract_logs: pytest.LogCaptureFixture,
        verb: Verb,
        case: FaultCase,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        source = source_state(verb)
        session_id = scenario.session_exists(source)
        ref = adapter.ref(session_id)
        run(adapter.get_session(session_id))  # warm up: the token is fetched before the fault
        case.inject(scenario)
        key = f"contract-fault-{session_id}"
        with scenario.watch() as window:
            outcome = attempt(
                run, interlock.perform(verb, ref, CONTRACT_REASON, idempotency_key=key)
            )
        scenario.clear_faults()
        where = f"{verb} under {case.name}"
        _check_expected(case, outcome, window, where)
        check_truthful(outcome, scenario, session_id, source, TARGET_STATE[verb], where)
        if outcome.result is not None and outcome.result.confirmed_by_read_back:
            said = (outcome.result.state_after, outcome.result.idempotency_key)
            assert said == (TARGET_STATE[verb], key), (
                f"{where}: the result confirmed by the read-back says (state_after, key) = "
                f"{said}; name the state read back and the caller's key ({key!r}) — "
                "interlock.adapter.confirmed_result"
            )
        check_bounded(window, where)
        if case.name == "throttled-retry-after":
            _check_waited_as_told(window, retry_sleep, where)
        if case.name == "throttled-no-retry-after":
            assert retry_sleep.waits or _gap(window) > 0.05, f"{where}: retried without waiting"
        assert_hooks_once(hooks, [ref])
        check_hygiene(adapter, scenario, outcome, contract_logs, where)


def _check_expected(case: FaultCase, outcome: Attempt, window: Window, where: str) -> None:
    mutating = len(window.mutating_requests)
    if case.expect in ("applied", "read_back"):
        how = "after reading back" if case.expect == "read_back" else "after a retry"
        assert outcome.succeeded, (
            f"{where}: the verb should succeed ({how}) but {outcome.describe()}\n"
            f"requests:\n{window.describe()}"
        )
    if case.expect == "read_back":
        assert outcome.result is not None
        assert mutating == 1, (
            f"{where}: the mutation was sent {mutating} times; after an ambiguous failure read the "
            f"session back (VendorClient.request(read_back=...)) instead of resending\n"
            f"requests:\n{window.describe()}"
        )
        assert outcome.result.confirmed_by_read_back, (
            f"{where}: the result must say confirmed_by_read_back=True"
        )
    elif case.expect.startswith("VENDOR."):
        assert outcome.code == case.expect, (
            f"{where}: expected {case.expect} after the retries, but {outcome.describe()}"
        )
        if case.expect == "VENDOR.RATE_LIMITED" and outcome.error is not None:
            assert isinstance(outcome.error, VendorRateLimited)
    elif case.expect == "truthful" and outcome.result is None:
        assert outcome.code in case.codes, (
            f"{where}: expected one of {case.codes}, but {outcome.describe()}"
        )


def check_truthful(
    outcome: Attempt,
    scenario: Scenario,
    session_id: str,
    source: SessionState,
    target: SessionState,
    where: str,
) -> None:
    mutations = scenario.mutations_of(session_id)
    state = scenario.state_of(session_id)
    assert mutations <= 1, f"{where}: the vendor changed the session {mutations} times"
    result = outcome.result
    if result is not None and result.outcome is OperationOutcome.APPLIED:
        assert (state, mutations) == (target, 1), (
            f"{where}: the adapter reported `applied` but the vendor's session is still {state} "
            "— an error (maybe inside an HTTP 200 body) was taken for success"
        )
    else:
        assert (state, mutations) == (source, 0), (
            f"{where}: the adapter reported {outcome.describe()} but the vendor did change the "
            f"session to {state}: read it back after an ambiguous failure"
        )


def check_bounded(window: Window, where: str) -> None:
    mutating = len(window.mutating_requests)
    assert mutating <= MAX_ATTEMPTS, (
        f"{where}: {mutating} mutating requests; retries must stop at {MAX_ATTEMPTS} attempts\n"
        f"requests:\n{window.describe()}"
    )


def _gap(window: Window) -> float:
    times = [r.at for r in window.mutating_requests]
    return times[-1] - times[0] if len(times) > 1 else 0.0


def _check_waited_as_told(window: Window, sleep: _RecordingSleep, where: str) -> None:
    told = [e.retry_after for e in window.exchanges if e.retry_after is not None]
    if not told:
        # This vendor never says how long to wait; the adapter must still back off.
        assert sleep.waits or _gap(window) > 0.05, f"{where}: retried without waiting"
        return
    asked = max(told)
    waited = max([*sleep.waits, _gap(window)])
    assert waited >= asked, (
        f"{where}: the vendor asked to wait {asked:g} s (Retry-After) but the adapter waited "
        f"{waited:.2f} s; raise VendorRateLimited(retry_after=...) and let the toolkit's retry "
        "policy (AccountContext.retry_policy) wait"
    )


def check_hygiene(
    adapter: InterviewAdapter,
    scenario: Scenario,
    outcome: Attempt,
    logs: pytest.LogCaptureFixture,
    where: str,
) -> None:
    secrets = secrets_of(adapter, scenario)
    texts = [repr(adapter), repr(adapter.context), repr(getattr(adapter, "options", None))]
    if outcome.error is not None:
        texts += texts_of_error(outcome.error)
    if outcome.result is not None:
        texts += [repr(outcome.result), outcome.result.model_dump_json()]
    assert_no_secrets(secrets, texts, where=f"an error or repr ({where})")
    assert_no_secrets(secrets, texts_of_records(logs.records), where=f"a log record ({where})")
    assert_timeouts(scenario)


class ReadFaultsContract(ContractFixtures):
    """Reads under faults: transient failures are retried, persistent ones are named."""

    contract_concern: ClassVar[str] = "errors & retries"

    @pytest.mark.parametrize(
        "fault",
        ["5xx-once", "throttled-once", "timeout-after-send", "connection-reset"],
    )
    def test_read_recovers_from_a_transient_fault(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, fault: str
    ) -> None:
        session_id = scenario.session_exists(SessionState.PAUSED)
        run(adapter.get_session(session_id))
        inject: dict[str, Callable[[], object]] = {
            "5xx-once": scenario.server_error,
            "throttled-once": lambda: scenario.rate_limited(0.2),
            "timeout-after-send": scenario.timeout_after_send,
            "connection-reset": scenario.connection_reset,
        }
        inject[fault]()
        with scenario.watch() as window:
            session = run(adapter.get_session(session_id))
        assert session.state is SessionState.PAUSED
        assert 2 <= len(window.requests) <= MAX_ATTEMPTS, (
            f"a read under {fault} took {len(window.requests)} requests (expected a retry, "
            f"at most {MAX_ATTEMPTS})\n{window.describe()}"
        )

    @pytest.mark.parametrize("fault", [Fault.TIMEOUT_AFTER_SEND, Fault.CONNECTION_RESET], ids=str)
    def test_a_read_lost_on_the_way_back_is_sent_again(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, fault: Fault
    ) -> None:
        """A read changes nothing at the vendor, so one whose answer was lost is simply sent
        again — a listing sent as a POST too (``mutating=False``) — never failed as "outcome
        unknown"."""
        session_id = scenario.session_exists()
        run(adapter.get_session(session_id))  # the token is fetched before the fault
        reads: dict[str, Callable[[], Awaitable[object]]] = {
            "get_session": lambda: adapter.get_session(session_id),
            "list_sessions": lambda: adapter.list_sessions(SessionFilter(), page_size=5),
        }
        for name, read in reads.items():
            scenario.fault(fault)
            outcome = attempt(run, read())
            scenario.clear_faults()
            assert outcome.error is None, (
                f"{name} after one {fault}: {outcome.describe()}; a read is safe to send again "
                "(VendorClient.request(..., mutating=False) for a read sent as a POST)"
            )

    def test_persistent_5xx_on_a_read_is_unavailable(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        session_id = scenario.session_exists(SessionState.PAUSED)
        run(adapter.get_session(session_id))
        scenario.server_error(times=10)
        with scenario.watch() as window:
            outcome = attempt(run, adapter.get_session(session_id))
        assert outcome.code == "VENDOR.UNAVAILABLE", outcome.describe()
        assert len(window.requests) <= MAX_ATTEMPTS, window.describe()
