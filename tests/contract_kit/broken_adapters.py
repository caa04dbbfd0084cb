"""More deliberately broken adapters: each plants one bug that only a newer check catches.

Like ``broken_sandbox.py``, each variant subclasses a real adapter and changes as little as
possible, the way the bug would really be written. ``PLANTED_MORE`` maps a variant's name to
(the adapter it breaks, its class).
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from broken_sandbox import _OwnResults, _parsed

from interlock import errors
from interlock.adapter import (
    AccountContext,
    InterviewAdapter,
    explain_refusal,
    failed_result,
    read_back_result,
)
from interlock.events import CallbackReply, CallbackRequest, CallbackResult
from interlock.http import RetryPolicy, ThrottleSignal, Token, VendorSignals
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
from interlock.privacy import mask_phone
from interlock.transitions import TARGET_STATE
from interlock_beisen.adapter import BeisenAdapter
from interlock_contract.suites.verbs import source_state
from interlock_dingtalk._crypto import CallbackCipher, CryptoError
from interlock_dingtalk._jobs import JobDirectory
from interlock_dingtalk._models import VendorSessionPage
from interlock_dingtalk.adapter import DingTalkAdapter
from interlock_dingtalk.options import DingTalkOptions
from interlock_sandbox._batch import BatchRunner
from interlock_sandbox._interpret import expecting, interpret
from interlock_sandbox._mapping import to_session
from interlock_sandbox._models import (
    VendorBatch,
    VendorBatchItem,
    VendorChange,
    VendorPage,
    VendorSession,
    VendorToken,
)
from interlock_sandbox.adapter import SandboxAdapter, _query
from interlock_yonyou.adapter import YonyouAdapter

__all__ = ["PLANTED_MORE"]


class _RewritesItsResult:
    """A planted bug that carries out a verb rightly, then spoils what it reports
    (``_spoil``); put it before the adapter it spoils."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        result: OperationResult = await super().change_state(  # type: ignore[misc]
            verb,
            session_id,
            reason,
            idempotency_key=idempotency_key,
            resume_deadline=resume_deadline,
        )
        return self._spoil(result)

    def _spoil(self, result: OperationResult) -> OperationResult:
        raise NotImplementedError


class _SpoilsBatchItems:
    """A planted bug that carries out a batch chunk rightly, then spoils each item it reports
    (``_spoil_item``); put it before the adapter it spoils."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        results: list[OperationResult] = await super().batch_chunk(  # type: ignore[misc]
            verb, session_ids, reason, idempotency_key=idempotency_key
        )
        return [self._spoil_item(r, verb, idempotency_key) for r in results]

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        raise NotImplementedError


class ReadBackAlwaysConfirms(SandboxAdapter):
    """Takes any session it reads back after an ambiguous failure as proof the change happened."""

    async def _read_back(self, session_id: str, target: SessionState) -> Session | None:
        return await self.get_session(session_id)


def _no_ambiguity(response: httpx.Response) -> Any:
    try:
        return VendorChange.model_validate(interpret(response))
    except errors.VendorTimeout as unsure:  # the bug: "the gateway gave up" is just a 5xx
        raise errors.VendorUnavailable(unsure.message) from None


class GatewayTimeoutIsAFiveHundred(_OwnResults):
    """Treats the vendor's own "deadline exceeded" answer as a plain failure and resends."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        return await self._send_verb(verb, session_id, reason, idempotency_key, _no_ambiguity)


class ReadsOnlyRetryAfter(SandboxAdapter):
    """A Feishu-style vendor announces its wait in ``x-ogw-ratelimit-reset``; the adapter
    declares that but reads only ``Retry-After`` (so it never waits what the vendor asked)."""

    vendor_signals = VendorSignals(
        throttles=(
            ThrottleSignal(
                status=429,
                body={"ok": False, "error": {"code": "rate_limited", "message": "frequency"}},
                wait_header="x-ogw-ratelimit-reset",
            ),
        )
    )


def _forget_the_wait(inner: Callable[[httpx.Response], Any]) -> Callable[[httpx.Response], Any]:
    def read(response: httpx.Response) -> Any:
        try:
            return inner(response)
        except errors.VendorRateLimited as throttled:  # the bug: DingTalk's "sleep 1 s" is lost
            raise errors.VendorRateLimited(throttled.message, retry_after=None) from None

    return read


class IgnoresDingTalksSecond(DingTalkAdapter):
    """Drops DingTalk's documented one-second wait: retries a QPS 403 after a short backoff."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        request = self.client.request

        async def forgetful(*args: Any, **kwargs: Any) -> Any:
            kwargs["interpret"] = _forget_the_wait(kwargs.get("interpret") or (lambda r: r))
            return await request(*args, **kwargs)

        self.client.request = forgetful  # type: ignore[method-assign]


class TrustsItsFirstRead(SandboxAdapter):
    """Reads first, and on a refusal names the state it read before the write, not the
    vendor's state when it refused."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        before = (await self.get_session(session_id)).state
        try:
            return await super().change_state(
                verb,
                session_id,
                reason,
                idempotency_key=idempotency_key,
                resume_deadline=resume_deadline,
            )
        except errors.InvalidTransition as refused:
            raise explain_refusal(before, verb, refused.message) from None


class ZipsBatchResults(SandboxAdapter):
    """Matches a batch's results to its ids by position (the vendor promises no order)."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        ids, key = list(session_ids), idempotency_key
        reply = await self._client.request(
            "POST",
            "/v1/sessions:batch",
            api="sessions.batch",
            json={"action": str(verb), "ids": ids, "reason": {"code": reason.code}},
            headers={"Idempotency-Key": key},
            interpret=expecting(VendorBatch),
        )
        items = zip(ids, reply.data.results, strict=True)
        return [self._batches._item(verb, i, item, key, reply.request_id) for i, item in items]


class _Distorts(SandboxAdapter):
    def _distort(self, session: Session) -> Session:
        raise NotImplementedError

    async def get_session(self, session_id: str) -> Session:
        return self._distort(await super().get_session(session_id))

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        page = await super().list_sessions(
            session_filter, page_size=page_size, page_token=page_token
        )
        return page.model_copy(update={"sessions": tuple(self._distort(s) for s in page.sessions)})


class BlamesTheVendorForABadPageToken(SandboxAdapter):
    """Passes the vendor's refusal of a page token on as the vendor's protocol error, though
    the token came from the caller and not from this account."""

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
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


class ListsAsIfItWrote(SandboxAdapter):
    """Sends its listing as a mutation, so a listing whose answer was lost is not sent again
    but failed as "outcome unknown"."""

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        reply = await self._client.request(
            "GET",
            "/v1/sessions",
            api="sessions.read",
            params=_query(session_filter, page_size, page_token),
            mutating=True,
            interpret=expecting(VendorPage),
        )
        page: VendorPage = reply.data
        return SessionPage(
            sessions=tuple(to_session(self.account, raw) for raw in page.sessions),
            next_page_token=page.next_cursor,
        )


class ConfirmsWithoutTheState(_RewritesItsResult, SandboxAdapter):
    """Confirms a verb by reading the session back, but reports no state after it."""

    def _spoil(self, result: OperationResult) -> OperationResult:
        if result.confirmed_by_read_back:
            return result.model_copy(update={"state_after": None})
        return result


class OwnersFromTheWrongField(_Distorts):
    """Keeps only the position's first owner (the recruiter), dropping the others."""

    def _distort(self, session: Session) -> Session:
        owners = session.position.owner_ids[:1]
        position = session.position.model_copy(update={"owner_ids": owners})
        return session.model_copy(update={"position": position})


class DeadlineInTheWrongZone(_Distorts):
    """Reads the resume deadline's wall-clock time as Shanghai time (it is UTC)."""

    def _distort(self, session: Session) -> Session:
        deadline = session.resume_deadline
        if deadline is None:
            return session
        shifted = deadline.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        return session.model_copy(update={"resume_deadline": shifted})


class MasksAMissingPhone(_Distorts):
    """Masks whatever phone it got, an absent one too (``mask_phone(phone or "")``)."""

    def _distort(self, session: Session) -> Session:
        candidate = session.candidate
        phone = candidate.masked_phone or mask_phone("")
        return session.model_copy(
            update={"candidate": candidate.model_copy(update={"masked_phone": phone})}
        )


class KeepsOnlyTheMaskedName(_Distorts):
    """Forgets the full name once masked (a recruiter's search by name then finds nothing)."""

    def _distort(self, session: Session) -> Session:
        candidate = session.candidate.model_copy(update={"full_name": None})
        return session.model_copy(update={"candidate": candidate})


class DropsTheVendorsExtras(DingTalkAdapter):
    """Leaves ``vendor_data`` empty: the vendor's fields without a neutral home are lost."""

    async def get_session(self, session_id: str) -> Session:
        return (await super().get_session(session_id)).model_copy(update={"vendor_data": {}})


class SendsAsFastAsItCan(DingTalkAdapter):
    """Builds no limiter ("the vendor will say when it is too much"): a burst meets the throttle."""

    def rate_limiter(self, *args: Any, **kwargs: Any) -> None:
        return None


class SuiteAppAsInternalApp(DingTalkAdapter):
    """Asks for an ISV suite's token as if it were an internal app (``accessToken`` with the
    suite key and secret): DingTalk refuses, so an ISV-installed account never works."""

    def __init__(self, context: AccountContext) -> None:
        options = context.options
        if isinstance(options, DingTalkOptions) and options.app_type == "isv":
            internal = {"app_type": "internal", "app_key": options.suite_key}
            internal["app_secret"] = options.suite_secret  # type: ignore[assignment]
            context = replace(context, options=options.model_copy(update=internal))
        super().__init__(context)


class NamesAValueItNeverHad(SandboxAdapter):
    """Builds its not-found message from a field the vendor's answer does not have."""

    async def get_session(self, session_id: str) -> Session:
        try:
            return await super().get_session(session_id)
        except errors.SessionNotFound as missing:
            name = missing.details.get("session_name")  # never set: the bug
            raise errors.SessionNotFound(f"sandbox: session {name} does not exist") from None


class _NoFullBlockOfPadding(CallbackCipher):
    def decrypt(self, encrypt: str) -> Any:
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
        if plain[-1] >= 32:  # the bug: `pad < block`, so a whole block of padding is refused
            raise CryptoError("bad padding (wrong EncodingAESKey?)")
        return super().decrypt(encrypt)


class RefusesAWholeBlockOfPadding(DingTalkAdapter):
    """Refuses a push whose plaintext needed a whole 32-byte block of padding (one in 32)."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        options = self.options_as(DingTalkOptions)
        if self._push is not None and options.callback_aes_key is not None:
            key = options.callback_aes_key.get_secret_value()
            self._push._cipher = _NoFullBlockOfPadding(key)


class IgnoresTheUrlCheck(DingTalkAdapter):
    """Acknowledges DingTalk's check of a new callback URL but reports no event for it."""

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        result = super().parse_callback(request)
        kept = tuple(e for e in result.events if e.kind != "url_verification")
        return result.model_copy(update={"events": kept})


class RefusesPushesWithoutSayingWhere(DingTalkAdapter):
    """Refuses a bad push with a bare error: no account, nothing to check."""

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        try:
            return super().parse_callback(request)
        except errors.VendorAuthFailed as refused:
            raise errors.VendorAuthFailed(refused.message) from None


class KnowsOnlyTheNewQueryNames(DingTalkAdapter):
    """Reads ``msg_signature`` only, so a push signed the older way (``signature``) is refused."""

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        if "msg_signature" not in request.query:
            raise errors.VendorAuthFailed(
                "dingtalk push refused: unsigned push", account=self.account, hint="sign it"
            )
        return super().parse_callback(request)


class DropsTheVendorsAdvice(DingTalkAdapter):
    """Passes vendor errors on without the hint of what to do ("the message says it all")."""

    async def get_session(self, session_id: str) -> Session:
        try:
            return await super().get_session(session_id)
        except errors.VendorError as error:
            error.hint = None
            raise


class ResendsWhatTheVendorCallsADuplicate(YonyouAdapter):
    """Takes YonBIP's "already submitted" (after its one-hour replay window) for a lost request
    and sends the change again under a fresh key."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        result = await super().change_state(
            verb, session_id, reason, idempotency_key=idempotency_key
        )
        if result.ok and result.state_before is None and not result.confirmed_by_read_back:
            # only the duplicate answer names no state before: send it all again
            fresh = f"{idempotency_key}-again"
            return await super().change_state(verb, session_id, reason, idempotency_key=fresh)
        return result


class LoadsAnAppSecretItCannotUse(YonyouAdapter):
    """Accepts an app secret that yields no AES key (as a lazily built push decrypter would),
    so the account fails only when its first push arrives."""

    def __init__(self, context: AccountContext) -> None:
        with contextlib.suppress(errors.ConfigurationError):
            super().__init__(context)


class TakesAnOldDuplicateForAlreadyThere(YonyouAdapter):
    """Takes YonBIP's "already submitted" (a key replayed after its one-hour window) for a
    session that was already where the verb leads, though this very operation put it there."""

    def _done_before(self, verb: Verb, session_id: str, key: str) -> OperationResult:
        target = TARGET_STATE[verb]
        return OperationResult(
            ref=self.ref(session_id),
            verb=verb,
            outcome=OperationOutcome.ALREADY_IN_STATE,
            state_before=target,
            state_after=target,
            idempotency_key=key,
        )


class FreshKeyPerCall(_OwnResults):
    """Sends a new Idempotency-Key with every call (reporting the caller's key)."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        reply = await self._client.request(
            "POST",
            f"/v1/sessions/{quote(session_id, safe='')}:{verb}",
            api=f"sessions.{verb}",
            json={"reason": {"code": reason.code, "note": reason.note}},
            headers={"Idempotency-Key": str(uuid.uuid4())},  # the bug
            read_back=lambda: self._read_back(session_id, TARGET_STATE[verb]),
            interpret=_parsed,
        )
        return self._own_result(verb, session_id, idempotency_key, reply)


class FiltersOnlyOnItsSide(SandboxAdapter):
    """Declares server-side filters but never sends them: every listing is the whole tenant."""

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        page = await super().list_sessions(
            SessionFilter(), page_size=page_size, page_token=page_token
        )
        kept = tuple(s for s in page.sessions if session_filter.matches(s))
        return page.model_copy(update={"sessions": kept})


class CutsTheEndToWholeSeconds(SandboxAdapter):
    """Sends a range's end cut to whole seconds: a session in the cut-off fraction is lost."""

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        end = session_filter.start_to
        if end is not None:
            cut = end.replace(microsecond=0)
            session_filter = session_filter.model_copy(update={"start_to": cut})
        return await super().list_sessions(
            session_filter, page_size=page_size, page_token=page_token
        )


class DropsTheResumeDeadline(SandboxAdapter):
    """Pauses without the resume deadline (the vendor falls back to its own default)."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        return await super().change_state(verb, session_id, reason, idempotency_key=idempotency_key)


class SendsOnlyTheReasonCode(SandboxAdapter):
    """Sends the reason's code but not the operator's note (the vendor's record says less)."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        return await super().change_state(
            verb,
            session_id,
            Reason(code=reason.code),
            idempotency_key=idempotency_key,
            resume_deadline=resume_deadline,
        )


class ReportsNoStates(_RewritesItsResult, SandboxAdapter):
    """Reports an applied verb without the states it went between (the audit loses them)."""

    def _spoil(self, result: OperationResult) -> OperationResult:
        return result.model_copy(update={"state_before": None, "state_after": None})


class RestoresWithoutReadingBack(SandboxAdapter):
    """Sends the undo's restore without a read-back: a timeout leaves the undo unknown."""

    async def restore(
        self, session_id: str, state: SessionState, reason: Reason, *, idempotency_key: str
    ) -> OperationResult:
        reply = await self._client.request(
            "POST",
            f"/v1/sessions/{quote(session_id, safe='')}:restore",
            api="sessions.restore",
            json={"state": str(state), "reason": {"code": reason.code, "note": reason.note}},
            headers={"Idempotency-Key": idempotency_key},
            interpret=expecting(VendorChange),
        )
        return self._result("restore", session_id, idempotency_key, reply)


class LogsForNobody(SandboxAdapter):
    """Builds its client under a fixed name: every log line says "sandbox", not the account."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._client.account = "sandbox"


class AlreadyDoneUnderNoKey(_RewritesItsResult, SandboxAdapter):
    """Answers "already done" without the caller's idempotency key (the audit cannot file it)."""

    def _spoil(self, result: OperationResult) -> OperationResult:
        if result.outcome is OperationOutcome.ALREADY_IN_STATE:
            return result.model_copy(update={"idempotency_key": None})
        return result


class QuotesTheTokenRequest(SandboxAdapter):
    """Puts the failed token request, app secret and all, into the error "to help debugging"."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        tokens = self._client.tokens
        assert tokens is not None
        fetch = tokens._fetch
        sent = {"client_id": self.options.client_id, "client_secret": self._secret()}

        async def quoting() -> Any:
            try:
                return await fetch()
            except errors.InterlockError as error:
                raise errors.VendorAuthFailed(
                    f"token request {json.dumps(sent)} failed: {error.code}"
                ) from None

        tokens._fetch = quoting

    def _secret(self) -> str:
        return self.options.client_secret.get_secret_value()


class QuotesItsToken(SandboxAdapter):
    """Puts its access token into a not-found error."""

    async def get_session(self, session_id: str) -> Session:
        try:
            return await super().get_session(session_id)
        except errors.SessionNotFound as error:
            tokens = self._client.tokens
            token = await tokens.get() if tokens is not None else ""
            raise errors.SessionNotFound(f"{error.message} (asked with {token})") from None


class BatchWithoutReadBack(SandboxAdapter):
    """Sends its native batch without a read-back: an ambiguous failure fails every item."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        ids, key = list(session_ids), idempotency_key
        try:
            reply = await self._client.request(
                "POST",
                "/v1/sessions:batch",
                api="sessions.batch",
                json={"action": str(verb), "ids": ids, "reason": {"code": reason.code}},
                headers={"Idempotency-Key": key},
                interpret=expecting(VendorBatch),
            )
        except errors.InterlockError as error:
            return [failed_result(self.ref(i), verb, error, idempotency_key=key) for i in ids]
        items = {item.id: item for item in reply.data.results}
        return [self._batches._item(verb, i, items.get(i), key, reply.request_id) for i in ids]


class BatchOneCallPerItem(SandboxAdapter):
    """Declares a native batch but sends one request per item."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        results = []
        for session_id in session_ids:
            key = f"{idempotency_key}:{session_id}"
            try:
                results.append(await self.perform(verb, session_id, reason, idempotency_key=key))
            except errors.InterlockError as error:
                results.append(failed_result(self.ref(session_id), verb, error))
        return results


class ConfirmsWithAFragileRead(SandboxAdapter):
    """Reads the session again after each change, with no retry for that read."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        result = await super().change_state(
            verb,
            session_id,
            reason,
            idempotency_key=idempotency_key,
            resume_deadline=resume_deadline,
        )
        saved = self._client.retry
        self._client.retry = RetryPolicy(max_attempts=1, sleep=saved.sleep, budget=saved.budget)
        try:
            session = await self.get_session(session_id)
        finally:
            self._client.retry = saved
        return result.model_copy(update={"state_after": session.state})


class ForgetsTheRequestId(_RewritesItsResult, SandboxAdapter):
    """Drops the vendor's request id from its results (support cannot find the call)."""

    def _spoil(self, result: OperationResult) -> OperationResult:
        return result.model_copy(update={"vendor_request_id": None})


def _summarised(response: httpx.Response) -> VendorSession:
    try:
        return expecting(VendorSession)(response)
    except errors.VendorError as error:  # the bug: a "tidy" message instead of the vendor's
        summary = type(error)(
            "the vendor refused the request", vendor_request_id=error.vendor_request_id
        )
        raise summary from None


class SummarisesVendorErrors(SandboxAdapter):
    """Rewrites a vendor's error on reads into a tidy message of its own: the right class and
    request id, but the vendor's code and message are gone."""

    async def get_session(self, session_id: str) -> Session:
        reply = await self._client.request(
            "GET", f"/v1/sessions/{session_id}", api="sessions.read", interpret=_summarised
        )
        return to_session(self.account, reply.data)


class TrustsRepeatedPushes(DingTalkAdapter):
    """Checks each push's signature, age and app, but keeps no memory of the pushes it took:
    a captured push sent again inside the window is accepted again."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        if self._push is not None:
            self._push._remember = lambda *args: None  # type: ignore[method-assign]


class PushTimeInChinaTime(DingTalkAdapter):
    """Reads the pushed change time as China Standard Time written as UTC (eight hours off)."""

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        result = super().parse_callback(request)
        shifted = [
            e.model_copy(update={"occurred_at": e.occurred_at + timedelta(hours=8)})
            if e.occurred_at is not None
            else e
            for e in result.events
        ]
        return result.model_copy(update={"events": tuple(shifted)})


class BatchStatesFromTheVerb(_SpoilsBatchItems, SandboxAdapter):
    """Fills each batch item's states from the verb (source → target) instead of the vendor's
    answer: an item that was already there claims it came from the verb's source state."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        source = source_state(verb)  # where the verb usually starts, not where the vendor was
        return r.model_copy(update={"state_before": source}) if r.ok else r


class FreshBatchKeyPerCall(SandboxAdapter):
    """Sends each batch call with a key of its own, not the caller's: a replayed batch is new."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        fresh = f"{idempotency_key}:{uuid.uuid4().hex[:8]}"
        return await super().batch_chunk(verb, session_ids, reason, idempotency_key=fresh)


class TakesTheLifetimeForMinutes(SandboxAdapter):
    """Reads the token's ``expires_in`` (seconds) as minutes: it keeps sending a token the
    vendor expired long ago, and learns it only from the vendor's refusal."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        cache = self._client.tokens
        assert cache is not None
        fetch = cache._fetch

        async def in_minutes() -> Token:
            token = await fetch()
            now = context.monotonic()
            return Token(value=token.value, expires_at=now + (token.expires_at - now) * 60)

        cache._fetch = in_minutes


class PassesAnyPageSize(SandboxAdapter):
    """Sends the caller's page size as it is: above the vendor's maximum the vendor refuses."""

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        params = _query(session_filter, page_size, page_token)
        params[0] = ("page_size", page_size)  # the bug: no clamp to the vendor's 1..200
        reply = await self._client.request(
            "GET", "/v1/sessions", api="sessions.read", params=params, interpret=interpret
        )
        raw = VendorPage.model_validate(reply.data)
        sessions = (to_session(self.account, session) for session in raw.sessions)
        return SessionPage(
            sessions=tuple(s for s in sessions if session_filter.matches(s)),
            next_page_token=raw.next_cursor,
        )


class BlamesItselfForTheVendorsFailure(SandboxAdapter):
    """When the vendor refuses a whole batch call, fails each item as its own fault
    (``OPERATION.ADAPTER_FAILED``), hiding that the vendor was down."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        failed = self._batches._failed

        def blamed(
            session_id: str, verb: Verb, error: errors.InterlockError, key: str
        ) -> OperationResult:
            if isinstance(error, errors.VendorUnavailable):
                error = errors.AdapterFailure("the batch could not be sent")
            return failed(session_id, verb, error, key)

        self._batches._failed = blamed  # type: ignore[method-assign]


class OneKeyForEveryItem(_SpoilsBatchItems, SandboxAdapter):
    """Files every batch item under the batch's own key (an item cannot be retried alone)."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        return r.model_copy(update={"idempotency_key": key})


class FailedItemsUnderTheChunksKey(_SpoilsBatchItems, SandboxAdapter):
    """Files an item the vendor refused under the chunk's own key (the applied ones are fine),
    so two refused items of a chunk cannot be told apart in the audit trail."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        return r if r.ok else r.model_copy(update={"idempotency_key": key})


class RefusesBatchItemsFromItsFirstRead(SandboxAdapter):
    """Explains a refused batch item with the state it read before sending the batch: right
    when nothing moved, wrong when the vendor moved the session on in between."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        first: dict[str, SessionState] = {}
        for session_id in session_ids:
            with contextlib.suppress(errors.SessionNotFound):
                first[session_id] = (await self.get_session(session_id)).state
        results = await super().batch_chunk(
            verb, session_ids, reason, idempotency_key=idempotency_key
        )
        return [
            r.model_copy(
                update={
                    "error_message": explain_refusal(
                        first[r.ref.session_id], verb, "refused by the vendor"
                    ).message
                }
            )
            if r.error_code == "SESSION.INVALID_TRANSITION" and r.ref.session_id in first
            else r
            for r in results
        ]


class TakesAnUnfinishedJobForDone(_SpoilsBatchItems, BeisenAdapter):
    """Counts every item of a job it stopped waiting for as applied ("it was accepted")."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        done = {"outcome": OperationOutcome.APPLIED, "error_code": None, "error_message": None}
        return r.model_copy(update=done) if r.error_code == "VENDOR.UNAVAILABLE" else r


class TakesAnUnfinishedJobForAnOutage(_SpoilsBatchItems, BeisenAdapter):
    """Fails the items of a job it stopped waiting for as a passing outage — retryable, with
    nothing said about reading them back first — though the job may well have run."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        outage = {"details": {"retryable": True}}
        return r.model_copy(update=outage) if r.error_code == "VENDOR.UNAVAILABLE" else r


class TakesSessionsItCannotReadForMissing(BeisenAdapter):
    """Reads a batch's sessions before the job, and when that read fails takes every one of
    them for missing: an outage reported as the sessions' fault."""

    async def _read_many(self, interview_ids: list[str]) -> dict[str, Session]:
        try:
            return await super()._read_many(interview_ids)
        except errors.InterlockError:
            return {}


class ForgetsTheBatchRequestId(_SpoilsBatchItems, SandboxAdapter):
    """Drops the vendor's request id from batch items (support cannot find the batch call)."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        return r.model_copy(update={"vendor_request_id": None})


class PassesOnTheBareRefusal(SandboxAdapter):
    """Fails a refused batch item with the vendor's bare text, not the state it holds."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        results = await super().batch_chunk(
            verb, session_ids, reason, idempotency_key=idempotency_key
        )
        bare = {"error_message": "sandbox: the transition is not allowed"}
        return [
            r.model_copy(update=bare) if r.error_code == "SESSION.INVALID_TRANSITION" else r
            for r in results
        ]


class FetchesTokensAsWrites(SandboxAdapter):
    """Sends the token request as a write (``mutating=True``): when its answer is lost on the
    way back, the toolkit will not resend it blind, and the read fails."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        cache, client, options = self._client.tokens, self._client, self.options
        assert cache is not None

        async def as_a_write() -> Token:
            credentials = {
                "client_id": options.client_id,
                "client_secret": options.client_secret.get_secret_value(),
            }
            reply = await client.request(
                "POST",
                "/oauth/token",
                api="oauth.token",
                json=credentials,
                authenticated=False,
                mutating=True,
                interpret=expecting(VendorToken),
            )
            token: VendorToken = reply.data
            return Token.expiring_in(token.access_token, token.expires_in, clock=context.monotonic)

        cache._fetch = as_a_write


class _FailsTheUnmentioned(BatchRunner):
    async def _unmentioned(
        self, verb: Verb, ids: list[str], key: str
    ) -> dict[str, OperationResult]:
        missing = errors.SessionNotFound("the batch answer does not mention it")
        return {i: self._failed(i, verb, missing, key) for i in ids}


class FailsWhatTheAnswerLeftOut(SandboxAdapter):
    """Takes an item the vendor's batch answer does not mention for one that does not exist,
    though the vendor may well have acted on it."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._batches = _FailsTheUnmentioned(
            self._client, ref=self.ref, read_states=self._read_states
        )


class NamesTheRecordNotTheField(SandboxAdapter):
    """Reports a record it cannot read as a bad "session", leaving support to guess which of
    the vendor's fields was wrong."""

    async def get_session(self, session_id: str) -> Session:
        try:
            return await super().get_session(session_id)
        except errors.VendorProtocolError as error:
            raise errors.VendorProtocolError(error.message, field="session") from None


class _FailsWithoutTheRequestId(BatchRunner):
    def _item(
        self, verb: Verb, session_id: str, item: VendorBatchItem, key: str, request_id: str | None
    ) -> OperationResult:
        return super()._item(verb, session_id, item, key, request_id if item.ok else None)


class FailsItemsWithoutTheRequestId(SandboxAdapter):
    """Keeps the batch answer's request id on applied items only: a refused or missing item,
    which support must look up at the vendor, names none."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._batches = _FailsWithoutTheRequestId(
            self._client, ref=self.ref, read_states=self._read_states
        )


class _ReadsEverythingBack(BatchRunner):
    async def chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, key: str
    ) -> list[OperationResult]:
        results = await super().chunk(verb, session_ids, reason, key)
        await self._read_states(list(session_ids))  # "to be sure"
        return results


class ReadsBackWhatTheAnswerSaid(SandboxAdapter):
    """Reads every item of a batch back after an answer that already named each one's fate,
    doubling the calls against the vendor's shared rate limit."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._batches = _ReadsEverythingBack(
            self._client, ref=self.ref, read_states=self._read_states
        )


class _TargetOrMissing(BatchRunner):
    async def _unmentioned(
        self, verb: Verb, ids: list[str], key: str
    ) -> dict[str, OperationResult]:
        states = await self._read_states(ids)
        target = TARGET_STATE[verb]
        return {
            i: read_back_result(
                self._ref(i),
                verb,
                target if states.get(i) is target else None,
                idempotency_key=f"{key}:{i}",
            )
            for i in ids
        }


class TakesTheUnmentionedForMissing(SandboxAdapter):
    """Reads back the items a batch answer leaves out, but takes one that did not reach the
    verb's target for missing — a refused session is reported as gone."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._batches = _TargetOrMissing(self._client, ref=self.ref, read_states=self._read_states)


class _LosesTheChunk(BatchRunner):
    async def _unmentioned(
        self, verb: Verb, ids: list[str], key: str
    ) -> dict[str, OperationResult]:
        states = await self._read_states(ids)  # a failed read fails the whole chunk
        return {
            i: read_back_result(self._ref(i), verb, states.get(i), idempotency_key=f"{key}:{i}")
            for i in ids
        }


class LosesTheChunkWhenAReadBackFails(SandboxAdapter):
    """Raises for the whole chunk when reading back an item the answer left out fails, losing
    the results the vendor gave for the others."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._batches = _LosesTheChunk(self._client, ref=self.ref, read_states=self._read_states)


class TakesAChangeWithoutItsStatus(DingTalkAdapter):
    """Accepts a state-change push that carries no status, as a change to an unknown state."""

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        try:
            return super().parse_callback(request)
        except errors.VendorProtocolError as error:
            if error.details.get("field") != "status":
                raise
        return CallbackResult(events=(), reply=CallbackReply(status_code=200, body=b"success"))


class ServesAHundredByDefault(SandboxAdapter):
    """Lists a hundred sessions a page when the caller names no page size (the base class's
    default is fifty)."""

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 100, page_token: str | None = None
    ) -> SessionPage:
        return await super().list_sessions(
            session_filter, page_size=page_size, page_token=page_token
        )


class RefusesIdsOutsideItsFormat(SandboxAdapter):
    """Reads an id in no format of the vendor's as the caller's malformed request, not as the
    missing session it names."""

    async def get_session(self, session_id: str) -> Session:
        if not session_id.startswith("sbx-"):
            raise errors.InvalidRequest(f"{session_id!r} is not a sandbox session id")
        return await super().get_session(session_id)


class FailsTheChunkForAForeignId(SandboxAdapter):
    """Fails every item of a batch that names an id in no format of the vendor's."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        if all(i.startswith("sbx-") for i in session_ids):
            return await super().batch_chunk(
                verb, session_ids, reason, idempotency_key=idempotency_key
            )
        refused = errors.InvalidRequest("the batch names an id that is not a sandbox id")
        return [
            failed_result(self.ref(i), verb, refused, idempotency_key=f"{idempotency_key}:{i}")
            for i in session_ids
        ]


class ForgetsItemKeysAfterAReadBack(SandboxAdapter):
    """Decides a chunk whose call was cut off from its read-back, and files those items under
    no key."""

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        results = await super().batch_chunk(
            verb, session_ids, reason, idempotency_key=idempotency_key
        )
        if not all(r.confirmed_by_read_back for r in results):
            return results
        return [r.model_copy(update={"idempotency_key": None}) for r in results]


class TakesAnAlreadyListForApplied(_SpoilsBatchItems, BeisenAdapter):
    """Reports the items a job found already in the verb's target state (another hand got there
    first) as applied by the job."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        by_the_job = r.outcome is OperationOutcome.ALREADY_IN_STATE and r.vendor_request_id
        return r.model_copy(update={"outcome": OperationOutcome.APPLIED}) if by_the_job else r


class ForgetsTheJobOfFailedItems(_SpoilsBatchItems, BeisenAdapter):
    """Fails the items a batch job refused without naming the job (its request id)."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        return r if r.ok else r.model_copy(update={"vendor_request_id": None})


class TimesIsvTokensOnTheWallClock(DingTalkAdapter):
    """Times the ISV app's tokens on the machine's own clock, not the account's: in every other
    configuration its tokens expire when the vendor says."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        if self.options.app_type != "isv":
            return
        cache = self._client.tokens
        assert cache is not None
        fetch = cache._fetch

        async def on_the_wall_clock() -> Token:
            token = await fetch()
            lifetime = token.expires_at - context.monotonic()
            return Token.expiring_in(token.value, lifetime, clock=time.monotonic)

        cache._fetch = on_the_wall_clock


class TakesTheVendorsNoOpForApplied(_RewritesItsResult, BeisenAdapter):
    """Reports a verb the vendor accepted as applied even when its answer says the interview
    was already there (another hand got there between the read and the write)."""

    def _spoil(self, result: OperationResult) -> OperationResult:
        by_the_vendor = (
            result.outcome is OperationOutcome.ALREADY_IN_STATE and result.vendor_request_id
        )
        return (
            result.model_copy(update={"outcome": OperationOutcome.APPLIED})
            if by_the_vendor
            else result
        )


class NamesNoStateForALateResume(_SpoilsBatchItems, BeisenAdapter):
    """Fails a batch item whose resume came past the pause's deadline without the state the
    session is in (``from_state`` unknown)."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        late = {"from_state": "paused", "verb": "resume"}.items() <= r.details.items()
        return (
            r.model_copy(update={"details": {**r.details, "from_state": "unknown"}}) if late else r
        )


class EndsAListingWithoutItsToken(DingTalkAdapter):
    """Takes a page that says there is more but names no next page for the listing's end."""

    async def query_raw(
        self, body: dict[str, Any], *, size: int, next_token: str | None = None
    ) -> VendorSessionPage:
        try:
            return await super().query_raw(body, size=size, next_token=next_token)
        except errors.VendorProtocolError as broken:
            if broken.details.get("field") != "nextToken":
                raise
            return VendorSessionPage(hasMore=False)


class IgnoresItsPushSecrets(DingTalkAdapter):
    """Builds no push verifier, though the account's options configure DingTalk's pushes: it
    declares no push events and never hears of a change."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._push = None


class NamesTheJobRecordNotItsField(_SpoilsBatchItems, BeisenAdapter):
    """Fails the items of a job whose record makes no sense naming the whole record (``data``),
    not the field that is wrong."""

    def _spoil_item(self, r: OperationResult, verb: Verb, key: str) -> OperationResult:
        wrong = r.error_code == "VENDOR.PROTOCOL_ERROR"
        return r.model_copy(update={"details": {**r.details, "field": "data"}}) if wrong else r


class SendsNoneForAMissingNote(SandboxAdapter):
    """Writes a reason given without a note as ``code: None`` into the vendor's record."""

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        said = reason if reason.note else reason.model_copy(update={"note": str(reason.note)})
        return await super().change_state(
            verb,
            session_id,
            said,
            idempotency_key=idempotency_key,
            resume_deadline=resume_deadline,
        )


class CachesJobsOnTheWallClock(DingTalkAdapter):
    """Times its job (ownership) cache on the machine's clock, not the account's: an owner
    change at DingTalk reaches it only when real time has passed."""

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        self._jobs = JobDirectory(self._fetch_job, ttl_s=self.options.job_cache_ttl_s)


class SaysNothingOfAnUnreadableBody(DingTalkAdapter):
    """Refuses a signed push whose body is not DingTalk's envelope with a message that says
    nothing (``None``)."""

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        try:
            return super().parse_callback(request)
        except errors.VendorAuthFailed as refused:
            if "encrypt" not in refused.message:
                raise
            said = None
            raise errors.VendorAuthFailed(
                f"dingtalk push refused: {said}", account=self.account, hint=refused.hint
            ) from None


class ForgetsTheRequestIdOfABrokenPage(DingTalkAdapter):
    """Refuses a page that names no next page without the request id of its answer."""

    async def query_raw(
        self, body: dict[str, Any], *, size: int, next_token: str | None = None
    ) -> VendorSessionPage:
        try:
            return await super().query_raw(body, size=size, next_token=next_token)
        except errors.VendorProtocolError as broken:
            raise errors.VendorProtocolError(broken.message, field="nextToken") from None


PLANTED_MORE: dict[str, tuple[str, type[InterviewAdapter]]] = {
    "read-back-always-confirms": ("sandbox", ReadBackAlwaysConfirms),
    "gateway-timeout-is-a-five-hundred": ("sandbox", GatewayTimeoutIsAFiveHundred),
    "reads-only-retry-after": ("sandbox", ReadsOnlyRetryAfter),
    "ignores-dingtalks-second": ("dingtalk", IgnoresDingTalksSecond),
    "trusts-its-first-read": ("sandbox", TrustsItsFirstRead),
    "zips-batch-results": ("sandbox", ZipsBatchResults),
    "owners-from-the-wrong-field": ("sandbox", OwnersFromTheWrongField),
    "deadline-in-the-wrong-zone": ("sandbox", DeadlineInTheWrongZone),
    "fresh-key-per-call": ("sandbox", FreshKeyPerCall),
    "already-done-under-no-key": ("sandbox", AlreadyDoneUnderNoKey),
    "resends-what-the-vendor-calls-a-duplicate": ("yonyou", ResendsWhatTheVendorCallsADuplicate),
    "takes-an-old-duplicate-for-already-there": ("yonyou", TakesAnOldDuplicateForAlreadyThere),
    "loads-an-app-secret-it-cannot-use": ("yonyou", LoadsAnAppSecretItCannotUse),
    "logs-for-nobody": ("sandbox", LogsForNobody),
    "restores-without-reading-back": ("sandbox", RestoresWithoutReadingBack),
    "drops-the-vendors-advice": ("dingtalk", DropsTheVendorsAdvice),
    "cuts-the-end-to-whole-seconds": ("sandbox", CutsTheEndToWholeSeconds),
    "knows-only-the-new-query-names": ("dingtalk", KnowsOnlyTheNewQueryNames),
    "refuses-pushes-without-saying-where": ("dingtalk", RefusesPushesWithoutSayingWhere),
    "reports-no-states": ("sandbox", ReportsNoStates),
    "sends-only-the-reason-code": ("sandbox", SendsOnlyTheReasonCode),
    "ignores-the-url-check": ("dingtalk", IgnoresTheUrlCheck),
    "refuses-a-whole-block-of-padding": ("dingtalk", RefusesAWholeBlockOfPadding),
    "takes-an-unfinished-job-for-done": ("beisen", TakesAnUnfinishedJobForDone),
    "refuses-batch-items-from-its-first-read": ("sandbox", RefusesBatchItemsFromItsFirstRead),
    "failed-items-under-the-chunks-key": ("sandbox", FailedItemsUnderTheChunksKey),
    "names-a-value-it-never-had": ("sandbox", NamesAValueItNeverHad),
    "suite-app-as-internal-app": ("dingtalk", SuiteAppAsInternalApp),
    "sends-as-fast-as-it-can": ("dingtalk", SendsAsFastAsItCan),
    "masks-a-missing-phone": ("sandbox", MasksAMissingPhone),
    "keeps-only-the-masked-name": ("sandbox", KeepsOnlyTheMaskedName),
    "drops-the-vendors-extras": ("dingtalk", DropsTheVendorsExtras),
    "names-the-record-not-the-field": ("sandbox", NamesTheRecordNotTheField),
    "takes-sessions-it-cannot-read-for-missing": ("beisen", TakesSessionsItCannotReadForMissing),
    "lists-as-if-it-wrote": ("sandbox", ListsAsIfItWrote),
    "confirms-without-the-state": ("sandbox", ConfirmsWithoutTheState),
    "blames-the-vendor-for-a-bad-page-token": ("sandbox", BlamesTheVendorForABadPageToken),
    "takes-an-unfinished-job-for-an-outage": ("beisen", TakesAnUnfinishedJobForAnOutage),
    "fails-items-without-the-request-id": ("sandbox", FailsItemsWithoutTheRequestId),
    "filters-only-on-its-side": ("sandbox", FiltersOnlyOnItsSide),
    "drops-the-resume-deadline": ("sandbox", DropsTheResumeDeadline),
    "quotes-the-token-request": ("sandbox", QuotesTheTokenRequest),
    "quotes-its-token": ("sandbox", QuotesItsToken),
    "batch-without-read-back": ("sandbox", BatchWithoutReadBack),
    "batch-one-call-per-item": ("sandbox", BatchOneCallPerItem),
    "confirms-with-a-fragile-read": ("sandbox", ConfirmsWithAFragileRead),
    "forgets-the-request-id": ("sandbox", ForgetsTheRequestId),
    "summarises-vendor-errors": ("sandbox", SummarisesVendorErrors),
    "trusts-repeated-pushes": ("dingtalk", TrustsRepeatedPushes),
    "push-time-in-china-time": ("dingtalk", PushTimeInChinaTime),
    "batch-states-from-the-verb": ("sandbox", BatchStatesFromTheVerb),
    "fresh-batch-key-per-call": ("sandbox", FreshBatchKeyPerCall),
    "takes-the-lifetime-for-minutes": ("sandbox", TakesTheLifetimeForMinutes),
    "passes-any-page-size": ("sandbox", PassesAnyPageSize),
    "blames-itself-for-the-vendors-failure": ("sandbox", BlamesItselfForTheVendorsFailure),
    "one-key-for-every-item": ("sandbox", OneKeyForEveryItem),
    "forgets-the-batch-request-id": ("sandbox", ForgetsTheBatchRequestId),
    "passes-on-the-bare-refusal": ("sandbox", PassesOnTheBareRefusal),
    "fetches-tokens-as-writes": ("sandbox", FetchesTokensAsWrites),
    "fails-what-the-answer-left-out": ("sandbox", FailsWhatTheAnswerLeftOut),
    "takes-the-unmentioned-for-missing": ("sandbox", TakesTheUnmentionedForMissing),
    "reads-back-what-the-answer-said": ("sandbox", ReadsBackWhatTheAnswerSaid),
    "loses-the-chunk-when-a-read-back-fails": ("sandbox", LosesTheChunkWhenAReadBackFails),
    "takes-a-change-without-its-status": ("dingtalk", TakesAChangeWithoutItsStatus),
    "serves-a-hundred-by-default": ("sandbox", ServesAHundredByDefault),
    "refuses-ids-outside-its-format": ("sandbox", RefusesIdsOutsideItsFormat),
    "fails-the-chunk-for-a-foreign-id": ("sandbox", FailsTheChunkForAForeignId),
    "forgets-item-keys-after-a-read-back": ("sandbox", ForgetsItemKeysAfterAReadBack),
    "takes-an-already-list-for-applied": ("beisen", TakesAnAlreadyListForApplied),
    "forgets-the-job-of-failed-items": ("beisen", ForgetsTheJobOfFailedItems),
    "times-isv-tokens-on-the-wall-clock": ("dingtalk", TimesIsvTokensOnTheWallClock),
    "takes-the-vendors-no-op-for-applied": ("beisen", TakesTheVendorsNoOpForApplied),
    "names-no-state-for-a-late-resume": ("beisen", NamesNoStateForALateResume),
    "ends-a-listing-without-its-token": ("dingtalk", EndsAListingWithoutItsToken),
    "ignores-its-push-secrets": ("dingtalk", IgnoresItsPushSecrets),
    "names-the-job-record-not-its-field": ("beisen", NamesTheJobRecordNotItsField),
    "sends-none-for-a-missing-note": ("sandbox", SendsNoneForAMissingNote),
    "caches-jobs-on-the-wall-clock": ("dingtalk", CachesJobsOnTheWallClock),
    "says-nothing-of-an-unreadable-body": ("dingtalk", SaysNothingOfAnUnreadableBody),
    "forgets-the-request-id-of-a-broken-page": ("dingtalk", ForgetsTheRequestIdOfABrokenPage),
}
