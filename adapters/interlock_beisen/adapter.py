"""``BeisenAdapter``: every neutral verb on Beisen-style AI interviews, batches asynchronous.

* reads: ``Interview/GetInterviewById``, ``Interview/GetInterviewsByDate`` (``batchId``
  paging, the interview-time range evaluated by Beisen), ``Interview/GetInterviewsByIds``;
* pause / resume / terminate: the Beisen-style ``Interview/{Suspend,Resume,Terminate}AIInterview``
  (single, synchronous) and ``Interview/Batch…AIInterview`` (≤ 100 ids, asynchronous);
* revoke: the documented ``Interview/CancelInterview`` (single only);
* every verb reads the session first: a verb whose target already holds is answered without a
  write, and a refused one gets the canonical ``InvalidTransition`` naming both states.

Beisen's times carry no zone: the account's time zone is required, at construction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from interlock import errors
from interlock.adapter import (
    AccountContext,
    InterviewAdapter,
    explain_refusal,
    vendor_refuses_page_token,
)
from interlock.capabilities import Capabilities, CapabilityLevel, ChangeObservation
from interlock.http import ThrottleSignal, VendorSignals
from interlock.models import (
    FilterField,
    OperationOutcome,
    OperationResult,
    Reason,
    Session,
    SessionFilter,
    SessionPage,
    SessionState,
    Verb,
)
from interlock.transitions import TARGET_STATE, plan_transition
from interlock_beisen._batch import BatchRunner, is_guid
from interlock_beisen._client import build_client
from interlock_beisen._interpret import REQUEST_ID_HEADER, interpret_as
from interlock_beisen._jobs import JobWaiter, canonical_id, request_id_for
from interlock_beisen._mapping import CONTROL_API, to_local_text, to_session, to_state
from interlock_beisen._models import ControlReply, Interview, InterviewBatch
from interlock_beisen.options import BeisenOptions

__all__ = ["RECRUIT", "BeisenAdapter"]

RECRUIT = "/RecruitV6/api/v1/"
_EARLIEST = "2000-01-01T00:00:00"  # Beisen requires a range; these bound "everything"
_LATEST = "2099-12-31T23:59:59"


class BeisenAdapter(InterviewAdapter):
    """Adapter for Beisen (北森) RecruitV6 AI interviews."""

    vendor = "beisen"
    vendor_signals = VendorSignals(
        throttles=(
            ThrottleSignal(
                status=429,
                body={"message": "API rate limit exceeded"},
                wait_header="retry-after",  # sent on some 429s only
                documented_wait_s=1.0,  # the per-second window
            ),
        )
    )

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        if context.timezone is None:
            raise errors.ConfigurationError(
                f"account {context.account!r}: Beisen sends local times without a zone, "
                "so the account needs a time zone",
                hint='set timezone = "Asia/Shanghai" (the tenant\'s IANA zone) on the account',
            )
        options = self.options_as(BeisenOptions)
        self.options = options
        self.zone = context.timezone
        self._client = build_client(context, options)
        # The account's clock and sleep: virtual time under the contract kit, so a job that
        # hangs in Running costs no real minute there.
        jobs = JobWaiter(
            self._client,
            poll_interval_s=options.async_poll_interval_s,
            wait_s=options.async_wait_s,
            clock=context.monotonic,
            sleep=context.sleep,
        )
        self._batches = BatchRunner(
            self._client,
            jobs,
            ref=self.ref,
            read_many=self._read_many,
            prefix=RECRUIT,
        )

    @functools.cached_property
    def capabilities(self) -> Capabilities:
        # Computed once: it depends only on the account's (frozen) options.
        native = CapabilityLevel.NATIVE
        return Capabilities(
            pause=native,
            resume=native,
            terminate=native,
            revoke=native,
            restore=False,
            native_batch_size=self.options.batch_size,
            # CancelInterview has no batch call: revoke is batched one call per item.
            native_batch_verbs=frozenset({Verb.PAUSE, Verb.RESUME, Verb.TERMINATE}),
            server_side_filters=frozenset({FilterField.START_FROM, FilterField.START_TO}),
            push_events=False,
            change_observation=ChangeObservation.POLLING,
            notes="no push: polls Interview/GetInterviewsByDate; batches are async jobs",
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- reads -------------------------------------------------------------------------------

    async def get_session(self, session_id: str) -> Session:
        interview_id = _guid_or_not_found(session_id)
        reply = await self._client.request(
            "GET",
            RECRUIT + "Interview/GetInterviewById",
            api="Interview/GetInterviewById",
            params={"interviewId": interview_id},
            interpret=interpret_as(Interview),
        )
        return to_session(self.account, reply.data, self.zone)

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        start, end = session_filter.start_from, session_filter.start_to
        if start is not None and end is not None and start >= end:
            return SessionPage(sessions=())  # an empty range: Beisen would refuse it (code 400)
        params = {
            "startDate": to_local_text(start, self.zone, round_up=False) if start else _EARLIEST,
            # Whole seconds: round the exclusive end up so no instant of the range is lost.
            "endDate": to_local_text(end, self.zone, round_up=True) if end else _LATEST,
            "pageSize": max(1, min(page_size, 200)),
        }
        if page_token:
            params["batchId"] = page_token
        with vendor_refuses_page_token(self.vendor, page_token, "400"):
            reply = await self._client.request(
                "GET",
                RECRUIT + "Interview/GetInterviewsByDate",
                api="Interview/GetInterviewsByDate",
                params=params,
                interpret=interpret_as(InterviewBatch),
            )
        batch: InterviewBatch = reply.data
        if not batch.is_last_batch and not batch.next_batch_id:
            raise errors.VendorProtocolError(
                "beisen: a batch that is not the last has no nextBatchId",
                field="data.nextBatchId",
                vendor_request_id=reply.request_id,
            )
        sessions = (to_session(self.account, raw, self.zone) for raw in batch.items)
        return SessionPage(
            sessions=tuple(s for s in sessions if session_filter.matches(s)),
            next_page_token=None if batch.is_last_batch else batch.next_batch_id,
        )

    async def _read_many(self, interview_ids: list[str]) -> dict[str, Session]:
        """Up to 100 sessions in one call (``Interview/GetInterviewsByIds``), by canonical id."""
        reply = await self._client.request(
            "POST",
            RECRUIT + "Interview/GetInterviewsByIds",
            api="Interview/GetInterviewsByIds",
            json={"interviewIds": interview_ids},
            mutating=False,
            interpret=interpret_as(list[Interview]),
        )
        sessions = (to_session(self.account, raw, self.zone) for raw in reply.data)
        return {canonical_id(s.ref.session_id): s for s in sessions}

    # -- verbs -------------------------------------------------------------------------------

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        """Read the session first: Beisen has no idempotent answer, so "already in state" is
        decided here, without a write."""
        session = await self.get_session(session_id)
        return await self._change(verb, session, reason, idempotency_key, resume_deadline)

    async def _change(
        self,
        verb: Verb,
        session: Session,
        reason: Reason,
        key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        """One verb on a session just read: no write when its target holds; else one write."""
        if plan_transition(session.state, verb).already_in_state:
            return self._result(verb, session, OperationOutcome.ALREADY_IN_STATE, key)
        session_id = session.ref.session_id
        target = TARGET_STATE[verb]
        path, api = self._control(verb)
        try:
            reply = await self._client.request(
                "POST",
                path,
                api=api,
                json=self._control_body(verb, session_id, reason, resume_deadline),
                headers={REQUEST_ID_HEADER: request_id_for(key)},
                read_back=lambda: self._read_back(session_id, target),
                interpret=interpret_as(ControlReply | None),
            )
        except errors.InvalidTransition as refused:
            # The status changed since the read: say exactly why, from a fresh read.
            fresh = await self.get_session(session_id)
            if fresh.state is target:
                return self._result(verb, fresh, OperationOutcome.ALREADY_IN_STATE, key)
            raise explain_refusal(fresh.state, verb, refused.message) from refused
        data = reply.data if isinstance(reply.data, ControlReply) else None
        if data is not None and data.previous_status == data.interview_status:
            # Another hand got there first, after our read: Beisen changed nothing.
            there = session.model_copy(update={"state": to_state(data.interview_status)})
            return self._result(
                verb,
                there,
                OperationOutcome.ALREADY_IN_STATE,
                key,
                vendor_request_id=reply.request_id,
            )
        after = to_state(data.interview_status) if data is not None else target
        return self._result(
            verb,
            session,
            OperationOutcome.APPLIED,
            key,
            state_after=after,
            vendor_request_id=reply.request_id,
            confirmed_by_read_back=reply.confirmed_by_read_back,
        )

    @staticmethod
    def _control(verb: Verb) -> tuple[str, str]:
        api = (
            "Interview/CancelInterview" if verb is Verb.REVOKE else f"Interview/{CONTROL_API[verb]}"
        )
        return RECRUIT + api, api

    def _control_body(
        self, verb: Verb, interview_id: str, reason: Reason, resume_deadline: datetime | None
    ) -> dict[str, Any]:
        note = f"{reason.code}: {reason.note}" if reason.note else str(reason.code)
        if verb is Verb.REVOKE:
            return {"interviewId": canonical_id(interview_id), "cancelReason": note}
        body: dict[str, Any] = {
            "interviewId": canonical_id(interview_id),
            "reasonCode": str(reason.code),
            "remark": reason.note,
        }
        if verb is Verb.PAUSE and resume_deadline is not None:
            body["resumeDeadline"] = to_local_text(resume_deadline, self.zone, round_up=False)
        return body

    async def _read_back(self, session_id: str, target: SessionState) -> Session | None:
        session = await self.get_session(session_id)
        return session if session.state is target else None

    def _result(
        self,
        verb: Verb,
        before: Session,
        outcome: OperationOutcome,
        key: str,
        *,
        state_after: SessionState | None = None,
        vendor_request_id: str | None = None,
        confirmed_by_read_back: bool = False,
    ) -> OperationResult:
        return OperationResult(
            ref=before.ref,
            verb=verb,
            outcome=outcome,
            state_before=before.state,
            state_after=state_after or before.state,
            idempotency_key=key,
            vendor_request_id=vendor_request_id,
            confirmed_by_read_back=confirmed_by_read_back,
        )

    # -- native batch ------------------------------------------------------------------------

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        """≤ ``batch_size`` ids: one read and one asynchronous Beisen job, one result per id in
        input order, never raising per item (revoke has no batch call: the base class sends it
        one session at a time)."""
        return await self._batches.chunk(verb, session_ids, reason, idempotency_key)


def _guid_or_not_found(session_id: str) -> str:
    """Beisen interview ids are GUIDs: anything else cannot exist (no call is made)."""
    if not is_guid(session_id):
        raise errors.SessionNotFound(
            f"beisen: {session_id!r} is not a Beisen interview id (a GUID)", session=session_id
        )
    return canonical_id(session_id)
