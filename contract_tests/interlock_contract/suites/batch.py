"""Batches: one result per item, never raising for an item, chunked by the vendor's limit."""

from __future__ import annotations

from typing import Any, ClassVar, cast

import pytest

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import Fault
from interlock.errors import InterlockError
from interlock.models import OperationOutcome, OperationResult, SessionState, Verb
from interlock.transitions import TARGET_STATE
from interlock_contract.checks import (
    assert_hooks_once,
    assert_reason_recorded,
    assert_well_told,
    attempt,
)
from interlock_contract.harness import CONTRACT_REASON, ContractFixtures, HookRecorder
from interlock_contract.scenario import Scenario
from interlock_contract.suites.reads import FOREIGN_ID
from interlock_contract.suites.verbs import source_state

__all__ = ["BatchContract", "NativeBatchContract", "collect_batch"]

_UNSURE = ("VENDOR.UNAVAILABLE", "VENDOR.PROTOCOL_ERROR")
"""How an item of a batch the vendor did not vouch for may fail: neither says the session
refused (``SESSION.*``), so the gateway reads it back before any retry."""


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
        expected_outcomes = dict.fromkeys(applicable, OperationOutcome.APPLIED)
        expected_outcomes[already] = OperationOutcome.ALREADY_IN_STATE
        for session_id, wanted in expected_outcomes.items():
            item = by_id[session_id]
            assert item.outcome is wanted, (
                f"batch item {session_id}: expected {wanted}, got {item.outcome} "
                f"{item.error_code or ''}; match the vendor's per-item results to ids by id, "
                "never by position (the vendor promises no order)"
            )
        for session_id in applicable:
            assert scenario.state_of(session_id) is target
            assert scenario.mutations_of(session_id) == 1
            assert_reason_recorded(scenario, session_id, CONTRACT_REASON, f"batch {verb} item")
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
        message = by_id[refused].error_message or ""
        for named in (str(SessionState.COMPLETED), str(verb)):
            assert named in message, (
                f"batch item {refused}: the refusal says {message!r}, which does not name "
                f"{named!r} (the state the vendor holds and the verb); build it with "
                "explain_refusal(state, verb, vendor_message)"
            )
        found = dict.fromkeys(applicable, source)
        found |= {already: target, refused: SessionState.COMPLETED}
        check_item_states(results, verb, found)

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_an_id_in_no_format_of_the_vendors_fails_alone(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """A batch naming an id the vendor could never have issued (a typo) fails that item as
        ``SESSION.NOT_FOUND``, under its own key; the chunk's other items still apply."""
        self.require_verb(request, capabilities, verb)
        applicable = scenario.sessions_exist(2, source_state(verb))
        ids = [applicable[0], FOREIGN_ID, applicable[1]]
        key = f"contract-foreign-{applicable[0]}"
        results = run(adapter.batch(verb, ids, CONTRACT_REASON, idempotency_key=key))
        assert [r.ref.session_id for r in results] == ids, "one result per id, in input order"
        check_item_keys(results, key)
        wanted = {
            applicable[0]: (OperationOutcome.APPLIED, None),
            FOREIGN_ID: (OperationOutcome.FAILED, "SESSION.NOT_FOUND"),
            applicable[1]: (OperationOutcome.APPLIED, None),
        }
        check_item_outcomes(
            results, wanted, "an id no session of the vendor's has fails alone, as not found"
        )

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


_BATCH_FAULTS = {
    "timeout-after-send": Fault.TIMEOUT_AFTER_SEND,
    "connection-reset": Fault.CONNECTION_RESET,
    "timeout-before-acting": Fault.TIMEOUT_BEFORE_ACTING,
}
_ACTED = ("timeout-after-send", "connection-reset")


def check_item_outcomes(
    results: list[OperationResult],
    wanted: dict[str, tuple[OperationOutcome, str | None]],
    advice: str,
) -> None:
    """Each item of ``wanted`` came back with its outcome and error code (None when it did not
    fail); ``advice`` ends the message of the first that did not."""
    got = {r.ref.session_id: (r.outcome, r.error_code) for r in results}
    for session_id, (outcome, code) in wanted.items():
        assert got[session_id] == (outcome, code), (
            f"batch item {session_id}: expected {outcome} {code or ''}, got "
            f"{got[session_id][0]} {got[session_id][1] or ''}; {advice}"
        )


def check_item_states(
    results: list[OperationResult], verb: Verb, found: dict[str, SessionState]
) -> None:
    """Each item says what it found at the vendor and what it left there: an applied item went
    from ``found`` to the verb's target, an item already there stayed, a refused one stayed
    where the vendor holds it — so that an operator reading one result knows the session."""
    target = TARGET_STATE[verb]
    for result in results:
        session_id = result.ref.session_id
        if session_id not in found:
            continue
        before = found[session_id]
        failed = result.outcome is OperationOutcome.FAILED
        after = before if failed else target
        where = f"batch item {session_id} ({result.outcome})"
        assert result.verb == verb, f"{where}: the result names verb {result.verb}, not {verb}"
        said = (result.state_before, result.state_after)
        if failed and said == (None, None):
            assert result.error_message, f"{where}: a failed item needs an error_message"
            continue  # a refusal need not name states; when it does, they must be right
        assert said == (before, after), (
            f"{where}: state_before={result.state_before}, state_after={result.state_after}; "
            f"the vendor had it {before} and left it {after}: fill both from the vendor's "
            "per-item answer (or the read-back)"
        )


def check_unsure_item(item: OperationResult, where: str) -> None:
    """An item whose outcome is unknown says so to the operator reading it: not safe to retry
    as it is, what to do first (a hint), and — for a record that makes no sense — which field."""
    told = item.details
    assert told.get("retryable") is False, (
        f"{where}: its details say retryable={told.get('retryable')!r}; an item whose outcome "
        "is unknown must not be retried blind (VendorTimeout(ambiguous=True, retryable=False))"
    )
    assert told.get("hint"), (
        f"{where}: its details give no hint; say what to do first (e.g. read the sessions back "
        "before trying again)"
    )
    if item.error_code == "VENDOR.PROTOCOL_ERROR":
        assert told.get("field"), f"{where}: a record that makes no sense: name its field"
    else:
        assert told.get("ambiguous") is True, f"{where}: say ambiguous=True (outcome unknown)"


def check_item_keys(results: list[OperationResult], key: str) -> None:
    """Each item names an idempotency key of its own, derived from the batch's: the key an
    operator repeats to retry that item alone, and the one the audit trail files it under."""
    keys = [r.idempotency_key for r in results]
    assert all(k and key in k for k in keys), (
        f"batch items carry idempotency keys {keys[:3]}…; give each item a key derived from the "
        f"batch's ({key!r}), e.g. f'{{key}}:{{session_id}}'"
    )
    assert len(set(keys)) == len(keys), f"two batch items share an idempotency key: {keys}"


class NativeBatchContract(ContractFixtures):
    """A declared native batch really is one vendor call per chunk, and is read back — never
    resent blind — when that call fails ambiguously."""

    contract_concern: ClassVar[str] = "batch"

    def _require_native(
        self, request: pytest.FixtureRequest, capabilities: Capabilities, verb: Verb
    ) -> None:
        self.require_verb(request, capabilities, verb)
        self.require(request, capabilities.native_batch(verb), f"{verb}: no native batch")

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_native_batch_sends_one_call_per_chunk(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        self._require_native(request, capabilities, verb)
        count = min(5, capabilities.native_batch_size)
        ids = scenario.sessions_exist(count, source_state(verb))
        run(adapter.get_session(ids[0]))
        with scenario.watch() as watched:
            results = collect_batch(run, interlock, verb, [adapter.ref(i) for i in ids])
        assert all(r.ok for r in results), [r.error_message for r in results if not r.ok]
        calls = len(watched.mutating_requests)
        assert calls == 1, (
            f"{count} items of a native batch (native_batch_size="
            f"{capabilities.native_batch_size}) took {calls} mutating requests; send them in "
            f"one batch call, or declare no native batch for {verb}\n{watched.describe()}"
        )

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_replaying_a_batch_key_after_the_sessions_moved_on_changes_nothing(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """Like a single verb's key: the same batch (same key) sent again after its sessions
        moved back must change nothing (the vendor's own state check cannot hide it)."""
        self._require_native(request, capabilities, verb)
        idempotent = scenario.double.batch_idempotency
        self.require(request, idempotent, "the vendor's batch call takes no idempotency token")
        source = source_state(verb)
        ids = scenario.sessions_exist(min(3, capabilities.native_batch_size), source)
        key = f"contract-batch-replay-{ids[0]}"
        first = run(adapter.batch(verb, ids, CONTRACT_REASON, idempotency_key=key))
        assert all(r.ok for r in first), [r.error_message for r in first if not r.ok]
        for session_id in ids:
            scenario.vendor_moves(session_id, source)
        run(adapter.batch(verb, ids, CONTRACT_REASON, idempotency_key=key))
        again = [i for i in ids if scenario.mutations_of(i) != 1]
        assert not again, (
            f"the same {verb} batch (same idempotency key) came again after its sessions had "
            f"moved back to {source}, and the vendor applied it again to {again}: send the "
            "batch's key (or one derived from it per chunk) as the vendor's own batch token"
        )

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_a_native_chunk_names_each_item_and_the_vendors_failure(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """One native chunk (``Interlock.send_chunk``, what the gateway's batch jobs send):
        each item's result has a key of its own; and when the vendor keeps refusing the whole
        call, the chunk raises the vendor's error or fails every item with it — nothing is
        claimed, nothing changed."""
        self._require_native(request, capabilities, verb)
        source = source_state(verb)
        size = min(3, capabilities.native_batch_size)
        ids = scenario.sessions_exist(size, source)
        key = f"contract-chunk-{ids[0]}"
        chunk = interlock.send_chunk(
            verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
        )
        applied = run(chunk)
        assert [r.ref.session_id for r in applied] == ids, "one result per item, in order"
        check_item_states(applied, verb, dict.fromkeys(ids, source))
        check_item_keys(applied, key)
        ids = scenario.sessions_exist(size, source)
        scenario.server_error(times=50, only_mutations=True)
        key = f"contract-chunk-down-{ids[0]}"
        chunk = interlock.send_chunk(
            verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
        )
        raised: InterlockError | None = None
        results: list[OperationResult] = []
        try:
            results = run(chunk)
        except InterlockError as error:
            raised = error  # raising the vendor's error is as good as failing each item with it
        finally:
            scenario.clear_faults()
        if raised is not None:
            assert raised.code == "VENDOR.UNAVAILABLE", f"the chunk raised {raised.code}: {raised}"
        for result in results:
            where = f"chunk item {result.ref.session_id} while the vendor was down"
            assert result.outcome is OperationOutcome.FAILED, f"{where}: {result.outcome}"
            assert result.verb == verb, f"{where}: names verb {result.verb}"
            assert result.error_code == "VENDOR.UNAVAILABLE", (
                f"{where}: failed with {result.error_code}; fail each item with the vendor's "
                "error (failed_result(ref, verb, error))"
            )
            assert result.error_message, f"{where}: a failed item needs an error_message"
        if results:
            assert [r.ref.session_id for r in results] == ids, "one result per item, in order"
            check_item_keys(results, key)
        changed = [i for i in ids if scenario.state_of(i) is not source]
        assert not changed, f"the vendor refused the chunk, yet {changed} changed"

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_a_mixed_native_chunk_answers_each_item_under_its_own_key(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """One native chunk whose items fare differently (applied, already there, missing,
        refused): each item answered for itself, under a key of its own derived from the
        chunk's — the result the gateway's batch job records per item."""
        self._require_native(request, capabilities, verb)
        self.require(request, capabilities.native_batch_size >= 4, "native chunks of < 4 items")
        source, target = source_state(verb), TARGET_STATE[verb]
        applicable = scenario.session_exists(source)
        already = scenario.session_exists(target)
        missing = scenario.session_missing()
        refused = scenario.session_exists(SessionState.COMPLETED)
        ids = [applicable, already, missing, refused]
        key = f"contract-mixed-chunk-{applicable}"
        with scenario.watch() as reading:
            run(adapter.get_session(applicable))
        reads = {r.api for r in reading.requests if not r.token}
        with scenario.watch() as watched:
            results = run(
                interlock.send_chunk(
                    verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
                )
            )
        requests = watched.requests
        read_back = [r for r in watched.requests_after_last_write if r.api in reads]
        assert not read_back, (
            f"the vendor's answer named every item's fate, yet the adapter read {len(read_back)} "
            "sessions back after it; read back only what the answer leaves unsaid (a vendor's "
            "rate limit is shared with every other call)\n" + watched.describe()
        )
        assert [r.ref.session_id for r in results] == ids, "one result per item, in order"
        check_item_keys(results, key)
        wanted = {
            applicable: (OperationOutcome.APPLIED, None),
            already: (OperationOutcome.ALREADY_IN_STATE, None),
            missing: (OperationOutcome.FAILED, "SESSION.NOT_FOUND"),
            refused: (OperationOutcome.FAILED, "SESSION.INVALID_TRANSITION"),
        }
        check_item_outcomes(results, wanted, "each item of a chunk is answered for itself")
        for result in results:
            assert result.verb == verb, f"chunk item {result.ref.session_id}: verb {result.verb}"
            assert_well_told(result, f"chunk item {result.ref.session_id}")
        writes = [n for n, r in enumerate(requests) if r.mutation]
        decided_from_a_read = any(not r.token for r in requests[: min(writes, default=0)])
        if scenario.double.request_id_header is not None and not decided_from_a_read:
            for session_id in (missing, refused):
                item = next(r for r in results if r.ref.session_id == session_id)
                assert item.vendor_request_id, (
                    f"chunk item {session_id} failed as the vendor's answer said, but names no "
                    "request id: keep the answer's (support looks the failure up by it)"
                )

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_a_batch_whose_outcome_the_vendor_does_not_tell(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """The vendor accepted the batch but never says what it did (``unsure_batch_endings``:
        a job that ended ``Overtime``, one still running when the adapter stops waiting). No
        item may be claimed that the vendor did not do, an item not vouched for fails as
        "outcome unknown" (``VendorTimeout(ambiguous=True)``: ``VENDOR.UNAVAILABLE``, read back
        before any retry) with the vendor's request id, and the batch is never sent again."""
        self._require_native(request, capabilities, verb)
        endings = type(scenario.double).unsure_batch_endings
        self.require(request, bool(endings), "the vendor's batches always say how they ended")
        source, target = source_state(verb), TARGET_STATE[verb]
        for ending in endings:
            ids = scenario.sessions_exist(min(3, capabilities.native_batch_size), source)
            run(adapter.get_session(ids[0]))
            scenario.double.end_next_batch(ending)
            key = f"contract-unsure-{ending}-{ids[0]}"
            chunk = interlock.send_chunk(
                verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
            )
            with scenario.watch() as watched:
                outcome = attempt(run, chunk)
            where = f"a native {verb} batch that ended {ending!r}"
            sent = len(watched.mutating_requests)
            assert sent == 1, f"{where}: the batch was sent {sent} times; never resend it blind"
            if outcome.error is not None:
                assert outcome.error.code in _UNSURE, (
                    f"{where}: raised {outcome.error.code}; the outcome is unknown: raise "
                    "VendorTimeout(ambiguous=True), or VendorProtocolError for a record that "
                    "makes no sense"
                )
                continue
            for item in cast(list[OperationResult], outcome.result):
                truth = scenario.state_of(item.ref.session_id)
                it = f"{where}: item {item.ref.session_id}"
                if item.ok:
                    assert truth is target, f"{it} is {item.outcome}, but the vendor has {truth}"
                    continue
                assert item.error_code in _UNSURE, (
                    f"{it} failed with {item.error_code}; the vendor did not say what it did: "
                    "fail it as outcome unknown (VendorTimeout(ambiguous=True)), or as the "
                    "vendor's protocol error for a record that makes no sense, or read it back"
                )
                check_unsure_item(item, it)
                field = scenario.double.unsure_batch_fields.get(ending)
                if field is not None and item.error_code == "VENDOR.PROTOCOL_ERROR":
                    assert item.details.get("field") == field, (
                        f"{it}: the protocol error names field {item.details.get('field')!r}; "
                        f"the vendor's record is wrong at {field!r}: name it"
                    )
                if scenario.double.request_id_header is not None:
                    assert item.vendor_request_id, (
                        f"{it}: name the vendor's request id, so support can look the batch up"
                    )

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_items_the_vendors_answer_leaves_out(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """The vendor's answer does not mention three items: one it applied, one it could not
        find, one it refused. The adapter must not guess: reading each back tells the truth —
        applied (confirmed by the read-back), not found, refused naming the state — each under
        its own key, naming the states it found and left."""
        self._require_native(request, capabilities, verb)
        self.require(request, capabilities.native_batch_size >= 4, "native chunks of < 4 items")
        leaves_out = scenario.double.leaves_items_out
        self.require(request, leaves_out, "the double cannot leave items out of a batch answer")
        source, target = source_state(verb), TARGET_STATE[verb]
        answered, silent = scenario.sessions_exist(2, source)
        missing = scenario.session_missing()
        refused = scenario.session_exists(SessionState.COMPLETED)
        ids = [answered, silent, missing, refused]
        left_out = {silent, missing, refused}
        key = f"contract-left-out-{silent}"
        scenario.double.left_out.update(left_out)
        try:
            results = run(
                interlock.send_chunk(
                    verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
                )
            )
        finally:
            scenario.double.left_out.difference_update(left_out)
        assert scenario.state_of(silent) is target, "the double did not act on it"
        assert [r.ref.session_id for r in results] == ids, "one result per item, in order"
        check_item_keys(results, key)
        by_id = {r.ref.session_id: r for r in results}
        item = by_id[silent]
        assert item.outcome is OperationOutcome.APPLIED, (
            f"batch item {silent}, which the vendor applied but did not mention, came back "
            f"{item.outcome} ({item.error_code}: {item.error_message}); read the unmentioned "
            "sessions back (read_back_result) and decide each from its state"
        )
        assert item.confirmed_by_read_back, f"batch item {silent}: say confirmed_by_read_back"
        wanted = {
            answered: (OperationOutcome.APPLIED, None),
            missing: (OperationOutcome.FAILED, "SESSION.NOT_FOUND"),
            refused: (OperationOutcome.FAILED, "SESSION.INVALID_TRANSITION"),
        }
        check_item_outcomes(
            results,
            wanted,
            f"the answer left out {sorted(left_out)}: decide an unmentioned item from its "
            "state read back (read_back_results)",
        )
        message = by_id[refused].error_message or ""
        for named in (str(SessionState.COMPLETED), str(verb)):
            assert named in message, (
                f"batch item {refused}: the refusal says {message!r}, which does not name "
                f"{named!r}; name the state read back and the verb (read_back_result does)"
            )
        found = {answered: source, refused: SessionState.COMPLETED}
        check_item_states(results, verb, found)
        assert by_id[silent].state_after is target, (
            f"batch item {silent}: state_after={by_id[silent].state_after}, but the read-back "
            f"found {target}"
        )
        for result in results:
            assert_well_told(result, f"batch item {result.ref.session_id}")

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_the_read_back_of_an_item_left_out_fails(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """The vendor's answer leaves one item out and every read of it fails: that item fails
        as outcome unknown, and the items the vendor did answer for keep their results — a
        failed read-back must not throw away what the vendor already said."""
        self._require_native(request, capabilities, verb)
        leaves_out = scenario.double.leaves_items_out
        self.require(request, leaves_out, "the double cannot leave items out of a batch answer")
        size = min(3, capabilities.native_batch_size)
        self.require(request, size >= 2, "native chunks of < 2 items")
        source, target = source_state(verb), TARGET_STATE[verb]
        run(adapter.get_session(scenario.session_exists(source)))  # a token, before watching
        reads = self._read_back_routes(run, adapter, interlock, scenario, verb, size)
        self.require(request, bool(reads), "the adapter reads nothing back after the answer")
        ids = scenario.sessions_exist(size, source)
        silent = ids[-1]
        key = f"contract-read-back-fails-{silent}"
        scenario.double.left_out.add(silent)
        for route in reads:
            scenario.fault(Fault.SERVER_ERROR, times=50, route=route)
        try:
            results = run(
                interlock.send_chunk(
                    verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
                )
            )
        except InterlockError as error:
            pytest.fail(
                f"a native {verb} chunk raised {error.code} ({error}) when reading back the one "
                "item its answer left out failed; fail that item with the read's error and keep "
                "the results the vendor gave for the others"
            )
        finally:
            scenario.clear_faults()
            scenario.double.left_out.discard(silent)
        assert [r.ref.session_id for r in results] == ids, "one result per item, in order"
        check_item_keys(results, key)
        by_id = {r.ref.session_id: r for r in results}
        for session_id in ids[:-1]:
            if scenario.state_of(session_id) is not target:
                continue  # the adapter read before writing, and that read failed: not sent
            item = by_id[session_id]
            assert item.outcome is OperationOutcome.APPLIED, (
                f"batch item {session_id}, which the vendor applied and answered for, came "
                f"back {item.outcome} ({item.error_code}) because reading another item back "
                "failed; keep each answered item's result"
            )
        item = by_id[silent]
        if not item.ok:
            assert item.error_code in _UNSURE, (
                f"batch item {silent}: its read-back failed, so its outcome is unknown; it "
                f"failed with {item.error_code}: fail it with the read's own error"
            )
        assert_well_told(item, f"batch item {silent}")

    def _read_back_routes(
        self,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        scenario: Scenario,
        verb: Verb,
        size: int,
    ) -> set[str]:
        """The API names the adapter reads an unmentioned item back with, from a clean chunk
        (the requests after its last write)."""
        ids = scenario.sessions_exist(size, source_state(verb))
        scenario.double.left_out.add(ids[-1])
        try:
            with scenario.watch() as clean:
                run(
                    interlock.send_chunk(
                        verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=ids[-1]
                    )
                )
        finally:
            scenario.double.left_out.discard(ids[-1])
        return {r.api for r in clean.requests_after_last_write}

    @pytest.mark.parametrize("fault", list(_BATCH_FAULTS))
    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_native_batch_after_an_ambiguous_failure(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
        fault: str,
    ) -> None:
        self._require_native(request, capabilities, verb)
        ids = scenario.sessions_exist(min(3, capabilities.native_batch_size), source_state(verb))
        run(adapter.get_session(ids[0]))
        scenario.fault(_BATCH_FAULTS[fault], only_mutations=True)
        key = f"contract-ambiguous-{fault}-{ids[0]}"
        with scenario.watch() as watched:
            results = run(
                interlock.send_chunk(
                    verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
                )
            )
        scenario.clear_faults()
        where = f"a native {verb} batch under {fault}"
        failed = [r for r in results if not r.ok]
        assert not failed, (
            f"{where}: {len(failed)} items failed ({failed[0].error_code}: "
            f"{failed[0].error_message}); read the sessions back (read_back=...) and decide each "
            "item from its state (interlock.adapter.read_back_result)"
        )
        check_item_keys(results, key)  # decided from the read-back, still each under its own
        for session_id in ids:
            assert scenario.mutations_of(session_id) == 1, f"{where}: {session_id} changed twice"
        calls = len(watched.mutating_requests)
        if fault in _ACTED:
            assert calls == 1, (
                f"{where}: the batch call was sent {calls} times after the vendor acted on it; "
                "read back, never resend blind\n" + watched.describe()
            )

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_the_vendor_going_down_at_any_request_of_a_chunk(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        """The vendor fails every request from some point of a native chunk on (its first read,
        the write, a job poll, a read-back): the chunk still answers every item, under its own
        key, claims none the vendor did not apply, and fails the others as the vendor's
        outage (or raises that outage for the whole chunk) — never as the sessions' fault."""
        self._require_native(request, capabilities, verb)
        size = min(3, capabilities.native_batch_size)
        source, target = source_state(verb), TARGET_STATE[verb]
        run(adapter.get_session(scenario.session_exists(source)))  # a token, before watching
        clean_ids = scenario.sessions_exist(size, source)
        with scenario.watch() as clean:
            run(interlock.send_chunk(verb, adapter.account, clean_ids, CONTRACT_REASON,
                                     idempotency_key=f"contract-up-{clean_ids[0]}"))  # fmt: skip
        for number in range(1, len(clean.requests) + 1):
            ids = scenario.sessions_exist(size, source)
            key = f"contract-down-{number}-{ids[0]}"
            scenario.fault(Fault.SERVER_ERROR, times=100, after=number - 1)
            where = f"a native {verb} chunk whose vendor goes down at request {number}"
            try:
                outcome = attempt(
                    run,
                    interlock.send_chunk(
                        verb, adapter.account, ids, CONTRACT_REASON, idempotency_key=key
                    ),
                )
            finally:
                scenario.clear_faults()
            if outcome.error is not None:  # the whole call failed: allowed, as the outage
                assert outcome.code in _UNSURE, f"{where} {outcome.describe()}"
                continue
            results = cast(list[OperationResult], outcome.result)
            assert [r.ref.session_id for r in results] == ids, f"{where}: one result per item"
            check_item_keys(results, key)
            for item in results:
                it = f"{where}: item {item.ref.session_id}"
                if item.ok:
                    truth = scenario.state_of(item.ref.session_id)
                    assert truth is target, f"{it} is {item.outcome}, but the vendor has {truth}"
                    continue
                assert item.error_code in _UNSURE, (
                    f"{it} failed with {item.error_code}: {item.error_message}; the vendor was "
                    "down, say so (the vendor's VENDOR.UNAVAILABLE)"
                )

    @pytest.mark.parametrize("verb", list(Verb), ids=str)
    def test_a_fault_on_any_request_of_a_batch(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        interlock: Interlock,
        capabilities: Capabilities,
        scenario: Scenario,
        verb: Verb,
    ) -> None:
        self._require_native(request, capabilities, verb)
        size = min(3, capabilities.native_batch_size)
        first = scenario.sessions_exist(size, source_state(verb))
        run(adapter.get_session(first[0]))
        with scenario.watch() as clean:
            collect_batch(run, interlock, verb, [adapter.ref(i) for i in first])
        for number in range(1, len(clean.requests) + 1):
            ids = scenario.sessions_exist(size, source_state(verb))
            scenario.fault_on_request(Fault.SERVER_ERROR, number)
            results = collect_batch(run, interlock, verb, [adapter.ref(i) for i in ids])
            scenario.clear_faults()
            api = clean.requests[number - 1].api
            failed = [r for r in results if not r.ok]
            assert not failed, (
                f"a native {verb} batch with a 5xx on request {number} ({api}): "
                f"{failed[0].error_code} {failed[0].error_message}; a transient failure of any "
                "request of a batch (a read, the job poll) must be retried"
            )
            assert all(scenario.mutations_of(i) == 1 for i in ids), "an item changed twice"
