"""Native batch: chunks of ≤ 50 ids per DingTalk-style batch call, one result per id.

A chunk call that failed ambiguously (timeout or reset after sending) is never resent blind:
the sessions are read back in one query and each id is decided from its state.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING

from interlock import errors
from interlock.adapter import failed_result
from interlock.models import OperationOutcome, OperationResult, Reason, Verb
from interlock.transitions import TARGET_STATE, plan_transition
from interlock_dingtalk._api import BIZ_CODE, batch_api, batch_path, reason_body
from interlock_dingtalk._client import expect
from interlock_dingtalk._errors import translate
from interlock_dingtalk._mapping import to_state
from interlock_dingtalk._models import VendorBatch, VendorBatchItem, VendorSession

if TYPE_CHECKING:
    from interlock_dingtalk.adapter import DingTalkAdapter

__all__ = ["BatchRunner"]

ReadBackEvidence = dict[str, VendorSession]


class BatchRunner:
    """Runs one neutral batch for a :class:`DingTalkAdapter`."""

    def __init__(self, adapter: DingTalkAdapter) -> None:
        self._adapter = adapter

    async def chunk(
        self, verb: Verb, ids: list[str], reason: Reason, key: str
    ) -> list[OperationResult]:
        """One batch call; failures of the whole call fail each id (never resent blind)."""
        try:
            reply = await self._adapter.client.request(
                "POST",
                batch_path(verb),
                api=batch_api(verb),
                params=BIZ_CODE,
                json={"sessionIds": ids, **reason_body(reason), "clientToken": key},
                read_back=lambda: self._read_back(ids, verb),
                interpret=expect(VendorBatch),
            )
        except errors.InterlockError as error:
            return [self._failed(i, verb, error, key) for i in ids]
        if reply.confirmed_by_read_back:
            return [self._from_read_back(i, verb, reply.data, key) for i in ids]
        batch: VendorBatch = reply.data
        items: defaultdict[str, deque[VendorBatchItem]] = defaultdict(deque)
        for result in batch.results:
            items[result.session_id].append(result)
        results = []
        for session_id in ids:
            queue = items.get(session_id)
            item = queue.popleft() if queue else None
            results.append(self._item(verb, session_id, item, key, reply.request_id))
        return results

    def _item(
        self,
        verb: Verb,
        session_id: str,
        item: VendorBatchItem | None,
        key: str,
        request_id: str | None,
    ) -> OperationResult:
        if item is None:
            missing = errors.VendorProtocolError(
                "dingtalk batch: no result for this id", field="results.sessionId"
            )
            return self._failed(session_id, verb, missing, key)
        if not item.success:
            return self._failed(session_id, verb, _item_error(verb, item, request_id), key)
        return OperationResult(
            ref=self._adapter.ref(session_id),
            verb=verb,
            outcome=OperationOutcome.APPLIED
            if item.status_changed
            else OperationOutcome.ALREADY_IN_STATE,
            state_before=to_state(item.previous_status) if item.previous_status else None,
            state_after=to_state(item.status) if item.status else None,
            idempotency_key=f"{key}:{session_id}",
            vendor_request_id=request_id,
        )

    async def _read_back(self, ids: list[str], verb: Verb) -> ReadBackEvidence | None:
        page = await self._adapter.query_raw({"sessionIds": ids}, size=len(ids))
        found = {raw.session_id: raw for raw in page.items}
        target = TARGET_STATE[verb]
        if not any(to_state(raw.status) is target for raw in found.values()):
            return None  # nothing took effect: resending the chunk is safe
        return found

    def _from_read_back(
        self, session_id: str, verb: Verb, found: ReadBackEvidence, key: str
    ) -> OperationResult:
        raw = found.get(session_id)
        if raw is None:
            missing = errors.SessionNotFound(f"session {session_id!r} does not exist")
            return self._failed(session_id, verb, missing, key)
        state = to_state(raw.status)
        if state is TARGET_STATE[verb]:
            return OperationResult(
                ref=self._adapter.ref(session_id),
                verb=verb,
                outcome=OperationOutcome.APPLIED,
                state_after=state,
                idempotency_key=f"{key}:{session_id}",
                confirmed_by_read_back=True,
            )
        try:
            plan_transition(state, verb)
        except errors.InvalidTransition as refused:
            return self._failed(session_id, verb, refused, key)
        unchanged = errors.VendorUnavailable(
            "dingtalk batch: the call was cut off and this session did not change; "
            "retrying it is safe"
        )
        return self._failed(session_id, verb, unchanged, key)

    def _failed(
        self, session_id: str, verb: Verb, error: errors.InterlockError, key: str
    ) -> OperationResult:
        return failed_result(
            self._adapter.ref(session_id), verb, error, idempotency_key=f"{key}:{session_id}"
        )


def _item_error(verb: Verb, item: VendorBatchItem, request_id: str | None) -> errors.InterlockError:
    body = {"code": item.error_code or "", "message": item.error_message or item.error_code}
    error = translate(400, body, request_id)
    if isinstance(error, errors.InvalidTransition) and item.status:
        # The batch item names the current status, so the canonical error can name both states.
        state = to_state(item.status)
        try:
            plan_transition(state, verb)
        except errors.InvalidTransition as canonical:
            return canonical
        return errors.InvalidTransition(error.message, from_state=str(state), verb=str(verb))
    return error
