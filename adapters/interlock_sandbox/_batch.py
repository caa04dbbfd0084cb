"""Native batch: ``POST /v1/sessions:batch`` for up to 100 ids, one result per id.

A chunk call that failed ambiguously (timeout or reset after sending) is never resent blind:
the sessions are read back and each id is decided from its state.
"""

from __future__ import annotations

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
from interlock_sandbox._interpret import expecting
from interlock_sandbox._mapping import to_state
from interlock_sandbox._models import VendorBatch, VendorBatchItem

__all__ = ["BatchRunner", "ReadStates"]

ReadStates = Callable[[list[str]], Awaitable[dict[str, SessionState]]]
"""The current state of each id that exists (missing ids are absent)."""


class BatchRunner:
    """Runs native batch chunks for one sandbox account."""

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
                "/v1/sessions:batch",
                api="sessions.batch",
                json={
                    "action": str(verb),
                    "ids": ids,
                    "reason": {"code": reason.code, "note": reason.note},
                },
                headers={"Idempotency-Key": key},
                read_back=lambda: self._read_back(ids, verb),
                interpret=expecting(VendorBatch),
            )
        except errors.InterlockError as error:
            return [self._failed(i, verb, error, key) for i in ids]
        if reply.confirmed_by_read_back:
            states: dict[str, SessionState] = reply.data
            return [
                read_back_result(self._ref(i), verb, states.get(i), idempotency_key=f"{key}:{i}")
                for i in ids
            ]
        batch: VendorBatch = reply.data
        items = {item.id: item for item in batch.results}
        unmentioned = await self._unmentioned(verb, [i for i in ids if i not in items], key)
        return [
            self._item(verb, i, items[i], key, reply.request_id) if i in items else unmentioned[i]
            for i in ids
        ]

    async def _unmentioned(
        self, verb: Verb, ids: list[str], key: str
    ) -> dict[str, OperationResult]:
        # A method of its own so that the kit's planted bugs can vary this one step.
        return await read_back_results(
            [self._ref(i) for i in ids], verb, self._read_states, key=key
        )

    async def _read_back(self, ids: list[str], verb: Verb) -> dict[str, SessionState] | None:
        states = await self._read_states(ids)
        if not any(state is TARGET_STATE[verb] for state in states.values()):
            return None  # nothing took effect: resending the chunk is safe
        return states

    def _item(
        self, verb: Verb, session_id: str, item: VendorBatchItem, key: str, request_id: str | None
    ) -> OperationResult:
        if not item.ok or item.session is None:
            return self._failed(session_id, verb, _item_error(verb, item, request_id), key)
        return OperationResult(
            ref=self._ref(session_id),
            verb=verb,
            outcome=OperationOutcome.APPLIED if item.changed else OperationOutcome.ALREADY_IN_STATE,
            state_before=to_state(item.previous_status or ""),
            state_after=to_state(item.session.status),
            idempotency_key=f"{key}:{session_id}",
            vendor_request_id=request_id,
        )

    def _failed(
        self, session_id: str, verb: Verb, error: errors.InterlockError, key: str
    ) -> OperationResult:
        return failed_result(
            self._ref(session_id), verb, error, idempotency_key=f"{key}:{session_id}"
        )


def _item_error(verb: Verb, item: VendorBatchItem, request_id: str | None) -> errors.InterlockError:
    code = (item.error or {}).get("code", "")
    message = f"sandbox: {(item.error or {}).get('message', code)}"
    if code == "not_found":
        return errors.SessionNotFound(message, vendor_request_id=request_id)
    # The item names the status the vendor met, so the refusal can name both states.
    state = to_state(item.status or "")
    return explain_refusal(state, verb, message, vendor_request_id=request_id)
