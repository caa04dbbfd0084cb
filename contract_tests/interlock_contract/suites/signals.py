"""The vendor's own signals, as the adapter declares them (``InterviewAdapter.vendor_signals``).

* A declared throttle answer — with the wait in the vendor's own header (``Retry-After``,
  Feishu's ``x-ogw-ratelimit-reset``) or only in its documentation — is waited out: once, and
  when the vendor keeps throttling for the whole window it announced.
* A declared "outcome unknown" answer (an API gateway's own timeout code, inside a 200 or a
  5xx) is read back, never resent blind: the vendor may have acted before answering so, or not.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.http import ThrottleSignal
from interlock.models import Verb
from interlock.transitions import TARGET_STATE
from interlock_contract.checks import assert_hooks_once, attempt
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.harness import RecordingSleep as _RecordingSleep
from interlock_contract.scenario import Scenario
from interlock_contract.suites.faults import check_bounded, check_truthful
from interlock_contract.suites.verbs import source_state

__all__ = ["VendorSignalsContract"]

BURST_SECONDS = 3
"""A burst holds this many seconds' worth of reads at the vendor's limit."""
BURST_CAP = 150
"""... but no more reads than this (a vendor with a high limit would make the check slow)."""

ANNOUNCED_WAIT_S = 2.5
"""What an injected throttle with a wait header announces (more than any backoff's jitter)."""


def _asked(signal: ThrottleSignal) -> float:
    return ANNOUNCED_WAIT_S if signal.wait_header else signal.documented_wait_s


class VendorSignalsContract(ContractFixtures):
    """Declared throttle and ambiguity answers of the vendor, injected as the vendor sends them."""

    contract_concern: ClassVar[str] = "errors & retries"

    @pytest.mark.parametrize("window", [False, True], ids=["once", "for-its-window"])
    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_declared_throttle_is_waited_out(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        hooks: HookRecorder,
        retry_sleep: _RecordingSleep,
        verb: Verb,
        window: bool,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        signals = type(adapter).vendor_signals.throttles
        self.require(request, bool(signals), "vendor signals: no throttle declared")
        refs = []
        for signal in signals:
            session_id = scenario.session_exists(source_state(verb))
            refs.append(adapter.ref(session_id))
            run(adapter.get_session(session_id))  # warm up: the token is fetched first
            asked = _asked(signal)
            scenario.vendor_throttles(signal, wait_s=asked, window=window)
            waits_before = len(retry_sleep.waits)
            with scenario.watch() as watched:
                outcome = attempt(run, interlock.perform(verb, refs[-1], CONTRACT_REASON))
            scenario.clear_faults()
            where = f"{verb} under the declared throttle {signal.status} {signal.body!r}"
            waited = sum(retry_sleep.waits[waits_before:])
            assert outcome.succeeded, (
                f"{where} ({'for its window' if window else 'once'}): the vendor asked to wait "
                f"{asked:g} s, the adapter waited {waited:.2f} s and {outcome.describe()}; raise "
                "VendorRateLimited(retry_after=...) with the wait the vendor announced "
                f"({signal.wait_header or 'its documented wait'}) and let the toolkit wait"
            )
            assert waited >= asked, (
                f"{where}: the vendor asked to wait {asked:g} s "
                f"({signal.wait_header or 'documented'}) but the adapter waited {waited:.2f} s"
            )
            check_truthful(outcome, scenario, refs[-1].session_id, source_state(verb),
                           TARGET_STATE[verb], where)  # fmt: skip
            check_bounded(watched, where)
        assert_hooks_once(hooks, refs)

    @pytest.mark.parametrize("acted", [True, False], ids=["after-acting", "before-acting"])
    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_declared_ambiguous_answer_is_read_back(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
        acted: bool,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        signals = type(adapter).vendor_signals.ambiguous
        self.require(request, bool(signals), "vendor signals: no ambiguous answer declared")
        for signal in signals:
            session_id = scenario.session_exists(source_state(verb))
            ref = adapter.ref(session_id)
            run(adapter.get_session(session_id))
            scenario.vendor_is_unsure(signal, acted=acted)
            with scenario.watch() as watched:
                outcome = attempt(run, interlock.perform(verb, ref, CONTRACT_REASON))
            scenario.clear_faults()
            where = f"{verb} under the declared ambiguous answer {signal.body!r}"
            assert outcome.succeeded, (
                f"{where}: the vendor's own 'outcome unknown' answer must be read back (raise "
                f"VendorTimeout(ambiguous=True) for it), but {outcome.describe()}\n"
                f"requests:\n{watched.describe()}"
            )
            check_truthful(outcome, scenario, session_id, source_state(verb), TARGET_STATE[verb],
                           where)  # fmt: skip
            mutating = len(watched.mutating_requests)
            if acted:
                assert mutating == 1, (
                    f"{where} after the vendor acted: the mutation was sent {mutating} times; "
                    "read the session back instead of resending"
                )
            check_bounded(watched, where)

    def test_a_burst_of_reads_is_paced_under_the_vendors_limit(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        """Reads started at once, a few seconds' worth at the vendor's limit, are paced by the
        adapter's limiter (``InterviewAdapter.rate_limiter``), so the vendor throttles none: a
        throttled call is a wasted call, and a vendor may block an app that keeps hitting its
        limit. (Concurrent waits on the kit's virtual clock overlap, as in real time.)"""
        double = scenario.double
        count = min(BURST_CAP, int(double.qps * BURST_SECONDS))
        ids = [scenario.session_exists() for _ in range(count)]
        run(adapter.get_session(ids[0]))  # the token is fetched first

        async def burst() -> list[Any]:
            reads = (adapter.get_session(i) for i in ids)
            return list(await asyncio.gather(*reads, return_exceptions=True))

        before = double.throttle_rejections
        failed = [r for r in run(burst()) if isinstance(r, BaseException)]
        throttled = double.throttle_rejections - before
        first = f"; {len(failed)} reads failed, the first with {failed[0]!r}" if failed else ""
        assert (throttled, len(failed)) == (0, 0), (
            f"{count} reads at once, {BURST_SECONDS} s worth at the vendor's limit of "
            f"{double.qps:g}/s: the vendor throttled {throttled} of the calls{first}; pace "
            "calls with self.rate_limiter(default=<the vendor's limit>) passed to the "
            "VendorClient"
        )
