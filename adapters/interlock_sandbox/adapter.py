"""``SandboxAdapter``: every neutral verb, native batch and native restore, over HTTP.

This is the adapter to copy. It composes the pieces (options, toolkit client, mapping) and
contains only what is specific to the vendor: paths, request bodies, result mapping.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx

from interlock import errors
from interlock.adapter import (
    AccountContext,
    InterviewAdapter,
    confirmed_result,
    explain_refusal,
    vendor_refuses_page_token,
)
from interlock.capabilities import Capabilities, CapabilityLevel, ChangeObservation
from interlock.doubles import DoubleSettings
from interlock.http import AmbiguousSignal, ThrottleSignal, VendorReply, VendorSignals
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
from interlock.transitions import TARGET_STATE
from interlock_sandbox._batch import BatchRunner
from interlock_sandbox._client import build_client
from interlock_sandbox._interpret import expecting
from interlock_sandbox._mapping import VENDOR_STATUS_OF, to_session, to_state
from interlock_sandbox._models import VendorChange, VendorPage, VendorSession
from interlock_sandbox.double import SandboxDouble
from interlock_sandbox.options import SandboxOptions

__all__ = ["SandboxAdapter"]

# Not POSITION: the neutral filter also matches the title, and the vendor searches ids only.
_SERVER_FILTERS = frozenset(
    {
        FilterField.STATE,
        FilterField.BATCH_NO,
        FilterField.START_FROM,
        FilterField.START_TO,
    }
)


def _world_file(context: AccountContext) -> Path | None:
    """Where the in-process double keeps this account's world (direct mode), if anywhere."""
    if context.state_dir is None:
        return None
    return context.state_dir / f"{context.account}.world.json"


class SandboxAdapter(InterviewAdapter):
    """Adapter for the sandbox vendor (in-process by default, or over HTTP)."""

    vendor = "sandbox"
    vendor_signals = VendorSignals(
        throttles=(
            ThrottleSignal(
                status=429,
                body={"ok": False, "error": {"code": "rate_limited", "message": "slow down"}},
                wait_header="retry-after",
            ),
        ),
        ambiguous=(
            AmbiguousSignal(
                status=504,
                body={"ok": False, "error": {"code": "deadline_exceeded", "message": "gave up"}},
            ),
        ),
    )

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        options = self.options_as(SandboxOptions)
        self.options = options
        transport: httpx.AsyncBaseTransport | None = context.transport
        self.double: SandboxDouble | None = None
        if transport is None and options.in_process:
            self.double = SandboxDouble(
                DoubleSettings(
                    seed=options.seed,
                    sessions=options.sessions,
                    latency_ms=options.latency_ms,
                    qps=options.vendor_qps,
                    state_file=_world_file(context),
                )
            )
            transport = httpx.MockTransport(self.double.handle)
        # Without a shared limiter, stay under rate_share of the vendor's per-API limit.
        limiter = self.rate_limiter(default=options.vendor_qps, share=options.rate_share)
        self._client = build_client(context, options, transport, limiter)
        self._batches = BatchRunner(self._client, ref=self.ref, read_states=self._read_states)

    @functools.cached_property
    def capabilities(self) -> Capabilities:
        # Computed once: it depends only on the account's (frozen) options.
        native = CapabilityLevel.NATIVE
        return Capabilities(
            pause=native,
            resume=native,
            terminate=native,
            revoke=native,
            restore=True,
            native_batch_size=self.options.native_batch_size,
            server_side_filters=_SERVER_FILTERS,
            push_events=False,
            change_observation=ChangeObservation.POLLING,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def interview_url(self, session_id: str) -> str | None:
        """The double's candidate page of the interview."""
        return f"{self.options.base_url.rstrip('/')}/interview/{session_id}"

    # -- reads -------------------------------------------------------------------------------

    async def get_session(self, session_id: str) -> Session:
        reply = await self._client.request(
            "GET",
            f"/v1/sessions/{quote(session_id, safe='')}",
            api="sessions.read",
            interpret=expecting(VendorSession),
        )
        return to_session(self.account, reply.data)

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        with vendor_refuses_page_token(self.vendor, page_token, "invalid_argument"):
            reply = await self._client.request(
                "GET",
                "/v1/sessions",
                api="sessions.read",
                params=_query(session_filter, page_size, page_token),
                interpret=expecting(VendorPage),
            )
        page: VendorPage = reply.data
        sessions = (to_session(self.account, raw) for raw in page.sessions)
        return SessionPage(
            sessions=tuple(s for s in sessions if session_filter.matches(s)),
            next_page_token=page.next_cursor,
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
        """All four verbs are one endpoint: ``POST /v1/sessions/{id}:{verb}``."""
        body: dict[str, Any] = {"reason": {"code": reason.code, "note": reason.note}}
        if verb is Verb.PAUSE and resume_deadline is not None:
            body["resume_deadline"] = resume_deadline.isoformat()
        try:
            reply = await self._client.request(
                "POST",
                f"/v1/sessions/{quote(session_id, safe='')}:{verb}",
                api=f"sessions.{verb}",
                json=body,
                headers={"Idempotency-Key": idempotency_key},
                read_back=lambda: self._read_back(session_id, TARGET_STATE[verb]),
                interpret=expecting(VendorChange),
            )
        except errors.InvalidTransition as refused:
            # The vendor says no without naming states; read it back to say exactly why.
            state = (await self.get_session(session_id)).state
            raise explain_refusal(state, verb, refused.message) from refused
        return self._result(verb, session_id, idempotency_key, reply)

    async def restore(
        self, session_id: str, state: SessionState, reason: Reason, *, idempotency_key: str
    ) -> OperationResult:
        reply = await self._client.request(
            "POST",
            f"/v1/sessions/{quote(session_id, safe='')}:restore",
            api="sessions.restore",
            json={"state": str(state), "reason": {"code": reason.code, "note": reason.note}},
            headers={"Idempotency-Key": idempotency_key},
            read_back=lambda: self._read_back(session_id, state),
            interpret=expecting(VendorChange),
        )
        return self._result("restore", session_id, idempotency_key, reply)

    async def _read_back(self, session_id: str, target: SessionState) -> Session | None:
        session = await self.get_session(session_id)
        return session if session.state is target else None

    def _result(
        self, verb: Verb | Literal["restore"], session_id: str, key: str, reply: VendorReply
    ) -> OperationResult:
        if reply.confirmed_by_read_back:
            session: Session = reply.data
            return confirmed_result(self.ref(session_id), verb, session.state, idempotency_key=key)
        change: VendorChange = reply.data
        return OperationResult(
            ref=self.ref(session_id),
            verb=verb,
            outcome=OperationOutcome.APPLIED
            if change.changed
            else OperationOutcome.ALREADY_IN_STATE,
            state_before=to_state(change.previous_status),
            state_after=to_state(change.session.status),
            idempotency_key=key,
            vendor_request_id=reply.request_id,
        )

    # -- native batch ------------------------------------------------------------------------

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        """One ``POST /v1/sessions:batch`` for up to 100 ids (the facade and base chunk)."""
        return await self._batches.chunk(verb, session_ids, reason, idempotency_key)

    async def _read_states(self, ids: list[str]) -> dict[str, SessionState]:
        async def one(session_id: str) -> Session | None:
            try:
                return await self.get_session(session_id)
            except errors.SessionNotFound:
                return None

        sessions = await asyncio.gather(*(one(i) for i in ids))
        return {s.ref.session_id: s.state for s in sessions if s is not None}


def _query(session_filter: SessionFilter, page_size: int, page_token: str | None) -> list[Any]:
    params: list[tuple[str, str | int]] = [("page_size", max(1, min(page_size, 200)))]
    if page_token:
        params.append(("cursor", page_token))
    params += [
        ("status", VENDOR_STATUS_OF[s]) for s in session_filter.states if s in VENDOR_STATUS_OF
    ]
    if session_filter.batch_no:
        params.append(("batch_no", session_filter.batch_no))
    if session_filter.start_from:
        params.append(("start_from", session_filter.start_from.isoformat()))
    if session_filter.start_to:
        params.append(("start_to", session_filter.start_to.isoformat()))
    return params
