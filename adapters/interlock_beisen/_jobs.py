"""Beisen's asynchronous writes: find a job, wait for its final state, read its items.

A batch write is *accepted* with HTTP 200 and an ``X-PAAS-Request-ID``; its outcome is read
from ``GET /OpenPlatform/api/AsyncApiExecInfo/GetByRequestId``. The wait is bounded: a job
still ``Running`` after ``async_wait_s``, or one that ended ``Overtime`` (Beisen: the task may
still run), fails every item with the request id and "outcome unknown" — never a silent
success, and never retried blind (``retryable=False``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

from interlock import errors
from interlock.http import VendorClient
from interlock_beisen._errors import ASYNC_STATES, BATCH_FAILURE_LISTS
from interlock_beisen._interpret import interpret_as
from interlock_beisen._models import JobRecord

__all__ = ["JOB_PATH", "JobWaiter", "canonical_id", "item_causes", "request_id_for"]

JOB_PATH = "/OpenPlatform/api/AsyncApiExecInfo/GetByRequestId"
JOB_API = "AsyncApiExecInfo/GetByRequestId"
_NAMESPACE = uuid.UUID("2b1d7f7e-96a4-4f53-8f5e-5d3c1a0e9b44")
READ_BACK_FIRST = "read the sessions back before trying again"
"""What an operator does about a job whose outcome is unknown (never resend it blind)."""


def request_id_for(idempotency_key: str) -> str:
    """The ``X-PAAS-Request-ID`` (a GUID) of an idempotency key: the same key, the same id,
    so a replayed write names the same job and Beisen does not run it twice."""
    return str(uuid.uuid5(_NAMESPACE, idempotency_key))


class JobWaiter:
    """Reads job records through the account's client and waits for final states."""

    def __init__(
        self,
        client: VendorClient,
        *,
        poll_interval_s: float,
        wait_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._interval = poll_interval_s
        self._wait = wait_s
        self._clock = clock
        self._sleep = sleep

    async def find(self, request_id: str) -> JobRecord | None:
        """The job's record, or None when Beisen has no job of this id (read-back)."""
        try:
            return await self._read(request_id)
        except errors.SessionNotFound:
            return None

    async def final(self, request_id: str) -> JobRecord:
        """Poll until the job's state is final; its record (items to be read per cause).

        :raises VendorTimeout: ``Overtime`` or the wait ran out (ambiguous, not retryable).
        """
        deadline = self._clock() + self._wait
        while True:
            try:
                record = await self._read(request_id)
            except errors.SessionNotFound:
                raise self._unknown(request_id, "Beisen no longer knows the job") from None
            except errors.InterlockError as error:
                # The job was accepted: failing to read its state says nothing about its items.
                why = f"its state could not be read ({error.code})"
                raise self._unknown(request_id, why) from error
            meaning = ASYNC_STATES.get(record.state)
            if meaning is None:
                raise errors.VendorProtocolError(
                    f"beisen: async job {request_id} has an unknown state {record.state!r}",
                    field="data.state",
                    vendor_request_id=request_id,
                    hint=READ_BACK_FIRST,
                )
            if meaning == "per_item":
                return record
            if meaning == "unknown":
                raise self._unknown(request_id, f"the job ended {record.state}", record.state)
            if self._clock() + self._interval > deadline:
                raise self._unknown(request_id, f"the job was still Running after {self._wait:g} s")
            await self._sleep(self._interval)

    async def _read(self, request_id: str) -> JobRecord:
        reply = await self._client.request(
            "GET",
            JOB_PATH,
            api=JOB_API,
            params={"requestId": request_id},
            interpret=interpret_as(JobRecord),
        )
        record: JobRecord = reply.data
        return record

    @staticmethod
    def _unknown(request_id: str, why: str, state: str | None = None) -> errors.VendorTimeout:
        return errors.VendorTimeout(
            f"beisen: async write {request_id}: {why}; whether it was applied is unknown",
            ambiguous=True,
            retryable=False,
            vendor_request_id=request_id,
            vendor_code=state,
            hint=READ_BACK_FIRST,
        )


def item_causes(record: JobRecord, sent: list[str], request_id: str) -> dict[str, str]:
    """Canonical id → the failure list it is in (ids in none of them were changed).

    :raises VendorProtocolError: the record has no result, or its count disagrees with what
        was sent (then no item can be trusted).
    """
    result = record.result
    if result is None:
        raise errors.VendorProtocolError(
            f"beisen: async job ended {record.state} without a result",
            field="data.result",
            vendor_request_id=request_id,
            hint=READ_BACK_FIRST,
        )
    if result.total_count != len(sent):
        raise errors.VendorProtocolError(
            f"beisen: async job counted {result.total_count} items, {len(sent)} were sent",
            field="data.result.totalCount",
            vendor_request_id=request_id,
            hint=READ_BACK_FIRST,
        )
    lists = result.model_dump(by_alias=True)
    causes: dict[str, str] = {}
    for name in BATCH_FAILURE_LISTS:
        for value in lists.get(name) or []:
            causes[canonical_id(str(value))] = name
    return causes


def canonical_id(value: str) -> str:
    """A GUID in one spelling (Beisen may echo ids in another case)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value
