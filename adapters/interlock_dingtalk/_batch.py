"""Native batch: chunks of ≤ 50 ids per DingTalk-style batch call, one result per id.

A chunk call that failed ambiguously (timeout or reset after sending) is never resent blind:
the sessions are read back in one query and each id is decided from its state.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence

from interlock import errors
from interlock.adapter import (
    explain_refusal,
    failed_result,
    read_back_result,
    read_back_results,
)
from interlock.http import VendorClient
from interlock.models import (
    OperationOutcome,
    OperationResult,
    Reason,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.transitions import TARGET_STATE
from interlock_dingtalk._api import BIZ_CODE, batch_api, batch_path, reason_body
from interlock_dingtalk._errors import translate
from interlock_dingtalk._interpret import expect
from interlock_dingtalk._mapping import to_state
from interlock_dingtalk._models import VendorBatch, VendorBatchItem

__all__ = ["BatchRunner", "ReadStates"]

ReadStates = Callable[[list[str]], Awaitable[dict[str, SessionState]]]
"""The current state of each id that exists (missing ids are absent)."""


class BatchRunner:
    """Runs native batch chunks for one DingTalk account."""

    def __init__(
        self, client: VendorClient, *, ref: Callable[[str], SessionRef], read_states: ReadStates
    ) -> None:
        self._client = client
        self._ref = ref
        self._read_states = read_states

    async def chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, key: str
    ) -> list[OperationResult]:
        """One batch call; a failure of the whole call fails each id (never resent blind)."""
        ids = list(session_ids)
        try:
            reply = await self._client.request(
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
            states: dict[str, SessionState] = reply.data
            return [self._from_state(verb, i, states.get(i), key) for i in ids]
        batch: VendorBatch = reply.data
        items: defaultdict[str, deque[VendorBatchItem]] = defaultdict(deque)
        for result in batch.results:
            items[result.session_id].append(result)
        answered = {i: items[i].popleft() for i in ids if items.get(i)}
        unmentioned = await read_back_results(
            [self._ref(i) for i in ids if i not in answered], verb, self._read_states, key=key
        )
        return [
            self._item(verb, i, answered[i], key, reply.request_id)
            if i in answered
            else unmentioned[i]
            for i in ids
        ]

    def _from_state(
        self, verb: Verb, session_id: str, state: SessionState | None, key: str
    ) -> OperationResult:
        return read_back_result(
            self._ref(session_id), verb, state, idempotency_key=f"{key}:{session_id}"
        )

    def _item(
        self,
        verb: Verb,
        session_id: str,
        item: VendorBatchItem,
        key: str,
        request_id: str | None,
    ) -> OperationResult:
        if not item.success:
            return self._failed(session_id, verb, _item_error(verb, item, request_id), key)
        return OperationResult(
            ref=self._ref(session_id),
            verb=verb,
            outcome=OperationOutcome.APPLIED
            if item.status_changed
            else OperationOutcome.ALREADY_IN_STATE,
            state_before=to_state(item.previous_status) if item.previous_status else None,
            state_after=to_state(item.status) if item.status else None,
            idempotency_key=f"{key}:{session_id}",
            vendor_request_id=request_id,
        )

    async def _read_back(self, ids: list[str], verb: Verb) -> dict[str, SessionState] | None:
        states = await self._read_states(ids)
        if not any(state is TARGET_STATE[verb] for state in states.values()):
            return None  # nothing took effect: resending the chunk is safe
        return states

    def _failed(
        self, session_id: str, verb: Verb, error: errors.InterlockError, key: str
    ) -> OperationResult:
        return failed_result(
            self._ref(session_id), verb, error, idempotency_key=f"{key}:{session_id}"
        )


def _item_error(verb: Verb, item: VendorBatchItem, request_id: str | None) -> errors.InterlockError:
    # translate() falls back on the code for a missing message, as on any error body
    error = translate(400, {"code": item.error_code, "message": item.error_message}, request_id)
    if isinstance(error, errors.InvalidTransition) and item.status:
        # The batch item names the current status, so the refusal can name both states.
        state = to_state(item.status)
        return explain_refusal(state, verb, error.message, vendor_request_id=request_id)
    return error
