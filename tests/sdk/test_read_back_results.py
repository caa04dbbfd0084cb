"""``read_back_results``: the items a batch answer left out, decided by one read."""

from __future__ import annotations

import pytest

from interlock.adapter import read_back_results
from interlock.errors import VendorRateLimited
from interlock.models import OperationOutcome, SessionRef, SessionState, Verb

ACCOUNT = "acme-ding"


def refs(*ids: str) -> list[SessionRef]:
    return [SessionRef(account=ACCOUNT, session_id=i) for i in ids]


class Reads:
    """A read of states that records what it was asked, and answers or fails as told."""

    def __init__(self, states: dict[str, SessionState], error: Exception | None = None) -> None:
        self.states = states
        self.error = error
        self.asked: list[list[str]] = []

    async def __call__(self, ids: list[str]) -> dict[str, SessionState]:
        self.asked.append(ids)
        if self.error is not None:
            raise self.error
        return {i: self.states[i] for i in ids if i in self.states}


async def test_nothing_left_out_reads_nothing() -> None:
    reads = Reads({})
    assert await read_back_results([], Verb.PAUSE, reads, key="k") == {}
    assert reads.asked == []


async def test_each_item_is_decided_from_its_state_in_one_read() -> None:
    reads = Reads(
        {
            "applied": SessionState.PAUSED,
            "refused": SessionState.COMPLETED,
            "unchanged": SessionState.IN_PROGRESS,
        }
    )
    results = await read_back_results(
        refs("applied", "refused", "unchanged", "gone"), Verb.PAUSE, reads, key="k"
    )

    assert reads.asked == [["applied", "refused", "unchanged", "gone"]]
    assert {i: r.outcome for i, r in results.items()} == {
        "applied": OperationOutcome.APPLIED,
        "refused": OperationOutcome.FAILED,
        "unchanged": OperationOutcome.FAILED,
        "gone": OperationOutcome.FAILED,
    }
    assert results["applied"].state_after is SessionState.PAUSED
    assert results["refused"].error_code == "SESSION.INVALID_TRANSITION"
    assert results["unchanged"].error_code == "VENDOR.UNAVAILABLE"  # resending is safe
    assert results["gone"].error_code == "SESSION.NOT_FOUND"
    assert {i: r.idempotency_key for i, r in results.items()} == {
        i: f"k:{i}" for i in ("applied", "refused", "unchanged", "gone")
    }


@pytest.mark.parametrize("ids", [("a",), ("a", "b", "c")])
async def test_a_failed_read_fails_each_item_with_its_error(ids: tuple[str, ...]) -> None:
    throttled = VendorRateLimited("dingtalk: too many requests", retry_after=2.0)
    results = await read_back_results(
        refs(*ids), Verb.TERMINATE, Reads({}, error=throttled), key="k"
    )

    assert list(results) == list(ids)
    for session_id, result in results.items():
        assert result.outcome is OperationOutcome.FAILED
        assert result.error_code == "VENDOR.RATE_LIMITED"
        assert result.ref.session_id == session_id
        assert result.idempotency_key == f"k:{session_id}"
