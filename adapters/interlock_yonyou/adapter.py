"""``YonyouAdapter``: terminate and revoke through a tenant-published YonBIP API.

YonBIP has no interview API of its own; the tenant publishes one on its gateway (see
``VENDOR_API.md``). That API can terminate and revoke — one session or a batch — and cannot
pause or resume, so those verbs are declared ``unsupported`` and the base class refuses them
before any vendor call.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Sequence
from datetime import datetime, tzinfo

import httpx

from interlock import errors
from interlock.adapter import (
    AccountContext,
    InterviewAdapter,
    confirmed_result,
    explain_refusal,
)
from interlock.capabilities import Capabilities, CapabilityLevel, ChangeObservation
from interlock.events import CallbackRequest, CallbackResult
from interlock.http import AmbiguousSignal, ReadBack, ThrottleSignal, VendorSignals
from interlock.models import (
    FilterField,
    OperationOutcome,
    OperationResult,
    Reason,
    Session,
    SessionFilter,
    SessionPage,
    Verb,
)
from interlock.transitions import TARGET_STATE
from interlock_yonyou._batch import BatchRunner
from interlock_yonyou._client import TenantApi, YonyouConnection
from interlock_yonyou._errors import THROTTLE_RETRY_AFTER_S
from interlock_yonyou._interpret import DuplicateSubmission, interpret_business
from interlock_yonyou._mapping import (
    decode_page_token,
    encode_page_token,
    list_body,
    reason_item,
    result_from_record,
    to_session,
)
from interlock_yonyou._models import SessionPage as VendorPage
from interlock_yonyou._models import SessionRecord
from interlock_yonyou._push import PushReceiver
from interlock_yonyou.options import YonyouOptions

__all__ = ["YonyouAdapter", "resubmit_check_key"]

# Not POSITION: the neutral filter also matches the title; the list API takes an id only.
_SERVER_FILTERS = frozenset(
    {
        FilterField.STATE,
        FilterField.BATCH_NO,
        FilterField.START_FROM,
        FilterField.START_TO,
    }
)
_NOTES = (
    "The tenant-published interview API offers terminate and revoke (single and batch) only; "
    "YonBIP has no pause or resume for interviews."
)


def resubmit_check_key(idempotency_key: str) -> str:
    """YonBIP's MDD idempotency key (≤ 32 characters), derived stably from ours."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


class YonyouAdapter(InterviewAdapter):
    """Adapter for a YonBIP tenant's interview API (terminate and revoke only)."""

    vendor = "yonyou"
    vendor_signals = VendorSignals(
        throttles=tuple(
            ThrottleSignal(
                status=200,
                body={"code": code, "message": "触发了限流，请稍后再试"},
                documented_wait_s=THROTTLE_RETRY_AFTER_S,  # "稍后再试": no header, no number
            )
            for code in ("310046", "310039", "310042", "310032")
        ),
        ambiguous=(AmbiguousSignal(status=200, body={"code": "310504", "message": "请求超时"}),),
    )

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        options = self.options_as(YonyouOptions)
        if context.timezone is None:
            raise errors.ConfigurationError(
                f"account {context.account!r}: yonyou sends zone-less local times; "
                "the account needs a timezone",
                hint='set timezone = "Asia/Shanghai" (the tenant\'s zone) in interlock.toml',
            )
        self.options = options
        self.zone: tzinfo = context.timezone
        self.connection = YonyouConnection(
            context,
            options,
            wall_clock_ms=lambda: int(context.clock().timestamp() * 1000),
            # The shared limiter if the account has one, else our own under the tenant's limit.
            limiter=self.rate_limiter(default=options.vendor_qps, share=options.rate_share),
        )
        self.api = TenantApi(self.connection, options.api_prefix)
        self._batches = BatchRunner(self.api, ref=self.ref, read_sessions=self._read_sessions)
        self._push = PushReceiver(account=self.account, options=options, clock=context.clock)

    @functools.cached_property
    def capabilities(self) -> Capabilities:
        # Computed once: it depends only on the account's (frozen) options.
        return Capabilities(
            pause=CapabilityLevel.UNSUPPORTED,
            resume=CapabilityLevel.UNSUPPORTED,
            terminate=CapabilityLevel.NATIVE,
            revoke=CapabilityLevel.NATIVE,
            restore=False,
            native_batch_size=self.options.native_batch_size,
            server_side_filters=_SERVER_FILTERS,
            push_events=True,
            change_observation=ChangeObservation.PUSH,
            notes=_NOTES,
        )

    async def aclose(self) -> None:
        await self.connection.aclose()

    def session_of(self, record: SessionRecord) -> Session:
        return to_session(self.account, record, self.zone)

    def _reads_session(self, response: httpx.Response) -> Session:
        return self.session_of(SessionRecord.model_validate(interpret_business(response)))

    # -- reads -------------------------------------------------------------------------------

    async def get_session(self, session_id: str) -> Session:
        reply = await self.api.call(
            "GET", "session/detail", params={"id": session_id}, interpret=self._reads_session
        )
        session: Session = reply.data
        return session

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        page_index, size = decode_page_token(page_token, page_size)
        reply = await self.api.call(
            "POST",
            "session/list",
            json=list_body(session_filter, self.zone, page_index, size),
            mutating=False,
            interpret=lambda r: VendorPage.model_validate(interpret_business(r)),
        )
        page: VendorPage = reply.data
        sessions = (self.session_of(record) for record in page.record_list)
        more = page.page_index < page.page_count and bool(page.record_list)
        return SessionPage(
            sessions=tuple(s for s in sessions if session_filter.matches(s)),
            next_page_token=encode_page_token(page.page_index + 1, page.page_size)
            if more
            else None,
        )

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
        """Terminate and revoke are ``POST session/{verb}`` (pause and resume are refused by
        the base class: the capabilities declare them unsupported)."""
        item = reason_item(session_id, reason) | {
            "resubmitCheckKey": resubmit_check_key(idempotency_key)
        }
        try:
            reply = await self.api.call(
                "POST",
                f"session/{verb}",
                json={"data": item},
                read_back=self.read_back_for(session_id, verb),
                interpret=_reads_write,
            )
        except errors.InvalidTransition as refused:
            # The vendor says no without naming states; read back to say exactly why.
            state = (await self.get_session(session_id)).state
            raise explain_refusal(state, verb, refused.message) from refused
        if reply.confirmed_by_read_back:
            session: Session = reply.data
            return confirmed_result(
                session.ref, verb, session.state, idempotency_key=idempotency_key
            )
        if isinstance(reply.data, DuplicateSubmission):
            return self._done_before(verb, session_id, idempotency_key)
        record: SessionRecord = reply.data
        return result_from_record(self.ref(record.id), verb, record, idempotency_key)

    def read_back_for(self, session_id: str, verb: Verb) -> ReadBack:
        async def read_back() -> Session | None:
            session = await self.get_session(session_id)
            return session if session.state is TARGET_STATE[verb] else None

        return read_back

    def _done_before(self, verb: Verb, session_id: str, key: str) -> OperationResult:
        """The gateway did this write under this key more than an hour ago and only names the
        id now: the operation was applied then (the session may have moved on since)."""
        return OperationResult(
            ref=self.ref(session_id),
            verb=verb,
            outcome=OperationOutcome.APPLIED,
            state_after=TARGET_STATE[verb],
            idempotency_key=key,
        )

    async def _read_sessions(self, ids: list[str]) -> dict[str, Session | None]:
        """Each session's current state (None: it does not exist), for batch read-backs."""

        async def one(session_id: str) -> Session | None:
            try:
                return await self.get_session(session_id)
            except errors.SessionNotFound:
                return None

        sessions = await asyncio.gather(*(one(i) for i in ids))
        return dict(zip(ids, sessions, strict=True))

    # -- native batch ------------------------------------------------------------------------

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        """One ``batch{verb}`` call, one result per id."""
        return await self._batches.chunk(verb, session_ids, reason, idempotency_key)

    # -- push ----------------------------------------------------------------------------------

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        """Verify, de-duplicate and decrypt a YonBIP event push (reply: ``success``).

        A refusal names this account: one app's pushes may reach several accounts' URLs."""
        try:
            return self._push.parse(request)
        except errors.InterlockError as refused:
            if refused.details.get("account") is None:
                refused.details["account"] = self.account
            raise


def _reads_write(response: httpx.Response) -> SessionRecord | DuplicateSubmission:
    data = interpret_business(response)
    if isinstance(data, DuplicateSubmission):
        return data
    return SessionRecord.model_validate(data)
