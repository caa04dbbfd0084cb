"""Deliberately broken variants of the sandbox adapter: each plants one bug the suite must catch.

Every variant subclasses :class:`SandboxAdapter` and changes as little as possible, the way the
bug would really be written. ``PLANTED`` maps a variant's name to its class.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from interlock import errors
from interlock.adapter import AccountContext
from interlock.capabilities import Capabilities, CapabilityLevel
from interlock.http import RetryPolicy, TokenCache, VendorReply
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
from interlock.transitions import TARGET_STATE, plan_transition
from interlock_sandbox._interpret import interpret
from interlock_sandbox._models import VendorChange
from interlock_sandbox.adapter import SandboxAdapter

__all__ = ["PLANTED"]


class _OwnResults(SandboxAdapter):
    """Variants that send their own requests map the raw answer themselves (so they do not
    depend on how the sandbox parses its payloads) and keep its invalid-transition handling."""

    def _own_result(
        self, verb: Verb, session_id: str, key: str, reply: VendorReply
    ) -> OperationResult:
        data = reply.data
        changed = data.get("changed") if isinstance(data, dict) else getattr(data, "changed", None)
        return OperationResult(
            ref=self.ref(session_id),
            verb=verb,
            outcome=OperationOutcome.ALREADY_IN_STATE
            if changed is False
            else OperationOutcome.APPLIED,
            state_after=TARGET_STATE[verb],
            idempotency_key=key,
            confirmed_by_read_back=reply.confirmed_by_read_back,
        )

    async def _refused(self, verb: Verb, session_id: str) -> None:
        plan_transition((await self.get_session(session_id)).state, verb)

    async def _send_verb(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        key: str,
        interpret_as: Callable[[httpx.Response], Any],
    ) -> OperationResult:
        try:
            reply = await self._client.request(
                "POST",
                f"/v1/sessions/{quote(session_id, safe='')}:{verb}",
                api=f"sessions.{verb}",
                json={"reason": {"code": reason.code, "note": reason.note}},
                headers={"Idempotency-Key": key},
                read_back=lambda: self._read_back(session_id, TARGET_STATE[verb]),
                interpret=interpret_as,
            )
        except errors.InvalidTransition:
            await self._refused(verb, session_id)
            raise
        return self._own_result(verb, session_id, key, reply)


class BlindTerminateRetry(_OwnResults):
    """Sends terminate without ``read_back`` and, after a timeout, simply sends it again."""

    async def terminate(
        self, session_id: str, reason: Reason, *, idempotency_key: str
    ) -> OperationResult:
        path = f"/v1/sessions/{quote(session_id, safe='')}:terminate"
        body = {"reason": {"code": reason.code, "note": reason.note}}
        try:
            try:
                reply = await self._client.request(
                    "POST", path, api="sessions.terminate", json=body,
                    headers={"Idempotency-Key": idempotency_key},
                )  # fmt: skip
            except errors.VendorTimeout:
                reply = await self._client.request(
                    "POST", path, api="sessions.terminate", json=body,
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )  # fmt: skip
        except errors.InvalidTransition:
            await self._refused(Verb.TERMINATE, session_id)
            raise
        return self._own_result(Verb.TERMINATE, session_id, idempotency_key, reply)


class UnknownStateAsInProgress(SandboxAdapter):
    """Guesses: a vendor state the table does not know is taken for ``in_progress``."""

    @staticmethod
    def _guess(session: Session) -> Session:
        if session.state is SessionState.UNKNOWN:
            return session.model_copy(update={"state": SessionState.IN_PROGRESS})
        return session

    async def get_session(self, session_id: str) -> Session:
        return self._guess(await super().get_session(session_id))

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        page = await super().list_sessions(
            session_filter, page_size=page_size, page_token=page_token
        )
        return page.model_copy(update={"sessions": tuple(self._guess(s) for s in page.sessions)})


def _http_200_means_success(response: httpx.Response) -> Any:
    if response.status_code == 200:
        data = response.json().get("data")  # the bug: the body's own error is never read
        return None if data is None else VendorChange.model_validate(data)
    return VendorChange.model_validate(interpret(response))


def _parsed(response: httpx.Response) -> Any:
    return VendorChange.model_validate(interpret(response))


class ErrorIn200IsSuccess(_OwnResults):
    """Believes the status line: an error inside an HTTP 200 body is taken for success."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        return await self._send_verb(
            verb, session_id, reason, idempotency_key, _http_200_means_success
        )

    async def _change(  # the same, for adapters whose verbs share ``_change``
        self, verb: Verb, session_id: str, reason: Reason, key: str, extra: Any = None
    ) -> OperationResult:
        return await self._send_verb(verb, session_id, reason, key, _http_200_means_success)


class _ImpatientPolicy(RetryPolicy):
    def _wait(self, state: Any) -> float:
        return 0.05  # the bug: a fixed short pause, whatever the vendor asked for


class IgnoresRetryAfter(SandboxAdapter):
    """Brings its own retry policy, which never waits what ``Retry-After`` says."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        injected = context.retry_policy or RetryPolicy()
        self._client.retry = _ImpatientPolicy(sleep=injected.sleep, budget=injected.budget)


class LeaksSecretInErrors(SandboxAdapter):
    """Puts the app secret into an exception message "to help debugging"."""

    async def get_session(self, session_id: str) -> Session:
        try:
            return await super().get_session(session_id)
        except errors.SessionNotFound as error:
            secret = self.options.client_secret.get_secret_value()
            raise errors.SessionNotFound(
                f"{error.message} (client {self.options.client_id}/{secret})"
            ) from None


class PagesPastTheLastPage(SandboxAdapter):
    """Hands out a page token on the last page (the caller gets an extra, empty page)."""

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        page = await super().list_sessions(
            session_filter, page_size=page_size, page_token=page_token
        )
        if page.next_page_token is None and page.sessions:
            offset = int(page_token or 0) + page_size
            return page.model_copy(update={"next_page_token": str(offset)})
        return page


class ClaimsNativePauseButRaises(SandboxAdapter):
    """Declares pause native, but the vendor API turned out to lack it and pause raises."""

    @property
    def capabilities(self) -> Capabilities:
        return super().capabilities.model_copy(update={"pause": CapabilityLevel.NATIVE})

    async def pause(
        self,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: Any = None,
    ) -> OperationResult:
        raise errors.UnsupportedOperation("the vendor has no pause API", verb="pause")


class ManualPauseStillCallsTheVendor(_OwnResults):
    """Declares pause manual (only a person can pause) but still sends it to the vendor."""

    @property
    def capabilities(self) -> Capabilities:
        return super().capabilities.model_copy(update={"pause": CapabilityLevel.MANUAL})

    async def perform(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: Any = None,
    ) -> OperationResult:
        if verb is Verb.PAUSE:  # the bug: no capability check before the vendor call
            return await self._send_verb(verb, session_id, reason, idempotency_key, _parsed)
        return await super().perform(
            verb,
            session_id,
            reason,
            idempotency_key=idempotency_key,
            resume_deadline=resume_deadline,
        )


class _EveryCallerFetches(TokenCache):
    async def get(self) -> str:
        return (await self._refresh()).value  # the bug: no cache, no single flight


class TokenPerCall(SandboxAdapter):
    """Fetches a fresh token for every call instead of sharing one (no single flight)."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        tokens = self._client.tokens
        assert tokens is not None
        fetch: Callable[[], Any] = tokens._fetch
        self._client._tokens = _EveryCallerFetches(fetch)


PLANTED: dict[str, type[SandboxAdapter]] = {
    "blind-terminate-retry": BlindTerminateRetry,
    "unknown-state-as-in-progress": UnknownStateAsInProgress,
    "error-in-200-is-success": ErrorIn200IsSuccess,
    "ignores-retry-after": IgnoresRetryAfter,
    "leaks-secret-in-errors": LeaksSecretInErrors,
    "pages-past-the-last-page": PagesPastTheLastPage,
    "claims-native-pause-but-raises": ClaimsNativePauseButRaises,
    "token-per-call": TokenPerCall,
    "manual-pause-still-calls-the-vendor": ManualPauseStillCallsTheVendor,
}
