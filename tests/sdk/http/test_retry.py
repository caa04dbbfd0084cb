"""RetryPolicy and RetryBudget: explicit limits, full jitter, Retry-After, a budget."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from interlock.errors import (
    InterlockError,
    VendorPermissionDenied,
    VendorQuotaExhausted,
    VendorRateLimited,
    VendorTimeout,
    VendorUnavailable,
)
from interlock.http import RetryBudget, RetryPolicy


def generous_budget() -> RetryBudget:
    return RetryBudget(min_retries=10_000, clock=lambda: 0.0)


async def run(policy: RetryPolicy, operation: Callable[[], Awaitable[Any]]) -> Any:
    """Drive ``operation`` the way VendorClient does: one budget deposit per logical call."""
    async for attempt in policy.retrying():
        with attempt:
            if attempt.retry_state.attempt_number == 1:
                policy.budget.record_attempt()
            return await operation()
    raise AssertionError("unreachable")


class Failing:
    """Raises ``errors`` one per call, then returns "ok"; ``forever`` repeats the last one."""

    def __init__(self, *errors: BaseException, forever: bool = False) -> None:
        self.errors = list(errors)
        self.forever = forever
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.forever and len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def always(error: BaseException) -> Failing:
    return Failing(error, forever=True)


@pytest.mark.parametrize("attempts", [0, 4, -1], ids=["zero", "four", "negative"])
def test_max_attempts_is_between_one_and_three(attempts: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 3"):
        RetryPolicy(max_attempts=attempts)


@pytest.mark.parametrize("attempts", [1, 2, 3])
async def test_retryable_errors_stop_at_max_attempts(sleep: Any, attempts: int) -> None:
    policy = RetryPolicy(max_attempts=attempts, sleep=sleep, budget=generous_budget())
    operation = always(VendorUnavailable("down"))

    with pytest.raises(VendorUnavailable):
        await run(policy, operation)

    assert operation.calls == attempts
    assert len(sleep.waits) == attempts - 1


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(VendorPermissionDenied("no grant"), id="permission-denied"),
        pytest.param(VendorQuotaExhausted("month used up"), id="quota-exhausted"),
        pytest.param(VendorTimeout("unknown", ambiguous=True, retryable=False), id="ambiguous"),
        pytest.param(InterlockError("generic"), id="interlock-error"),
        pytest.param(RuntimeError("a bug"), id="not-ours"),
    ],
)
async def test_non_retryable_errors_are_tried_once(sleep: Any, error: BaseException) -> None:
    operation = always(error)

    with pytest.raises(type(error)):
        await run(RetryPolicy(sleep=sleep, budget=generous_budget()), operation)

    assert operation.calls == 1
    assert sleep.waits == []


async def test_a_success_after_failures_is_returned(sleep: Any) -> None:
    operation = Failing(VendorUnavailable("blip"), VendorTimeout("slow", ambiguous=False))

    assert await run(RetryPolicy(sleep=sleep, budget=generous_budget()), operation) == "ok"
    assert operation.calls == 3


async def test_full_jitter_waits_stay_within_the_exponential_ceiling(sleep: Any) -> None:
    base, cap = 0.2, 0.3
    policy = RetryPolicy(
        base_s=base, cap_s=cap, sleep=sleep, rng=random.Random(1234), budget=generous_budget()
    )
    by_retry: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(200):
        sleep.waits.clear()
        with pytest.raises(VendorUnavailable):
            await run(policy, always(VendorUnavailable("down")))
        for n, wait in enumerate(sleep.waits):
            by_retry[n].append(wait)

    for n, waits in by_retry.items():
        ceiling = min(cap, base * 2**n)
        assert len(waits) == 200
        assert all(0.0 <= w <= ceiling for w in waits), (n, max(waits))
        # full jitter: spread over the whole range, not clustered at the ceiling
        assert min(waits) < ceiling * 0.1
        assert max(waits) > ceiling * 0.9


async def test_jitter_is_reproducible_with_a_seeded_rng(sleep: Any) -> None:
    def waits_for(seed: int) -> Callable[[], Awaitable[list[float]]]:
        async def go() -> list[float]:
            sleep.waits.clear()
            policy = RetryPolicy(sleep=sleep, rng=random.Random(seed), budget=generous_budget())
            with pytest.raises(VendorUnavailable):
                await run(policy, always(VendorUnavailable("down")))
            return list(sleep.waits)

        return go

    assert await waits_for(5)() == await waits_for(5)()
    assert await waits_for(5)() != await waits_for(6)()


@pytest.mark.parametrize("retry_after", [0.0, 1.5, 7.0, 29.0])
async def test_retry_after_is_what_the_policy_sleeps(sleep: Any, retry_after: float) -> None:
    policy = RetryPolicy(max_elapsed_s=60.0, sleep=sleep, budget=generous_budget())
    operation = Failing(VendorRateLimited("slow down", retry_after=retry_after))

    assert await run(policy, operation) == "ok"

    [wait] = sleep.waits
    assert retry_after <= wait <= retry_after + min(0.25, retry_after * 0.1)


async def test_rate_limited_without_retry_after_backs_off_with_jitter(sleep: Any) -> None:
    operation = Failing(VendorRateLimited("slow down"))

    await run(RetryPolicy(sleep=sleep, base_s=0.2, budget=generous_budget()), operation)

    [wait] = sleep.waits
    assert 0.0 <= wait <= 0.2


async def test_retry_after_beyond_the_maximum_is_raised_at_once(sleep: Any) -> None:
    policy = RetryPolicy(max_retry_after_s=10.0, sleep=sleep, budget=generous_budget())
    operation = always(VendorRateLimited("come back tomorrow", retry_after=10.5))

    with pytest.raises(VendorRateLimited):
        await run(policy, operation)

    assert operation.calls == 1
    assert sleep.waits == []


async def test_no_wait_may_cross_the_elapsed_time_limit(sleep: Any) -> None:
    policy = RetryPolicy(
        max_elapsed_s=5.0, max_retry_after_s=30.0, sleep=sleep, budget=generous_budget()
    )
    operation = always(VendorRateLimited("wait", retry_after=12.0))

    with pytest.raises(VendorRateLimited):
        await run(policy, operation)

    assert operation.calls == 1
    assert sleep.waits == []


# -- the budget ---------------------------------------------------------------------------------


def test_budget_allows_the_floor_plus_a_ratio_of_first_attempts(clock: Any) -> None:
    budget = RetryBudget(ratio=0.5, min_retries=1, window_s=10.0, clock=clock)
    for _ in range(4):
        budget.record_attempt()

    spent = sum(budget.try_spend() for _ in range(10))

    assert spent == 1 + 0.5 * 4


def test_budget_forgets_outside_its_window(clock: Any) -> None:
    budget = RetryBudget(ratio=0.0, min_retries=2, window_s=10.0, clock=clock)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()

    clock.advance(10.5)

    assert budget.try_spend()


async def test_a_retry_that_never_happens_costs_no_budget(sleep: Any) -> None:
    budget = RetryBudget(ratio=0.0, min_retries=1, clock=lambda: 0.0)
    single_shot = RetryPolicy(max_attempts=1, sleep=sleep, budget=budget)

    for _ in range(5):
        with pytest.raises(VendorUnavailable):
            await run(single_shot, always(VendorUnavailable("down")))

    assert budget.try_spend()  # the one retry of the floor is still there


async def test_an_exhausted_budget_raises_the_last_error_after_one_attempt(sleep: Any) -> None:
    budget = RetryBudget(ratio=0.0, min_retries=0, clock=lambda: 0.0)
    operation = always(VendorUnavailable("down"))

    with pytest.raises(VendorUnavailable, match="down"):
        await run(RetryPolicy(sleep=sleep, budget=budget), operation)

    assert operation.calls == 1
