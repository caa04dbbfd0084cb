"""``YonyouAdapter``: terminate and revoke through a tenant-published YonBIP API.

YonBIP has no interview API of its own; the tenant publishes one on its gateway (see
``VENDOR_API.md``). That API can terminate and revoke — one session or a batch — and cannot
pause or resume, so those verbs are declared ``unsupported`` and the base class refuses them
before any vendor call.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import Any

import httpx

from interlock import errors
from interlock.adapter import AccountContext, InterviewAdapter
from interlock.capabilities import Capabilities, CapabilityLevel, ChangeObservation
from interlock.events import CallbackRequest, CallbackResult
from interlock.http import ReadBack, VendorReply
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
from interlock.transitions import TARGET_STATE, plan_transition
from interlock_yonyou._batch import BatchRunner
from interlock_yonyou._client import (
    DuplicateSubmission,
    YonyouConnection,
    interpret_business,
)
from interlock_yonyou._mapping import (
    decode_page_token,
    encode_page_token,
    list_body,
    reason_item,
    to_session,
    to_state,
)
from interlock_yonyou._models import SessionPage as VendorPage
from interlock_yonyou._models import SessionRecord
from interlock_yonyou._push import PushReceiver
from interlock_yonyou.options import YonyouOptions

__all__ = ["YonyouAdapter", "resubmit_check_key"]

_SERVER_FILTERS = frozenset(
    {
        FilterField.STATE,
        FilterField.POSITION,
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
            context, options, wall_clock_ms=lambda: int(context.clock().timestamp() * 1000)
        )
        self._batches = BatchRunner(self)
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

    # -- HTTP ---------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        operation: str,
        *,
        interpret: Callable[[httpx.Response], Any],
        params: dict[str, str] | None = None,
        json: Any = None,
        mutating: bool | None = None,
        read_back: ReadBack | None = None,
    ) -> VendorReply:
        """Call ``{gatewayUrl}{api_prefix}/{operation}`` (the gateway is discovered once)."""
        gateway = await self.connection.gateway()
        return await gateway.request(
            method,
            f"{self.options.api_prefix}/{operation}",
            api=f"aiinterview.{operation}",
            params=params,
            json=json,
            mutating=mutating,
            read_back=read_back,
            interpret=interpret,
        )

    def session_of(self, record: SessionRecord) -> Session:
        return to_session(self.account, record, self.zone)

    def _reads_session(self, response: httpx.Response) -> Session:
        return self.session_of(SessionRecord.model_validate(interpret_business(response)))

    # -- reads -------------------------------------------------------------------------------

    async def get_session(self, session_id: str) -> Session:
        reply = await self.call(
            "GET", "session/detail", params={"id": session_id}, interpret=self._reads_session
        )
        session: Session = reply.data
        return session

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        page_index, size = decode_page_token(page_token, page_size)
        reply = await self.call(
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
            reply = await self.call(
                "POST",
                f"session/{verb}",
                json={"data": item},
                read_back=self.read_back_for(session_id, verb),
                interpret=_reads_write,
            )
        except errors.InvalidTransition:
            # The vendor says no without naming states; read back to say exactly why.
            transition = plan_transition((await self.get_session(session_id)).state, verb)
            if not transition.already_in_state:
                raise
            return self._result(
                verb, session_id, idempotency_key, OperationOutcome.ALREADY_IN_STATE
            )
        if reply.confirmed_by_read_back:
            return self._confirmed(verb, reply.data, idempotency_key)
        if isinstance(reply.data, DuplicateSubmission):
            return await self._after_duplicate(verb, session_id, idempotency_key)
        record: SessionRecord = reply.data
        return self.result_from_record(verb, record, idempotency_key, reply.request_id)

    def read_back_for(self, session_id: str, verb: Verb) -> ReadBack:
        async def read_back() -> Session | None:
            session = await self.get_session(session_id)
            return session if session.state is TARGET_STATE[verb] else None

        return read_back

    async def _after_duplicate(
        self, verb: Verb, session_id: str, idempotency_key: str
    ) -> OperationResult:
        # The gateway did this write more than an hour ago and only names the id now.
        session = await self.get_session(session_id)
        if session.state is not TARGET_STATE[verb]:
            raise errors.VendorProtocolError(
                f"yonyou reported {verb} as already submitted, but the session is {session.state}",
                field="code",
            )
        return self._confirmed(verb, session, idempotency_key)

    def result_from_record(
        self, verb: Verb, record: SessionRecord, key: str, request_id: str | None
    ) -> OperationResult:
        """The result of a write, from the record the vendor returned (``preStatus``)."""
        before = to_state(record.pre_status) if record.pre_status is not None else None
        after = to_state(record.status)
        changed = record.pre_status is None or record.pre_status != record.status
        return OperationResult(
            ref=self.ref(record.id),
            verb=verb,
            outcome=OperationOutcome.APPLIED if changed else OperationOutcome.ALREADY_IN_STATE,
            state_before=before,
            state_after=after,
            idempotency_key=key,
            vendor_request_id=request_id,
        )

    def _confirmed(self, verb: Verb, session: Session, key: str) -> OperationResult:
        return OperationResult(
            ref=session.ref,
            verb=verb,
            outcome=OperationOutcome.APPLIED,
            state_after=session.state,
            idempotency_key=key,
            confirmed_by_read_back=True,
        )

    def _result(
        self, verb: Verb, session_id: str, key: str, outcome: OperationOutcome
    ) -> OperationResult:
        target = TARGET_STATE[verb]
        return OperationResult(
            ref=self.ref(session_id),
            verb=verb,
            outcome=outcome,
            state_before=target,
            state_after=target,
            idempotency_key=key,
        )

    # -- native batch ------------------------------------------------------------------------

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        """One ``batch{verb}`` call, one result per id."""
        return await self._batches.chunk(verb, list(session_ids), reason, idempotency_key)

    # -- push ----------------------------------------------------------------------------------

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        """Verify, de-duplicate and decrypt a YonBIP event push (reply: ``success``)."""
        return self._push.parse(request)


def _reads_write(response: httpx.Response) -> SessionRecord | DuplicateSubmission:
    data = interpret_business(response)
    if isinstance(data, DuplicateSubmission):
        return data
    return SessionRecord.model_validate(data)
