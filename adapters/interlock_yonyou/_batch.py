"""Native batches: ``batchterminate`` / ``batchrevoke`` in chunks, one result per id.

A YonBIP batch answers ``code "200"`` even when items failed: ``infos`` holds the records it
changed and ``messages`` the failures (objects; a plain string names its id only in free
text, so its item is read back). Batch writes have no gateway idempotency (MDD covers single
saves only), so an ambiguous batch call is never sent again: the sessions are read back
instead, and an item the answer does not mention is read back too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import httpx

from interlock import errors
from interlock.adapter import explain_refusal, failed_result, read_back_result
from interlock.models import (
    OperationResult,
    Reason,
    Session,
    SessionRef,
    Verb,
)
from interlock.transitions import TARGET_STATE
from interlock_yonyou._client import TenantApi
from interlock_yonyou._interpret import error_from, interpret_business
from interlock_yonyou._mapping import reason_item, result_from_record, to_state
from interlock_yonyou._models import BatchFailure, BatchResult

__all__ = ["BatchRunner", "ReadSessions"]

ReadSessions = Callable[[list[str]], Awaitable[dict[str, Session | None]]]
"""Each session's current state (None: it does not exist)."""

_REFUSED = "HRC-AIV-100409"


def _reads_batch(response: httpx.Response) -> BatchResult:
    return BatchResult.model_validate(interpret_business(response))


class BatchRunner:
    """Runs native batch chunks for one Yonyou account."""

    def __init__(
        self,
        api: TenantApi,
        *,
        ref: Callable[[str], SessionRef],
        read_sessions: ReadSessions,
    ) -> None:
        self._api = api
        self._ref = ref
        self._read_many = read_sessions

    async def chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, key: str
    ) -> list[OperationResult]:
        """One batch call for the ids; a repeated id gets the result of its one write."""
        unique = list(dict.fromkeys(session_ids))
        by_id = dict(zip(unique, await self._chunk(verb, unique, reason, key), strict=True))
        return [by_id[i] for i in session_ids]

    async def _chunk(
        self, verb: Verb, ids: list[str], reason: Reason, key: str
    ) -> list[OperationResult]:
        try:
            reply = await self._api.call(
                "POST",
                f"session/batch{verb}",
                json={"data": [reason_item(i, reason) for i in ids]},
                read_back=lambda: self._read_back(ids, verb),
                interpret=_reads_batch,
            )
        except errors.InterlockError as error:
            return [self._failed(verb, i, error, f"{key}:{i}") for i in ids]
        if reply.confirmed_by_read_back:
            found: dict[str, Session | None] = reply.data
            return [self._from_read_back(verb, i, found.get(i), f"{key}:{i}") for i in ids]
        return await self._from_answer(verb, ids, reply.data, key)

    async def _from_answer(
        self, verb: Verb, ids: list[str], answer: BatchResult, key: str
    ) -> list[OperationResult]:
        infos = {record.id: record for record in answer.infos}
        failures = _failures(answer.messages, ids)
        unmentioned = [i for i in ids if i not in infos and i not in failures]
        read: dict[str, Session | None] = {}
        read_error: errors.InterlockError | None = None
        if unmentioned:
            try:
                read = await self._read_many(unmentioned)
            except errors.InterlockError as error:
                read_error = error
        results = []
        for session_id in ids:
            item_key = f"{key}:{session_id}"
            if session_id in infos:
                record = infos[session_id]
                ref = self._ref(session_id)
                result = result_from_record(ref, verb, record, item_key)
            elif session_id in failures:
                result = self._from_failure(verb, session_id, failures[session_id], item_key)
            elif read_error is not None:
                result = self._failed(verb, session_id, read_error, item_key)
            else:
                result = self._from_read_back(verb, session_id, read.get(session_id), item_key)
            results.append(result)
        return results

    def _from_failure(
        self, verb: Verb, session_id: str, failure: BatchFailure, key: str
    ) -> OperationResult:
        if failure.status is not None:  # a refusal names the status it found
            error: errors.InterlockError = explain_refusal(
                to_state(failure.status), verb, failure.message
            )
        else:
            body = {"message": failure.message, "displayCode": failure.display_code}
            error = error_from(failure.code or "999", body)
        return self._failed(verb, session_id, error, key)

    async def _read_back(self, ids: list[str], verb: Verb) -> dict[str, Session | None] | None:
        found = await self._read_many(ids)
        target = TARGET_STATE[verb]
        if not any(s is not None and s.state is target for s in found.values()):
            return None  # nothing took effect: resending the chunk is safe
        return found

    def _from_read_back(
        self, verb: Verb, session_id: str, session: Session | None, key: str
    ) -> OperationResult:
        state = session.state if session is not None else None
        return read_back_result(self._ref(session_id), verb, state, idempotency_key=key)

    def _failed(
        self, verb: Verb, session_id: str, error: errors.InterlockError, key: str
    ) -> OperationResult:
        return failed_result(self._ref(session_id), verb, error, idempotency_key=key)


def _failures(messages: list[BatchFailure | str], ids: list[str]) -> dict[str, BatchFailure]:
    """The failures the answer describes, by id. A plain-string message (another YonBIP habit)
    names its id only inside free text, and a refusal without the status it found says too
    little: their items are read back like those the answer leaves out."""
    wanted = set(ids)
    return {
        m.id: m
        for m in messages
        if isinstance(m, BatchFailure)
        and m.id in wanted
        and (m.display_code != _REFUSED or m.status is not None)
    }
