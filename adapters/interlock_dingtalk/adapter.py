"""``DingTalkAdapter``: every neutral verb, native batch and verified push, over DingTalk's API.

DingTalk documents no API to pause, resume, terminate or cancel an AI interview, so the verbs
use the DingTalk-style extension described in ``VENDOR_API.md`` (``/v1.0/ats/ai/interview/
sessions/...``); reads of positions use DingTalk's documented ``jobs/{jobId}/info``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from interlock import errors
from interlock.adapter import (
    AccountContext,
    InterviewAdapter,
    confirmed_result,
    explain_refusal,
    vendor_refuses_page_token,
)
from interlock.capabilities import Capabilities, CapabilityLevel, ChangeObservation
from interlock.events import CallbackRequest, CallbackResult
from interlock.http import ThrottleSignal, VendorClient, VendorReply, VendorSignals
from interlock.models import (
    OperationOutcome,
    OperationResult,
    Reason,
    Session,
    SessionFilter,
    SessionPage,
    SessionState,
    Verb,
)
from interlock.transitions import TARGET_STATE
from interlock_dingtalk._api import (
    BIZ_CODE,
    MAX_PAGE_SIZE,
    SESSIONS_PATH,
    job_path,
    reason_body,
    session_path,
    verb_api,
    verb_path,
)
from interlock_dingtalk._batch import BatchRunner
from interlock_dingtalk._client import build_client
from interlock_dingtalk._errors import QPS_RETRY_AFTER_S
from interlock_dingtalk._interpret import expect
from interlock_dingtalk._jobs import JobDirectory
from interlock_dingtalk._mapping import (
    SERVER_SIDE_FILTERS,
    query_body,
    to_millis_ceil,
    to_session,
    to_state,
)
from interlock_dingtalk._models import VendorChange, VendorJob, VendorSession, VendorSessionPage
from interlock_dingtalk._push import CallbackVerifier, events_of
from interlock_dingtalk.extras.work_notices import send_work_notification
from interlock_dingtalk.options import DingTalkOptions

__all__ = ["DEFAULT_TIMEZONE", "DingTalkAdapter"]

log = logging.getLogger("interlock.adapters.dingtalk")

DEFAULT_TIMEZONE = ZoneInfo("Asia/Shanghai")
"""DingTalk tenants are in China; used when the account names no zone."""


class DingTalkAdapter(InterviewAdapter):
    """Adapter for DingTalk 智能招聘 (ATS) AI interviews."""

    vendor = "dingtalk"
    vendor_signals = VendorSignals(
        throttles=tuple(
            ThrottleSignal(
                status=403,
                body={"code": code, "message": "QPS超过限制", "requestid": "signal"},
                documented_wait_s=QPS_RETRY_AFTER_S,  # "sleep 1秒，然后继续执行", no header
            )
            for code in (
                "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
                "Forbidden.AccessDenied.QpsLimitForApi",
            )
        )
    )

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        options = self.options_as(DingTalkOptions)
        self.options = options
        self.timezone = context.timezone or DEFAULT_TIMEZONE
        # The shared limiter if the account has one, else our own below DingTalk's per-API QPS.
        limiter = self.rate_limiter(default=options.vendor_qps, share=options.rate_share)
        self._client = build_client(context, options, limiter)
        self._jobs = JobDirectory(
            self._fetch_job, ttl_s=options.job_cache_ttl_s, clock=context.monotonic
        )
        self._batches = BatchRunner(self._client, ref=self.ref, read_states=self._read_states)
        self._push = _verifier(context, options)

    @functools.cached_property
    def capabilities(self) -> Capabilities:
        # Computed once: it depends only on the account's (frozen) options.
        native = CapabilityLevel.NATIVE
        push = self._push is not None
        return Capabilities(
            pause=native,
            resume=native,
            terminate=native,
            revoke=native,
            restore=False,
            native_batch_size=self.options.native_batch_size,
            server_side_filters=SERVER_SIDE_FILTERS,
            push_events=push,
            change_observation=ChangeObservation.PUSH if push else ChangeObservation.POLLING,
            notes="pause/resume/terminate/cancel use the DingTalk-style AI-interview extension "
            "(DingTalk publishes no such API); positions and owners from jobs/{jobId}/info",
        )

    @property
    def client(self) -> VendorClient:
        """The toolkit client (for diagnostics)."""
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- reads -------------------------------------------------------------------------------

    async def get_session(self, session_id: str) -> Session:
        raw = await self.read_raw(session_id)
        job = await self._jobs.get(raw.job_id)
        return to_session(self.account, raw, job, self.timezone)

    async def read_raw(self, session_id: str) -> VendorSession:
        """The vendor's session object (no job lookup): for read-backs."""
        reply = await self._client.request(
            "GET",
            session_path(session_id),
            api="GetAiInterviewSession",
            params=BIZ_CODE,
            interpret=expect(VendorSession),
        )
        session: VendorSession = reply.data
        return session

    async def query_raw(
        self, body: dict[str, Any], *, size: int, next_token: str | None = None
    ) -> VendorSessionPage:
        params: dict[str, Any] = {**BIZ_CODE, "size": max(1, min(size, MAX_PAGE_SIZE))}
        if next_token:
            params["nextToken"] = next_token
        with vendor_refuses_page_token(self.vendor, next_token, "invalidParam"):
            reply = await self._client.request(
                "POST",
                f"{SESSIONS_PATH}/query",
                api="QueryAiInterviewSessions",
                params=params,
                json=body,
                mutating=False,
                interpret=expect(VendorSessionPage),
            )
        page: VendorSessionPage = reply.data
        if page.has_more and not page.next_token:
            # Ending the listing here would drop every later session without a word.
            raise errors.VendorProtocolError(
                "dingtalk: a page that is not the last has no nextToken",
                field="nextToken",
                vendor_request_id=reply.request_id,
            )
        return page

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        page = await self.query_raw(
            query_body(session_filter), size=page_size, next_token=page_token
        )
        jobs = await self._jobs.get_many([raw.job_id for raw in page.items])
        sessions = (
            to_session(self.account, raw, jobs[raw.job_id], self.timezone) for raw in page.items
        )
        return SessionPage(
            sessions=tuple(s for s in sessions if session_filter.matches(s)),
            next_page_token=page.next_token if page.has_more else None,
        )

    async def _fetch_job(self, job_id: str) -> VendorJob | None:
        try:
            reply = await self._client.request(
                "GET",
                job_path(job_id),
                api="GetJobInfoByJobId",
                interpret=expect(VendorJob),
            )
        except errors.SessionNotFound:
            # The job is gone: the position keeps no owners rather than guessed ones.
            log.warning("dingtalk.job_missing", extra={"account": self.account, "job": job_id})
            return None
        job: VendorJob = reply.data
        return job

    # -- work notifications (the notification channel's transport) ---------------------------

    async def send_work_notification(
        self, agent_id: int, user_ids: list[str], title: str, text: str
    ) -> str:
        """A text work notification from the app ``agent_id`` to ``user_ids`` (see
        :func:`interlock_dingtalk.extras.work_notices.send_work_notification`)."""
        return await send_work_notification(self._client, agent_id, user_ids, title, text)

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
        """Every verb is ``POST .../sessions/{id}/{action}`` with a ``clientToken``."""
        body: dict[str, Any] = {**reason_body(reason), "clientToken": idempotency_key}
        if verb is Verb.PAUSE and resume_deadline is not None:
            body["resumeDeadlineMillis"] = to_millis_ceil(resume_deadline)
        try:
            reply = await self._client.request(
                "POST",
                verb_path(session_id, verb),
                api=verb_api(verb),
                params=BIZ_CODE,
                json=body,
                read_back=lambda: self._read_back(session_id, verb),
                interpret=expect(VendorChange),
            )
        except errors.InvalidTransition as refused:
            # DingTalk names no states when it refuses: read the session to say exactly why.
            state = to_state((await self.read_raw(session_id)).status)
            raise explain_refusal(state, verb, refused.message) from refused
        return self._result(verb, session_id, idempotency_key, reply)

    async def _read_back(self, session_id: str, verb: Verb) -> VendorSession | None:
        raw = await self.read_raw(session_id)
        return raw if to_state(raw.status) is TARGET_STATE[verb] else None

    async def _read_states(self, ids: list[str]) -> dict[str, SessionState]:
        """The state of each id that exists, in one query (for batch read-backs)."""
        page = await self.query_raw({"sessionIds": ids}, size=len(ids))
        return {raw.session_id: to_state(raw.status) for raw in page.items}

    def _result(self, verb: Verb, session_id: str, key: str, reply: VendorReply) -> OperationResult:
        if reply.confirmed_by_read_back:
            raw: VendorSession = reply.data
            return confirmed_result(
                self.ref(session_id), verb, to_state(raw.status), idempotency_key=key
            )
        change: VendorChange = reply.data
        return OperationResult(
            ref=self.ref(session_id),
            verb=verb,
            outcome=OperationOutcome.APPLIED
            if change.status_changed
            else OperationOutcome.ALREADY_IN_STATE,
            state_before=to_state(change.previous_status),
            state_after=to_state(change.status),
            idempotency_key=key,
            vendor_request_id=reply.request_id,
        )

    # -- native batch ------------------------------------------------------------------------

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        """One DingTalk-style batch call for ≤ 50 ids, one result per id."""
        return await self._batches.chunk(verb, list(session_ids), reason, idempotency_key)

    # -- push --------------------------------------------------------------------------------

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        """Verify a DingTalk HTTP push, decode its events and build the encrypted reply.

        :raises VendorAuthFailed: unsigned, forged, stale, replayed or for another app.
        :raises VendorProtocolError: verified but undecodable (names the field).
        """
        if self._push is None:
            return super().parse_callback(request)
        push = self._push.open(request)
        return CallbackResult(events=events_of(self.account, push), reply=self._push.reply())


def _verifier(context: AccountContext, options: DingTalkOptions) -> CallbackVerifier | None:
    secrets = options.push_secrets
    if secrets is None:
        return None
    token, aes_key = secrets
    return CallbackVerifier(
        account=context.account,
        token=token,
        encoding_aes_key=aes_key,
        owner_key=options.owner_key,
        max_age_s=options.callback_max_age_s,
        clock=context.clock,
    )
