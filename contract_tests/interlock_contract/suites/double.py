"""The vendor double itself: it answers like its vendor, registers the tokens it issues, and is
never more lenient than the vendor's documented rate limit.

These checks come first: the guide tells authors to write the double first, and a double that
does not answer yet is the first thing ``interlock contract`` names."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from typing import Any, ClassVar

import httpx

from interlock.adapter import AccountContext, InterviewAdapter
from interlock.doubles import (
    DEFAULT_DOUBLE_TIMEZONE,
    Fault,
    FaultPlan,
    VendorDouble,
    VirtualClock,
    busiest_window,
)
from interlock.errors import InterlockError
from interlock.http import RetryBudget, RetryPolicy
from interlock.models import SessionState
from interlock.plugins import AdapterSpec
from interlock_contract.harness import ContractFixtures, VendorMock
from interlock_contract.scenario import Scenario

__all__ = ["DoubleContract"]

_RENDERED = (Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.ERROR_IN_200, Fault.MALFORMED_BODY)
_BURSTS_AT = (0.0, 0.5, 1.25)  # on a frozen virtual clock: only the bursts move it
_FROZEN_AT = 1_000_000.0


class _Unlimited:
    """A rate limiter that never waits: the burst must meet the double's own limit."""

    async def acquire(self, key: str, cost: int = 1) -> None:
        return None


class DoubleContract(ContractFixtures):
    """What the double owes the suite before any adapter check can mean anything."""

    contract_concern: ClassVar[str] = "vendor double"

    def test_the_double_answers_like_its_vendor(self, run: Any, double: VendorDouble) -> None:
        answer = run(double.handle(httpx.Request("GET", double.base_url + "/")))
        assert isinstance(answer, httpx.Response), "VendorDouble.handle must answer a Response"
        request = httpx.Request("POST", double.base_url + "/")
        for fault in _RENDERED:
            rendered = double.render_fault(FaultPlan(fault), request)
            assert isinstance(rendered, httpx.Response), f"render_fault({fault}) is no Response"
        double.expire_tokens()

    def test_the_double_registers_the_tokens_it_issues(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        run(adapter.get_session(scenario.session_exists()))
        if scenario.token_requests:
            assert scenario.double.issued_tokens, (
                "the double issued a token but did not register it: call "
                "self.issue_token(token) where the double hands tokens out, so that a token "
                "leaking into a log or an error is caught"
            )

    def test_the_double_is_never_more_lenient_than_its_limit(
        self,
        run: Any,
        contract_spec: AdapterSpec,
        double: VendorDouble,
        vendor_mock: VendorMock,
        scenario: Scenario,
    ) -> None:
        """Bursts at 1.5× the limit, less than a second apart: in no one-second window, sliding
        or calendar, may the double serve more than the vendor's documented limit per API."""
        virtual_clock = VirtualClock(base=lambda: _FROZEN_AT)
        adapter = _unthrottled(contract_spec, double, vendor_mock, virtual_clock)
        session_id = scenario.session_exists(SessionState.PAUSED)
        burst = math.ceil(double.qps * 1.5)

        async def bursts() -> None:
            for at in _BURSTS_AT:
                virtual_clock.advance(max(0.0, at - virtual_clock.offset))
                answers = await asyncio.gather(
                    *(adapter.get_session(session_id) for _ in range(burst)),
                    return_exceptions=True,
                )
                broken = [a for a in answers if isinstance(a, Exception)]
                for answer in broken:  # throttled reads are expected; anything else is not
                    if not isinstance(answer, InterlockError):
                        raise answer
            await adapter.aclose()

        with scenario.watch():
            run(bursts())
        served: dict[str, list[float]] = defaultdict(list)
        for at, api in double.accepted_at:
            served[api].append(at)
        for api, times in served.items():
            for calendar in (False, True):
                most = busiest_window(times, calendar=calendar)
                kind = "calendar second" if calendar else "sliding second"
                assert most <= double.qps, (
                    f"the double served {most} calls of {api} in one {kind}; the vendor allows "
                    f"{double.qps:g}: count calls in a sliding window "
                    "(interlock.doubles.SlidingWindowLimit), never in a bucket that refills"
                )


def _unthrottled(
    spec: AdapterSpec, double: VendorDouble, mock: VendorMock, clock: VirtualClock
) -> InterviewAdapter:
    double.use_clock(clock.monotonic)
    options = spec.options_model.model_validate(double.adapter_options(double.base_url))
    once = RetryPolicy(max_attempts=1, budget=RetryBudget(min_retries=0))
    context = AccountContext(
        account=f"{spec.name}-burst",
        options=options,
        timezone=DEFAULT_DOUBLE_TIMEZONE,
        transport=mock.transport,
        rate_limiter=_Unlimited(),
        retry_policy=once,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    return spec.factory(context)
