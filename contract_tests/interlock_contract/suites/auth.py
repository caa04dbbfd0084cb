"""Auth: tokens are fetched once for many callers and refreshed once on the vendor's signal."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import (
    DEFAULT_DOUBLE_TIMEZONE,
    Fault,
    VendorDouble,
    VirtualClock,
    wire_adapter,
)
from interlock.errors import ConfigurationError
from interlock.http import RetryPolicy
from interlock.models import Session, SessionState, Verb
from interlock.plugins import AdapterSpec
from interlock.transitions import TARGET_STATE
from interlock_contract.checks import (
    A_DAY_S,
    assert_hooks_once,
    assert_no_secrets,
    assert_well_told,
    attempt,
    secrets_of,
    texts_of_error,
    texts_of_records,
)
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder, VendorMock
from interlock_contract.scenario import Scenario
from interlock_contract.suites.batch import collect_batch
from interlock_contract.suites.verbs import source_state

__all__ = ["AuthContract"]

CONCURRENT_CALLS = 50


def _fetch_many(run: Any, adapter: InterviewAdapter, ids: list[str]) -> list[Session]:
    async def many() -> list[Session]:
        return list(await asyncio.gather(*(adapter.get_session(i) for i in ids)))

    sessions: list[Session] = run(many())
    return sessions


class AuthContract(ContractFixtures):
    """Single-flight token fetch and refresh-and-replay once."""

    contract_concern: ClassVar[str] = "auth"

    def _warm_up(self, run: Any, adapter: InterviewAdapter, scenario: Scenario) -> str:
        session_id = scenario.session_exists(SessionState.IN_PROGRESS)
        before = scenario.token_requests
        run(adapter.get_session(session_id))
        assert scenario.token_requests - before == 1, (
            f"the first call made {scenario.token_requests - before} token requests, expected 1; "
            "count token requests in the double (double.token_requests += 1 in its token "
            "endpoint), or bypass the auth checks with a reason if the vendor has no tokens"
        )
        return session_id

    def test_every_configuration_reads_changes_and_renews(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        contract_spec: AdapterSpec,
        double: VendorDouble,
        vendor_mock: VendorMock,
        retry_policy: RetryPolicy,
        virtual_clock: VirtualClock,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        """Each other way to set up an account at the vendor (``other_adapter_options``: an ISV
        app beside an internal one...) gets a token, reads, changes a session and renews an
        expired token, like the configuration the rest of the suite uses."""
        configurations = double.other_adapter_options(double.base_url)
        self.require(request, bool(configurations), "the double offers one configuration")
        verb = next((v for v in Verb if capabilities.level(v).automated), None)
        self.require(request, verb is not None, "no verb is automated")
        assert verb is not None
        for name, options in configurations.items():

            async def build(name: str = name, options: Any = options) -> InterviewAdapter:
                return wire_adapter(
                    contract_spec,
                    double,
                    account=f"{contract_spec.name}-{name}",
                    transport=vendor_mock.transport,
                    retry_policy=retry_policy,
                    clock=virtual_clock,
                    options=options,
                )

            adapter = run(build())
            try:
                self._check_configuration(run, adapter, scenario, virtual_clock, verb, name)
            finally:
                run(adapter.aclose())

    def test_an_unusable_configuration_is_refused_when_built(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        contract_spec: AdapterSpec,
        double: VendorDouble,
        vendor_mock: VendorMock,
        scenario: Scenario,
    ) -> None:
        """An account the vendor could never serve (``unusable_adapter_options``: a secret of the
        wrong shape; or no timezone, for a vendor that sends zone-less times) is refused when
        the adapter is built, with a ``ConfigurationError`` that says what to fix — not at 3 a.m.
        with the first push or the first session read."""
        setups: dict[str, tuple[Any, Any]] = {
            name: (options, DEFAULT_DOUBLE_TIMEZONE)
            for name, options in double.unusable_adapter_options(double.base_url).items()
        }
        setups["no timezone"] = (None, None)
        refusals = 0
        for name, (options, zone) in setups.items():

            async def build(options: Any = options, zone: Any = zone) -> InterviewAdapter:
                return wire_adapter(
                    contract_spec,
                    double,
                    account=f"{contract_spec.name}-unusable",
                    transport=vendor_mock.transport,
                    options=options,
                    timezone=zone,
                )

            try:
                adapter = run(build())
            except ConfigurationError as refused:
                given = [str(v) for k, v in (options or {}).items() if "secret" in k]
                _check_refusal(refused, name, [*scenario.secrets(), *given])
                refusals += 1
                continue
            run(adapter.aclose())
            assert options is None, (
                f"an account with {name} was accepted; refuse it when the adapter is built "
                "(raise interlock.errors.ConfigurationError with a hint)"
            )
        self.require(
            request, refusals > 0, "nothing to refuse: the double names no unusable configuration"
        )

    def _check_configuration(
        self,
        run: Any,
        adapter: InterviewAdapter,
        scenario: Scenario,
        virtual_clock: VirtualClock,
        verb: Verb,
        name: str,
    ) -> None:
        where = f"configuration {name!r}"
        session_id = self._warm_up(run, adapter, scenario)
        read = run(adapter.get_session(session_id))
        assert read.state is scenario.state_of(session_id), (
            f"{where}: read {read.state}, the vendor has {scenario.state_of(session_id)}"
        )
        target = scenario.session_exists(source_state(verb))
        scenario.token_expired_once()
        before = scenario.token_requests
        outcome = attempt(run, adapter.change_state(
            verb, target, CONTRACT_REASON, idempotency_key=f"contract-{name}"
        ))  # fmt: skip
        assert outcome.succeeded, f"{where}: {verb} after the token expired {outcome.describe()}"
        assert scenario.state_of(target) is TARGET_STATE[verb], (
            f"{where}: {verb} reported success but the vendor has {scenario.state_of(target)}"
        )
        assert scenario.token_requests - before == 1, (
            f"{where}: renewing the expired token took {scenario.token_requests - before} token "
            "requests, expected 1"
        )
        scenario.token_expired_once()
        scenario.fault(Fault.TIMEOUT_AFTER_SEND, on_token_requests=True)
        lost = attempt(run, adapter.get_session(session_id))
        assert lost.error is None, (
            f"{where}: a read whose token answer was lost failed: {lost.error!r}; send this "
            "configuration's token request with mutating=False too"
        )
        virtual_clock.advance(A_DAY_S)
        with scenario.watch() as later:
            run(adapter.get_session(session_id))
        sent = [(r.method, r.path) for r in later.requests if not r.token]
        renewed = later.token_requests == 1 and len(sent) == len(set(sent))
        assert renewed, (
            f"{where}: a day later, a read made {later.token_requests} token requests, or sent "
            "a call twice: time this configuration's tokens on AccountContext.monotonic too\n"
            + later.describe()
        )

    def test_concurrent_first_calls_fetch_one_token(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        ids = scenario.sessions_exist(5, SessionState.PAUSED) * (CONCURRENT_CALLS // 5)
        with scenario.watch() as window:
            _fetch_many(run, adapter, ids)
        assert window.token_requests == 1, (
            f"{CONCURRENT_CALLS} concurrent first calls made {window.token_requests} token "
            "requests; fetch tokens through interlock.http.TokenCache (single flight)"
        )

    def test_a_token_past_its_lifetime_is_renewed_before_use(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, virtual_clock: VirtualClock
    ) -> None:
        """The vendor says how long a token lives; past that, the adapter fetches a new one
        first instead of sending the old one to be refused (one wasted call per expiry, and a
        refusal in the vendor's logs). Within its life the token is reused."""
        session_id = self._warm_up(run, adapter, scenario)
        with scenario.watch() as fresh:
            run(adapter.get_session(session_id))
        assert fresh.token_requests == 0, (
            f"a read right after the first one fetched {fresh.token_requests} tokens: keep the "
            "token for the lifetime the vendor announced (Token.expiring_in(value, seconds))"
        )
        virtual_clock.advance(A_DAY_S)
        with scenario.watch() as later:
            run(adapter.get_session(session_id))
        assert later.token_requests == 1, (
            f"a day later, a read made {later.token_requests} token requests, not 1\n"
            f"{later.describe()}"
        )
        # A day on, the adapter's own caches may have expired too (more calls is fine); a call
        # sent twice is the old token's refusal and the retry.
        sent = [(r.method, r.path) for r in later.requests if not r.token]
        assert len(sent) == len(set(sent)), (
            f"a day later, a read sent a call twice: read the token's lifetime from the "
            f"vendor's answer (in its unit), and time it on AccountContext.monotonic, so that "
            f"an expired token is renewed before it is sent\n"
            f"{later.describe()}"
        )

    @pytest.mark.parametrize(
        "fault", [Fault.TIMEOUT_AFTER_SEND, Fault.CONNECTION_RESET, Fault.SERVER_ERROR], ids=str
    )
    def test_a_token_request_lost_on_the_way_back_is_retried(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, fault: Fault
    ) -> None:
        """Fetching a token changes nothing at the vendor, so a token request whose answer was
        lost (or failed) is simply sent again — it is not a write to be read back."""
        session_id = self._warm_up(run, adapter, scenario)
        scenario.token_expired_once()
        scenario.fault(fault, on_token_requests=True)
        with scenario.watch() as window:
            outcome = attempt(run, adapter.get_session(session_id))
        assert outcome.error is None, (
            f"a read whose token request met {fault} once failed: {outcome.error!r}; send the "
            "token request with mutating=False (it changes nothing), so the toolkit retries it"
        )
        # 2, or 3 where a refresh-token grant the vendor had already used falls back to the
        # credentials grant
        assert 2 <= window.token_requests <= 3, (
            f"{window.token_requests} token requests for one lost answer, expected 2 (or 3)"
        )

    def test_concurrent_calls_after_expiry_refresh_once(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        session_id = self._warm_up(run, adapter, scenario)
        scenario.token_expired_once()
        with scenario.watch() as window:
            sessions = _fetch_many(run, adapter, [session_id] * CONCURRENT_CALLS)
        assert all(s.ref.session_id == session_id for s in sessions)
        assert window.token_requests == 1, (
            f"{CONCURRENT_CALLS} concurrent calls after the token expired made "
            f"{window.token_requests} token requests, expected exactly 1; raise "
            "VendorTokenExpired for the vendor's expiry signal and let the toolkit refresh"
        )
        replays = len(window.requests) - window.token_requests
        assert replays <= 2 * CONCURRENT_CALLS, f"{replays} calls for {CONCURRENT_CALLS} reads"

    @pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.MALFORMED_BODY], ids=str)
    def test_a_failing_token_request_leaks_no_secret(
        self,
        run: Any,
        adapter: InterviewAdapter,
        scenario: Scenario,
        contract_logs: pytest.LogCaptureFixture,
        fault: Fault,
    ) -> None:
        """The token request carries the app's secret: when the vendor's token endpoint fails,
        neither the error nor a log line may repeat that request."""
        session_id = self._warm_up(run, adapter, scenario)
        scenario.token_expired_once()
        scenario.token_requests_fail(fault)
        outcome = attempt(run, adapter.get_session(session_id))
        scenario.clear_faults()
        assert outcome.error is not None, (
            f"every token request failed ({fault}), yet the read {outcome.describe()}"
        )
        secrets = secrets_of(adapter, scenario)
        where = f"the error of a failed token request ({fault})"
        assert_no_secrets(secrets, texts_of_error(outcome.error), where=where)
        assert_no_secrets(secrets, texts_of_records(contract_logs.records), where=where)

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_token_expiry_in_the_middle_of_a_batch(
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
        self._warm_up(run, adapter, scenario)
        size = capabilities.native_batch_size
        count = size + 2 if 0 < size <= 200 else 12
        ids = scenario.sessions_exist(count, source_state(verb))
        refs = [adapter.ref(i) for i in ids]
        scenario.token_expires_after(1, only_mutations=True)
        with scenario.watch() as window:
            results = collect_batch(run, interlock, verb, refs)
        failed = [r for r in results if not r.ok]
        assert not failed, (
            f"{len(failed)} of {count} items failed when the token expired mid-batch, first: "
            f"{failed[0].error_code} {failed[0].error_message}"
        )
        assert window.token_requests == 1, (
            f"the token expired mid-batch and {window.token_requests} token requests followed, "
            "expected exactly 1"
        )
        for session_id in ids:
            assert scenario.mutations_of(session_id) == 1, f"{session_id} changed twice"
        assert_hooks_once(hooks, refs)


def _check_refusal(refused: ConfigurationError, name: str, secrets: list[str]) -> None:
    """A refused account is told what to fix, without its secrets."""
    assert_well_told(refused)
    assert refused.hint, f"{name}: the ConfigurationError gives no hint: {refused}"
    assert_no_secrets(secrets, [str(refused), refused.hint], where=name)
