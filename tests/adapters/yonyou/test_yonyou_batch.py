"""Native batches: chunks, one result per id from failCount/messages, never a blind resend."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from yonyou_helpers import REASON, AdapterFactory

from interlock import errors
from interlock.doubles import Fault
from interlock.models import OperationOutcome, SessionState, Verb
from interlock_yonyou.adapter import YonyouAdapter
from interlock_yonyou.double import YonyouDouble
from interlock_yonyou.double._render import ok

S = SessionState
Out = OperationOutcome


def batch_calls(double: YonyouDouble) -> list[str]:
    return [r.api for r in double.requests if r.api.endswith(("batchrevoke", "batchterminate"))]


async def test_chunks_follow_native_batch_size_with_one_result_per_id_in_order(
    make_adapter: AdapterFactory, double: YonyouDouble, router: respx.Router
) -> None:
    adapter = make_adapter(native_batch_size=2)
    ids = [double.put_session(S.IN_PROGRESS) for _ in range(5)]
    results = await adapter.batch(Verb.TERMINATE, ids, REASON, idempotency_key="b")

    assert [r.ref.session_id for r in results] == ids
    assert {r.outcome for r in results} == {Out.APPLIED}
    assert len(batch_calls(double)) == 3
    sizes = [
        len(json.loads(c.request.content)["data"])
        for c in router.calls
        if c.request.url.path.endswith("batchterminate")
    ]
    assert sorted(sizes) == [1, 2, 2]
    assert all(double.mutation_counts[i] == 1 for i in ids)
    assert len({r.idempotency_key for r in results}) == 5


async def test_per_item_results_from_infos_and_messages(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    applied = double.put_session(S.SCHEDULED)
    already = double.put_session(S.REVOKED)
    completed = double.put_session(S.COMPLETED)
    missing = double.missing_session_id()
    unmapped = double.put_unmapped_session()
    ids = [applied, already, completed, missing, unmapped]

    results = await adapter.batch(Verb.REVOKE, ids, REASON, idempotency_key="b")

    by_id = {r.ref.session_id: r for r in results}
    assert by_id[applied].outcome is Out.APPLIED
    assert (by_id[applied].state_before, by_id[applied].state_after) == (S.SCHEDULED, S.REVOKED)
    assert by_id[already].outcome is Out.ALREADY_IN_STATE
    assert by_id[completed].error_code == "SESSION.INVALID_TRANSITION"
    assert "completed" in (by_id[completed].error_message or "")
    assert by_id[missing].error_code == "SESSION.NOT_FOUND"
    assert by_id[unmapped].error_code == "SESSION.INVALID_TRANSITION"
    assert "unknown" in (by_id[unmapped].error_message or "")
    assert len(batch_calls(double)) == 1
    assert double.mutation_counts[already] == 0


async def test_a_repeated_id_is_written_once(adapter: YonyouAdapter, double: YonyouDouble) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    results = await adapter.batch(
        Verb.TERMINATE, [session_id, session_id], REASON, idempotency_key="b"
    )
    assert [r.outcome for r in results] == [Out.APPLIED, Out.APPLIED]
    assert double.mutation_counts[session_id] == 1


async def test_a_failed_chunk_fails_its_items_and_spares_the_others(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    adapter = make_adapter(native_batch_size=2)
    ids = [double.put_session(S.SCHEDULED) for _ in range(4)]
    await adapter.get_session(ids[0])
    double.force_code("310037")  # the first chunk's call is refused
    results = await adapter.batch(Verb.REVOKE, ids, REASON, idempotency_key="b", concurrency=1)
    assert [r.error_code for r in results[:2]] == ["VENDOR.PERMISSION_DENIED"] * 2
    assert [r.outcome for r in results[:2]] == [Out.FAILED, Out.FAILED]
    assert [r.outcome for r in results[2:]] == [Out.APPLIED, Out.APPLIED]


async def test_an_ambiguous_batch_is_read_back_never_resent(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    running = double.put_session(S.IN_PROGRESS)
    completed = double.put_session(S.COMPLETED)
    missing = double.missing_session_id()
    await adapter.get_session(running)
    double.inject(Fault.TIMEOUT_AFTER_SEND, only_mutations=True)

    results = await adapter.batch(
        Verb.TERMINATE, [running, completed, missing], REASON, idempotency_key="b"
    )

    assert len(batch_calls(double)) == 1
    assert results[0].outcome is Out.APPLIED
    assert results[0].confirmed_by_read_back
    assert results[1].error_code == "SESSION.INVALID_TRANSITION"
    assert results[2].error_code == "SESSION.NOT_FOUND"


async def test_a_batch_lost_before_sending_is_retried_safely(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    session_id = double.put_session(S.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.inject(Fault.TIMEOUT_BEFORE_SEND, only_mutations=True)
    results = await adapter.batch(Verb.TERMINATE, [session_id], REASON, idempotency_key="b")
    assert results[0].outcome is Out.APPLIED
    assert double.mutation_counts[session_id] == 1


async def test_token_expiry_between_chunks_refreshes_once(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    adapter = make_adapter(native_batch_size=2)
    ids = [double.put_session(S.IN_PROGRESS) for _ in range(4)]
    await adapter.get_session(ids[0])
    double.expire_tokens()
    results = await adapter.batch(Verb.TERMINATE, ids, REASON, idempotency_key="b")
    assert {r.outcome for r in results} == {Out.APPLIED}
    assert double.token_requests == 2


def _answer(infos: list[dict[str, Any]], messages: list[Any]) -> Any:
    data = {
        "count": len(infos) + len(messages),
        "sucessCount": len(infos),
        "failCount": len(messages),
        "messages": messages,
        "infos": infos,
    }
    return ok(data)


async def test_plain_string_messages_are_read_back(
    adapter: YonyouAdapter, double: YonyouDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = double.put_session(S.SCHEDULED)
    second = double.put_session(S.COMPLETED)
    messages = [f"第2条数据：面试会话[id={second}]处理失败"]  # says neither why nor the status
    record = double.interviews._apply(Verb.REVOKE, first, None)
    monkeypatch.setattr(double.interviews, "_batch", lambda verb, body: _answer([record], messages))

    results = await adapter.batch(Verb.REVOKE, [first, second], REASON, idempotency_key="b")

    assert results[0].outcome is Out.APPLIED
    assert (results[1].outcome, results[1].error_code) == (Out.FAILED, "SESSION.INVALID_TRANSITION")
    assert "completed" in (results[1].error_message or "")  # the status read back


async def test_a_refusal_without_its_status_is_read_back(
    adapter: YonyouAdapter, double: YonyouDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = double.put_session(S.EXPIRED)
    failure = {"id": refused, "code": "999", "displayCode": "HRC-AIV-100409", "message": "不允许"}
    monkeypatch.setattr(double.interviews, "_batch", lambda verb, body: _answer([], [failure]))

    results = await adapter.batch(Verb.REVOKE, [refused], REASON, idempotency_key="b")

    assert results[0].error_code == "SESSION.INVALID_TRANSITION"
    assert "expired" in (results[0].error_message or "")


async def test_an_item_the_answer_does_not_mention_is_read_back(
    adapter: YonyouAdapter, double: YonyouDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = double.put_session(S.SCHEDULED)
    untouched = double.put_session(S.SCHEDULED)
    double.world.apply(changed, Verb.REVOKE)  # done, but the answer forgets to say so
    monkeypatch.setattr(double.interviews, "_batch", lambda verb, body: _answer([], []))

    results = await adapter.batch(Verb.REVOKE, [changed, untouched], REASON, idempotency_key="b")

    assert results[0].outcome is Out.APPLIED
    assert results[0].confirmed_by_read_back
    # Read back unchanged: failed as unavailable, so that resending it is known to be safe.
    assert results[1].error_code == "VENDOR.UNAVAILABLE"
    assert "did not change" in (results[1].error_message or "")
    assert len(batch_calls(double)) == 1


async def test_the_batch_body_is_yonyou_shaped(
    adapter: YonyouAdapter, double: YonyouDouble, router: respx.Router
) -> None:
    session_id = double.put_session(S.SCHEDULED)
    reason = REASON.model_copy(update={"note": "wrong position"})
    await adapter.batch(Verb.REVOKE, [session_id], reason, idempotency_key="b")
    body = json.loads(router.calls.last.request.content)
    assert body == {
        "data": [{"id": session_id, "reasonCode": "operator_error", "reasonNote": "wrong position"}]
    }


async def test_batch_never_raises_for_a_vendor_outage(
    adapter: YonyouAdapter, double: YonyouDouble
) -> None:
    ids = [double.put_session(S.SCHEDULED) for _ in range(3)]
    await adapter.get_session(ids[0])
    double.inject(Fault.SERVER_ERROR, times=10)
    results = await adapter.batch(Verb.REVOKE, ids, REASON, idempotency_key="b")
    assert [r.error_code for r in results] == ["VENDOR.UNAVAILABLE"] * 3
    with pytest.raises(errors.UnsupportedOperation):
        await adapter.batch(Verb.PAUSE, ids, REASON, idempotency_key="p")
