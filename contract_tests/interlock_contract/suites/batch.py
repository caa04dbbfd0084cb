"""Batches: one result per item, never raising for an item, chunked by the vendor's limit."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.models import OperationOutcome, OperationResult, SessionState, Verb
from interlock.transitions import TARGET_STATE
from interlock_contract.checks import assert_hooks_once
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.scenario import Scenario
from interlock_contract.suites.verbs import source_state

__all__ = ["BatchContract", "collect_batch"]


def collect_batch(run: Any, interlock: Interlock, verb: Verb, refs: list[Any]) -> list[Any]:
    """Every result the facade's batch yields."""

    async def collect() -> list[OperationResult]:
        return [r async for r in interlock.batch(verb, refs, CONTRACT_REASON)]

    results: list[OperationResult] = run(collect())
    return results


class BatchContract(ContractFixtures):
    """``batch`` (native or the default loop) gives one truthful result per item."""

    contract_concern: ClassVar[str] = "batch"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_mixed_batch_has_one_result_per_item_in_order(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        self.require_verb(request, capabilities, verb)
        source, target = source_state(verb), TARGET_STATE[verb]
        applicable = scenario.sessions_exist(3, source)
        already = scenario.session_exists(target)
        missing = scenario.session_missing()
        refused = scenario.session_exists(SessionState.COMPLETED)
        ids = [applicable[0], already, missing, applicable[1], refused, applicable[2]]
        results = run(adapter.batch(verb, ids, CONTRACT_REASON, idempotency_key="contract-mixed"))
        assert [r.ref.session_id for r in results] == ids, (
            "batch must return one result per id, in input order"
        )
        by_id = {r.ref.session_id: r for r in results}
        for session_id in applicable:
            assert by_id[session_id].outcome is OperationOutcome.APPLIED, by_id[session_id]
            assert scenario.state_of(session_id) is target
            assert scenario.mutations_of(session_id) == 1
        assert by_id[already].outcome is OperationOutcome.ALREADY_IN_STATE, by_id[already]
        assert scenario.mutations_of(already) == 0
        expected = {missing: "SESSION.NOT_FOUND", refused: "SESSION.INVALID_TRANSITION"}
        for session_id, code in expected.items():
            item = by_id[session_id]
            got = (item.outcome, item.error_code)
            assert got == (OperationOutcome.FAILED, code), (
                f"batch item {session_id}: expected failed {code}, got {item.outcome} "
                f"{item.error_code}; map per-item vendor errors with failed_result"
            )
        assert scenario.state_of(refused) is SessionState.COMPLETED

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_batch_across_chunks_applies_each_item_once(
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
        size = capabilities.native_batch_size
        count = size + 1 if 0 < size <= 200 else 20
        ids = scenario.sessions_exist(count, source_state(verb))
        refs = [adapter.ref(i) for i in ids]
        results = collect_batch(run, interlock, verb, refs)
        assert sorted(r.ref.session_id for r in results) == sorted(ids), (
            "the facade batch must yield exactly one result per item"
        )
        failed = [r for r in results if not r.ok]
        assert not failed, f"{len(failed)} items failed, first: {failed[0].error_message}"
        for session_id in ids:
            assert scenario.mutations_of(session_id) == 1, f"{session_id} changed more than once"
        assert_hooks_once(hooks, refs)
