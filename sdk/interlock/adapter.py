"""The typed base class every vendor adapter implements.

An adapter translates the neutral verbs into one vendor's API. It is async only, holds no
global state, and raises only errors from :mod:`interlock.errors`. Optional verbs that are not
overridden raise :class:`~interlock.errors.UnsupportedOperation` *before* any vendor call.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel

from interlock.capabilities import Capabilities
from interlock.errors import (
    InterlockError,
    InvalidRequest,
    InvalidTransition,
    SessionNotFound,
    UnsupportedOperation,
    VendorProtocolError,
    VendorUnavailable,
)
from interlock.events import CallbackRequest, CallbackResult
from interlock.http import RateLimiter, RetryPolicy, TokenBucketLimiter, VendorSignals
from interlock.models import (
    OperationOutcome,
    OperationResult,
    Reason,
    Session,
    SessionFilter,
    SessionPage,
    SessionRef,
    SessionState,
    Verb,
    utc_now,
)
from interlock.transitions import TARGET_STATE, plan_transition

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AccountContext",
    "InterviewAdapter",
    "confirmed_result",
    "explain_refusal",
    "failed_result",
    "invalid_page_token",
    "read_back_result",
    "read_back_results",
    "vendor_refuses_page_token",
]

Clock = Callable[[], datetime]
OptionsT = TypeVar("OptionsT", bound=BaseModel)


@dataclass(frozen=True, kw_only=True)
class AccountContext:
    """Everything an adapter instance gets from outside: injected, never global.

    :param account: the account name (``dingtalk-hq``), used in refs, logs and errors.
    :param options: the account's adapter options, already validated by the adapter's
        ``Options`` model (secrets are ``SecretStr``).
    :param timezone: the account's zone, for vendors that send zone-less local times.
    :param transport: an httpx transport to use instead of the network (tests, doubles).
    :param rate_limiter: a limiter shared with other clients of the same vendor quota.
    :param clock: the time source (tests inject a fake one).
    :param retry_policy: the retry policy for the account's ``VendorClient`` (``retry=``);
        ``None`` means the toolkit's default. The contract suite injects one that records its
        waits instead of sleeping, so fault tests are fast and can check ``Retry-After``.
    :param monotonic: the clock of the adapter's own waits (its rate limiter's).
    :param sleep: how the adapter's own waits wait. The contract suite injects virtual time
        shared with the double: a wait advances the clock the double's throttle reads.
    :param state_dir: where an adapter that serves its vendor double in-process may keep the
        double's world between runs (the CLI's direct mode); ``None``: in memory only.
    """

    account: str
    options: Any = None
    timezone: tzinfo | None = None
    transport: httpx.AsyncBaseTransport | None = None
    rate_limiter: RateLimiter | None = None
    clock: Clock = field(default=utc_now)
    retry_policy: RetryPolicy | None = None
    monotonic: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    state_dir: Path | None = None


def failed_result(
    ref: SessionRef, verb: Verb, error: InterlockError, *, idempotency_key: str | None = None
) -> OperationResult:
    """An ``OperationResult`` that records ``error`` for one item (batches never raise per item)."""
    unsupported = isinstance(error, UnsupportedOperation)
    return OperationResult(
        ref=ref,
        verb=verb,
        outcome=OperationOutcome.UNSUPPORTED if unsupported else OperationOutcome.FAILED,
        idempotency_key=idempotency_key,
        vendor_request_id=getattr(error, "vendor_request_id", None)
        or error.details.get("vendor_request_id"),
        error_code=error.code,
        error_message=str(error),
        details=_particulars(error),
    )


def _particulars(error: InterlockError) -> dict[str, Any]:
    """What an item's error says beyond its code and message — its hint, whether retrying is
    safe, the vendor's code, the field at fault — for the operator reading that one item."""
    told = error.to_dict()
    for said_elsewhere in ("code", "title", "message", "vendor_request_id"):
        told.pop(said_elsewhere, None)
    return {k: v for k, v in told.items() if v is not None}


def confirmed_result(
    ref: SessionRef,
    verb: Verb | Literal["restore"],
    state_after: SessionState,
    *,
    idempotency_key: str | None,
) -> OperationResult:
    """``applied``, as a read-back confirmed it after an ambiguous failure (the toolkit's
    ``VendorReply.confirmed_by_read_back``): no vendor answer names the state before."""
    return OperationResult(
        ref=ref,
        verb=verb,
        outcome=OperationOutcome.APPLIED,
        state_after=state_after,
        idempotency_key=idempotency_key,
        confirmed_by_read_back=True,
    )


def explain_refusal(
    state: SessionState, verb: Verb, message: str, *, vendor_request_id: str | None = None
) -> InvalidTransition:
    """Why the vendor refused ``verb`` on a session it now reports as ``state``.

    Vendors refuse without naming states; read the session back and pass its state here. The
    answer is :func:`~interlock.transitions.plan_transition`'s own error, naming both states,
    when the neutral state machine refuses too; otherwise (the vendor refused although the state
    allows the verb, e.g. a pause past its resume deadline) the vendor's ``message`` with both
    states. Check ``already_in_state`` before calling this when the vendor refuses a verb whose
    target already holds. ``vendor_request_id`` is the refusing answer's, kept for support.
    """
    try:
        plan_transition(state, verb)
    except InvalidTransition as canonical:
        refusal = canonical
    else:
        refusal = InvalidTransition(message, from_state=str(state), verb=str(verb))
    if vendor_request_id is not None:
        refusal.details["vendor_request_id"] = vendor_request_id
    return refusal


def invalid_page_token(vendor: str, why: str | None = None) -> InvalidRequest:
    """The caller's page token is not one this account handed out: the caller's mistake."""
    said = f" ({why})" if why else ""
    return InvalidRequest(
        f"page_token is not valid for this {vendor} account{said}",
        hint="pass the next_page_token of the previous page unchanged",
    )


@contextlib.contextmanager
def vendor_refuses_page_token(
    vendor: str, page_token: str | None, *refusal_codes: str
) -> Iterator[None]:
    """Inside it, the vendor's refusal of ``page_token`` (a protocol error with one of its
    ``refusal_codes``) becomes the caller's :func:`invalid_page_token`: the vendor did not
    misbehave, the token did not come from this account."""
    try:
        yield
    except VendorProtocolError as refused:
        if page_token and refused.vendor_code in refusal_codes:
            raise invalid_page_token(vendor, refused.message) from refused
        raise


def read_back_result(
    ref: SessionRef, verb: Verb, state: SessionState | None, *, idempotency_key: str | None
) -> OperationResult:
    """One item of a batch call that failed ambiguously, decided from its state read back.

    ``state`` None means the session does not exist. At the verb's target state the item is
    ``applied`` (confirmed by read-back); a state that refuses the verb fails with the canonical
    refusal; any other state did not change, so the item fails retryably (resending is safe).
    """
    if state is None:
        missing = SessionNotFound(f"session {ref.session_id!r} does not exist")
        return failed_result(ref, verb, missing, idempotency_key=idempotency_key)
    if state is TARGET_STATE[verb]:
        return confirmed_result(ref, verb, state, idempotency_key=idempotency_key)
    try:
        plan_transition(state, verb)
    except InvalidTransition as refusal:
        return failed_result(ref, verb, refusal, idempotency_key=idempotency_key)
    unchanged = VendorUnavailable(
        "the batch call was cut off and this session did not change; retrying it is safe"
    )
    return failed_result(ref, verb, unchanged, idempotency_key=idempotency_key)


async def read_back_results(
    refs: Sequence[SessionRef],
    verb: Verb,
    read_states: Callable[[list[str]], Awaitable[Mapping[str, SessionState]]],
    *,
    key: str,
) -> dict[str, OperationResult]:
    """The items a batch answer leaves out, which the vendor may still have acted on, by id.

    One ``read_states`` call (ids in, the states of those that exist out) decides each item
    with :func:`read_back_result`. When that read fails, each item fails with the read's error:
    their outcome is unknown, and the items the answer did describe keep their results. Item
    keys are ``{key}:{session_id}``, as the facade names them.
    """
    if not refs:
        return {}
    try:
        states = await read_states([ref.session_id for ref in refs])
    except InterlockError as error:
        return {
            ref.session_id: failed_result(
                ref, verb, error, idempotency_key=f"{key}:{ref.session_id}"
            )
            for ref in refs
        }
    return {
        ref.session_id: read_back_result(
            ref, verb, states.get(ref.session_id), idempotency_key=f"{key}:{ref.session_id}"
        )
        for ref in refs
    }


class InterviewAdapter(abc.ABC):
    """Base class of all adapters. Subclass it, declare ``vendor`` and the capabilities.

    Verb methods return an :class:`OperationResult` with outcome ``applied`` or
    ``already_in_state`` (no vendor write happened), and raise for everything else:
    ``SESSION.NOT_FOUND``, ``SESSION.INVALID_TRANSITION``, ``VENDOR.*``.
    """

    vendor: ClassVar[str]
    """Short vendor name, e.g. ``dingtalk``; the gateway filters and groups by it."""
    vendor_signals: ClassVar[VendorSignals] = VendorSignals()
    """The vendor's own throttle and ambiguity answers (the contract kit injects them)."""

    def __init__(self, context: AccountContext) -> None:
        self.context = context
        self.account = context.account

    def __repr__(self) -> str:
        return f"<{type(self).__name__} account={self.account!r}>"

    def options_as(self, model: type[OptionsT]) -> OptionsT:
        """The account's options as ``model``: validated by the config loader already, or
        validated here when the adapter is built directly (tests, embedding applications)."""
        options = self.context.options
        return options if isinstance(options, model) else model.model_validate(options or {})

    def rate_limiter(
        self,
        limits: Mapping[str, float] | None = None,
        *,
        default: float | None = None,
        share: float = 0.8,
        burst_s: float = 0.0,
    ) -> RateLimiter | None:
        """The limiter for the account's ``VendorClient`` (``limiter=``).

        The account's shared limiter when it has one (the gateway's, shared by replicas);
        otherwise a :class:`~interlock.http.TokenBucketLimiter` at ``share`` of the vendor's
        per-API ``limits`` (``default`` for APIs not listed) that waits with the context's clock
        and sleep — virtual time under the contract suite, so a realistic throttle in the double
        costs no real time. None when no limit is given.
        """
        if self.context.rate_limiter is not None:
            return self.context.rate_limiter
        if not limits and default is None:
            return None
        return TokenBucketLimiter(
            limits,
            default=default,
            share=share,
            burst_s=burst_s,
            clock=self.context.monotonic,
            sleep=self.context.sleep,
        )

    # -- description -------------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def capabilities(self) -> Capabilities:
        """What this adapter can do (data, not behaviour)."""

    def ref(self, session_id: str) -> SessionRef:
        return SessionRef(account=self.account, session_id=session_id)

    # -- reads -----------------------------------------------------------------------------

    @abc.abstractmethod
    async def get_session(self, session_id: str) -> Session:
        """Read one session. :raises SessionNotFound: it does not exist."""

    @abc.abstractmethod
    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        """One page of sessions matching the filter; ``page_token`` comes from the last page.

        Filters the adapter declares in ``capabilities.server_side_filters`` go to the vendor;
        the rest are applied here with :meth:`SessionFilter.matches`.
        """

    # -- verbs -----------------------------------------------------------------------------
    #
    # Two ways to implement them: override ``change_state`` (one code path for every verb, for
    # vendors whose verbs differ only by path or name), or override the verb methods one by one.
    # A verb the capabilities do not declare is refused here, before any vendor call.

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        """Carry out ``verb`` on one session. The default refuses: the verb is unsupported."""
        raise self.unsupported_error(verb)

    async def pause(
        self,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        """Soft-stop a running session; the candidate may resume before ``resume_deadline``."""
        return await self._verb(
            Verb.PAUSE, session_id, reason, idempotency_key, resume_deadline=resume_deadline
        )

    async def resume(
        self, session_id: str, reason: Reason, *, idempotency_key: str
    ) -> OperationResult:
        """Let a paused session continue."""
        return await self._verb(Verb.RESUME, session_id, reason, idempotency_key)

    async def terminate(
        self, session_id: str, reason: Reason, *, idempotency_key: str
    ) -> OperationResult:
        """Hard-stop a session for good (answers and scores are kept)."""
        return await self._verb(Verb.TERMINATE, session_id, reason, idempotency_key)

    async def revoke(
        self, session_id: str, reason: Reason, *, idempotency_key: str
    ) -> OperationResult:
        """Withdraw an interview (e.g. launched by mistake)."""
        return await self._verb(Verb.REVOKE, session_id, reason, idempotency_key)

    async def _verb(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        idempotency_key: str,
        *,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        if not self.capabilities.supports(verb):
            raise self.unsupported_error(verb)
        return await self.change_state(
            verb,
            session_id,
            reason,
            idempotency_key=idempotency_key,
            resume_deadline=resume_deadline,
        )

    async def restore(
        self, session_id: str, state: SessionState, reason: Reason, *, idempotency_key: str
    ) -> OperationResult:
        """Return a terminated or revoked session to ``state`` (only with native restore)."""
        raise UnsupportedOperation(
            f"account {self.account!r} ({self.vendor}) cannot restore sessions",
            account=self.account,
            verb="restore",
        )

    async def perform(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        """Dispatch ``verb`` to its method (refusing unsupported verbs before any call)."""
        if not self.capabilities.supports(verb):
            raise self.unsupported_error(verb)
        if verb is Verb.PAUSE:
            return await self.pause(
                session_id, reason, idempotency_key=idempotency_key, resume_deadline=resume_deadline
            )
        method = {
            Verb.RESUME: self.resume,
            Verb.TERMINATE: self.terminate,
            Verb.REVOKE: self.revoke,
        }
        return await method[verb](session_id, reason, idempotency_key=idempotency_key)

    async def batch(
        self,
        verb: Verb,
        session_ids: Sequence[str],
        reason: Reason,
        *,
        idempotency_key: str,
        concurrency: int = 8,
    ) -> list[OperationResult]:
        """Apply ``verb`` to many sessions; one result per item, in input order, never raising
        for a single item. Per-item idempotency keys are ``{idempotency_key}:{session_id}``.

        When the capabilities declare a native batch for ``verb``, the ids go to
        :meth:`batch_chunk` in chunks of ``native_batch_size`` (chunk keys
        ``{idempotency_key}:{n}``); otherwise this is a bounded-concurrency loop over
        :meth:`perform`.
        """
        if not self.capabilities.supports(verb):
            raise self.unsupported_error(verb)
        gate = asyncio.Semaphore(max(1, concurrency))
        size = self.capabilities.native_batch_size
        if self.capabilities.native_batch(verb):
            return await self._native_batch(
                verb, list(session_ids), reason, idempotency_key, size, gate
            )

        async def one(session_id: str) -> OperationResult:
            key = f"{idempotency_key}:{session_id}"
            async with gate:
                try:
                    return await self.perform(verb, session_id, reason, idempotency_key=key)
                except InterlockError as error:
                    return failed_result(self.ref(session_id), verb, error, idempotency_key=key)

        return list(await asyncio.gather(*(one(s) for s in session_ids)))

    async def batch_chunk(
        self, verb: Verb, session_ids: Sequence[str], reason: Reason, *, idempotency_key: str
    ) -> list[OperationResult]:
        """One native batch call for at most ``native_batch_size`` ids: one result per id, in
        input order. Required when ``native_batch_size`` is declared. Raising fails every id of
        the chunk with that error; an ambiguous failure must be read back, never resent."""
        raise NotImplementedError(
            f"{type(self).__name__} declares native_batch_size but does not implement batch_chunk"
        )

    async def _native_batch(
        self,
        verb: Verb,
        session_ids: list[str],
        reason: Reason,
        idempotency_key: str,
        size: int,
        gate: asyncio.Semaphore,
    ) -> list[OperationResult]:
        async def chunk(number: int, ids: list[str]) -> list[OperationResult]:
            async with gate:
                try:
                    results = await self.batch_chunk(
                        verb, ids, reason, idempotency_key=f"{idempotency_key}:{number}"
                    )
                except InterlockError as error:
                    results = [failed_result(self.ref(i), verb, error) for i in ids]
            # Items are known by the batch's key and their id, whatever the chunk was called.
            return [
                r.model_copy(update={"idempotency_key": f"{idempotency_key}:{i}"})
                for i, r in zip(ids, results, strict=True)
            ]

        parts = [session_ids[i : i + size] for i in range(0, len(session_ids), size)]
        done = await asyncio.gather(*(chunk(n, ids) for n, ids in enumerate(parts)))
        return [result for part in done for result in part]

    # -- the candidate's side ------------------------------------------------------------------

    def interview_url(self, session_id: str) -> str | None:
        """Where the candidate continues the interview (the gateway's resume page hands over
        to it after resuming); ``None`` when the vendor has no such link (the candidate then
        continues in the vendor's app as they began)."""
        return None

    # -- push --------------------------------------------------------------------------------

    def parse_callback(self, request: CallbackRequest) -> CallbackResult:
        """Verify and decode a vendor push. :raises VendorAuthFailed: bad signature or replay."""
        raise UnsupportedOperation(
            f"account {self.account!r} ({self.vendor}) receives no vendor push; "
            "changes are observed by polling",
            account=self.account,
            verb="callback",
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def check_health(self) -> None:
        """Raise if the vendor cannot be reached with these credentials (used by ``/readyz``)."""
        await self.list_sessions(SessionFilter(), page_size=1)

    async def aclose(self) -> None:  # noqa: B027 - optional hook with a no-op default
        """Release connections. Adapters holding an HTTP client override this."""

    async def __aenter__(self) -> InterviewAdapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def unsupported_error(self, verb: Verb) -> UnsupportedOperation:
        level = self.capabilities.level(verb)
        hint = (
            "do it by hand in the vendor's console"
            if str(level) == "manual"
            else "choose another verb or account"
        )
        return UnsupportedOperation(
            f"account {self.account!r} ({self.vendor}) does not support {verb} "
            f"(capability: {level})",
            hint=hint,
            account=self.account,
            verb=str(verb),
        )
