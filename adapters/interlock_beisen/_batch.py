"""Native batch: one read of the chunk, then one asynchronous Beisen job for ≤ 100 ids.

Each chunk's sessions are read first, so that an id whose verb's target already holds is
answered without a write and a refused one gets the canonical refusal. Revoke has no batch call
at Beisen, so the adapter declares none for it and the base class sends revoke one by one.

The job is submitted with an ``X-PAAS-Request-ID`` derived from the chunk's idempotency key, so
an ambiguous submit (a timeout after sending) is resolved by looking the job up by that id —
never by submitting again blind — and a replayed chunk names the same job. Its final record
decides each item: ids in no failure list were changed; the rest fail with their cause.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence

from interlock import errors
from interlock.adapter import explain_refusal, failed_result
from interlock.http import VendorClient
from interlock.models import OperationOutcome, OperationResult, Reason, Session, SessionRef, Verb
from interlock.transitions import TARGET_STATE, plan_transition
from interlock_beisen._errors import BATCH_FAILURE_LISTS
from interlock_beisen._interpret import REQUEST_ID_HEADER
from interlock_beisen._jobs import JobWaiter, canonical_id, item_causes, request_id_for
from interlock_beisen._mapping import CONTROL_API

__all__ = ["BatchRunner", "ReadMany", "is_guid"]

ReadMany = Callable[[list[str]], Awaitable[dict[str, Session]]]
"""Up to 100 sessions read in one call, by canonical id (missing ids are absent)."""


class BatchRunner:
    """Runs native batch chunks for one Beisen account."""

    def __init__(
        self,
        client: VendorClient,
        jobs: JobWaiter,
        *,
        ref: Callable[[str], SessionRef],
        read_many: ReadMany,
        prefix: str,
    ) -> None:
        self._client = client
        self._jobs = jobs
        self._ref = ref
        self._read_many = read_many
        self._prefix = prefix

    async def chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, key: str
    ) -> list[OperationResult]:
        """One read and one job, one result per id in input order (results are decided by
        canonical id; :meth:`_item_result` names each as the caller spelt it, under its key)."""
        ids = list(session_ids)
        wanted = list(dict.fromkeys(canonical_id(i) for i in ids if is_guid(i)))
        try:
            sessions = await self._read_many(wanted) if wanted else {}
        except errors.InterlockError as error:
            unread = {i: failed_result(self._ref(i), verb, error) for i in wanted}
            return [self._item_result(verb, i, unread, key) for i in ids]
        decided, to_send = self._decide_before(verb, sessions.values())
        if to_send:
            decided.update(await self._run_job(verb, to_send, reason, key))
        return [self._item_result(verb, i, decided, key) for i in ids]

    def _decide_before(
        self, verb: Verb, sessions: Iterable[Session]
    ) -> tuple[dict[str, OperationResult], list[Session]]:
        """Results for the sessions that need no write (by canonical id), and the others."""
        decided: dict[str, OperationResult] = {}
        to_send: list[Session] = []
        for session in sessions:
            try:
                already = plan_transition(session.state, verb).already_in_state
            except errors.InvalidTransition as refused:
                decided[canonical_id(session.ref.session_id)] = failed_result(
                    session.ref, verb, refused
                )
                continue
            if already:
                decided[canonical_id(session.ref.session_id)] = OperationResult(
                    ref=session.ref,
                    verb=verb,
                    outcome=OperationOutcome.ALREADY_IN_STATE,
                    state_before=session.state,
                    state_after=session.state,
                )
            else:
                to_send.append(session)
        return decided, to_send

    def _item_result(
        self, verb: Verb, session_id: str, decided: dict[str, OperationResult], key: str
    ) -> OperationResult:
        """The result for one id as the caller spelt it (one per input id, in order)."""
        item_key = f"{key}:{session_id}"
        result = decided.get(canonical_id(session_id)) if is_guid(session_id) else None
        if result is None:
            missing = errors.SessionNotFound(f"beisen: no interview {session_id!r}")
            return failed_result(self._ref(session_id), verb, missing, idempotency_key=item_key)
        return result.model_copy(update={"ref": self._ref(session_id), "idempotency_key": item_key})

    async def _run_job(
        self, verb: Verb, sessions: list[Session], reason: Reason, key: str
    ) -> dict[str, OperationResult]:
        """Submit, wait, and decide every item by canonical id (a failure of the job fails
        every item). ``key`` is the chunk's own idempotency key: it names the job's request id."""
        request_id = request_id_for(f"{key}#job")
        ids = [canonical_id(s.ref.session_id) for s in sessions]
        api = f"Interview/Batch{CONTROL_API[verb]}"
        body = {"interviewIds": ids, "reasonCode": str(reason.code), "remark": reason.note}
        try:
            reply = await self._client.request(
                "POST",
                self._prefix + api,
                api=api,
                json=body,
                headers={REQUEST_ID_HEADER: request_id},
                read_back=lambda: self._jobs.find(request_id),
            )
            job_id = reply.request_id or request_id
            record = await self._jobs.final(job_id)
            causes = item_causes(record, ids, job_id)
        except errors.InterlockError as error:
            return {
                canonical_id(s.ref.session_id): failed_result(s.ref, verb, error) for s in sessions
            }
        return await self._decide(verb, sessions, causes, job_id)

    async def _decide(
        self,
        verb: Verb,
        sessions: list[Session],
        causes: dict[str, str],
        job_id: str,
    ) -> dict[str, OperationResult]:
        refused = [i for i, c in causes.items() if c == "interviewStatusNotAllowedIds"]
        fresh: dict[str, Session] = {}
        if refused:
            try:  # the canonical refusal names the state the job met: read it again
                fresh = await self._read_many(refused)
            except errors.InterlockError:
                fresh = {}
        results: dict[str, OperationResult] = {}
        for session in sessions:
            session_id = canonical_id(session.ref.session_id)
            cause = causes.get(session_id)
            if cause is None or BATCH_FAILURE_LISTS[cause] is None:
                outcome = (
                    OperationOutcome.APPLIED if cause is None else OperationOutcome.ALREADY_IN_STATE
                )
                results[session_id] = OperationResult(
                    ref=session.ref,
                    verb=verb,
                    outcome=outcome,
                    state_before=session.state,
                    state_after=TARGET_STATE[verb],
                    vendor_request_id=job_id,
                )
                continue
            current = fresh.get(session_id, session)
            error = _item_error(cause, current, verb, job_id)
            results[session_id] = failed_result(session.ref, verb, error)
        return results


def _item_error(cause: str, session: Session, verb: Verb, job_id: str) -> errors.InterlockError:
    where = f"(async job {job_id})"
    if cause == "interviewDeletedIds":
        return errors.SessionNotFound(
            f"beisen: interview {session.ref.session_id} does not exist {where}",
            vendor_request_id=job_id,
        )
    if cause == "interviewResumeDeadlinePassedIds":
        return errors.InvalidTransition(
            f"cannot resume: the pause passed its resume deadline {where}",
            from_state=str(session.state),
            verb=str(verb),
            vendor_request_id=job_id,
        )
    message = f"beisen: the interview's status did not allow {verb} when the job ran {where}"
    return explain_refusal(session.state, verb, message, vendor_request_id=job_id)


def is_guid(value: str) -> bool:
    """Beisen interview ids are GUIDs (in any spelling)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
