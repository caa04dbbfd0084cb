"""DingTalk's HTTP event push: verify it, build its encrypted ``success`` reply, and turn it
into neutral ``SessionEvent`` s.

Order of checks, so that nothing unverified is trusted or remembered:

1. the query carries ``msg_signature`` (older: ``signature``), ``timestamp`` (older:
   ``timeStamp``) and ``nonce``, and the body ``{"encrypt": …}``;
2. the timestamp is within ``max_age_s`` of now (a stale or future push is refused);
3. the SHA-1 signature matches (constant-time comparison);
4. the (timestamp, nonce) pair was not seen before (a replay is refused) — remembered only
   after the signature check, so forgeries cannot fill the memory;
5. the ciphertext decrypts and carries this account's owner key (appKey or suiteKey).

The replay memory is per adapter instance; gateway replicas behind one callback URL each keep
their own (DingTalk retries a failed push, so a replica-crossing replay stays possible).
"""

from __future__ import annotations

import json
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from interlock import errors
from interlock.events import CallbackReply, CallbackRequest, SessionEvent
from interlock.models import SessionRef
from interlock_dingtalk._crypto import CallbackCipher, CryptoError, sign, signatures_equal
from interlock_dingtalk._mapping import from_millis, to_state
from interlock_dingtalk._models import VendorPushEnvelope, VendorPushEvent

__all__ = ["CHECK_URL", "SESSION_CHANGE", "CallbackVerifier", "VerifiedPush", "events_of"]

_MAX_REMEMBERED = 100_000
_SUCCESS = "success"


@dataclass(frozen=True)
class VerifiedPush:
    """A push whose signature, freshness, novelty and owner were all checked."""

    event: VendorPushEvent
    timestamp: str
    nonce: str


class CallbackVerifier:
    """Checks pushes for one account. Secrets are held privately and never printed."""

    def __init__(
        self,
        *,
        account: str,
        token: str,
        encoding_aes_key: str,
        owner_key: str,
        max_age_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._account = account
        self._token = token
        self._cipher = CallbackCipher(encoding_aes_key)
        self._owner_key = owner_key
        self._max_age_ms = int(max_age_s * 1000)
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()

    def __repr__(self) -> str:
        return f"<CallbackVerifier account={self._account!r}>"

    def open(self, request: CallbackRequest) -> VerifiedPush:
        """Verify and decrypt ``request``. :raises VendorAuthFailed: refused (see module doc)."""
        signature, timestamp, nonce = self._signed_query(request.query)
        encrypt = self._encrypt_of(request.body)
        now_ms = self._now_ms()
        self._check_fresh(timestamp, now_ms)
        if not signatures_equal(sign(self._token, timestamp, nonce, encrypt), signature):
            raise self._refused("the signature does not match (forged or wrong callback_token)")
        self._remember(timestamp, nonce, now_ms)
        try:
            decrypted = self._cipher.decrypt(encrypt)
        except CryptoError as exc:
            raise errors.VendorProtocolError(
                f"dingtalk push: cannot decrypt ({exc})",
                field="encrypt",
                account=self._account,
                hint="check callback_aes_key (the EncodingAESKey)",
            ) from None
        if not signatures_equal(self._owner_key, decrypted.owner_key):
            raise self._refused("the push is for another application (owner key mismatch)")
        return VerifiedPush(self._event_of(decrypted.message), timestamp, nonce)

    def reply(self, message: str = _SUCCESS) -> CallbackReply:
        """DingTalk's expected acknowledgement: the encrypted ``success`` map."""
        timestamp = str(self._now_ms())
        nonce = secrets.token_hex(4)
        encrypt = self._cipher.encrypt(message, self._owner_key)
        body = {
            "msg_signature": sign(self._token, timestamp, nonce, encrypt),
            "timeStamp": timestamp,
            "nonce": nonce,
            "encrypt": encrypt,
        }
        # CallbackReply's defaults are DingTalk's: HTTP 200, application/json.
        return CallbackReply(body=json.dumps(body, separators=(",", ":")).encode())

    # -- steps -------------------------------------------------------------------------------

    def _signed_query(self, query: Mapping[str, str]) -> tuple[str, str, str]:
        signature = query.get("msg_signature") or query.get("signature")
        timestamp = query.get("timestamp") or query.get("timeStamp")
        nonce = query.get("nonce")
        if not (signature and timestamp and nonce):
            raise self._refused("unsigned push (msg_signature, timestamp and nonce are required)")
        return signature, timestamp, nonce

    def _encrypt_of(self, body: bytes) -> str:
        try:
            return VendorPushEnvelope.model_validate_json(body).encrypt
        except ValidationError:
            raise self._refused(
                'the body is not {"encrypt": …}, so it cannot be verified'
            ) from None

    def _check_fresh(self, timestamp: str, now_ms: int) -> None:
        if not timestamp.isdigit():
            raise self._refused("the timestamp is not epoch milliseconds")
        if abs(now_ms - int(timestamp)) > self._max_age_ms:
            raise self._refused("the timestamp is stale or in the future (replay?)")

    def _remember(self, timestamp: str, nonce: str, now_ms: int) -> None:
        horizon = now_ms - self._max_age_ms
        while self._seen and (
            next(iter(self._seen.values())) < horizon or len(self._seen) >= _MAX_REMEMBERED
        ):
            self._seen.popitem(last=False)
        key = (timestamp, nonce)
        if key in self._seen:
            raise self._refused("this push was already received (replayed nonce and timestamp)")
        self._seen[key] = int(timestamp)

    def _event_of(self, message: str) -> VendorPushEvent:
        try:
            return VendorPushEvent.model_validate_json(message)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "message"
            raise errors.VendorProtocolError(
                "dingtalk push: the decrypted event is malformed",
                field=field,
                account=self._account,
            ) from None

    def _now_ms(self) -> int:
        return int(self._clock().astimezone(UTC).timestamp() * 1000)

    def _refused(self, why: str) -> errors.VendorAuthFailed:
        return errors.VendorAuthFailed(
            f"dingtalk push refused: {why}",
            account=self._account,
            hint="only DingTalk's signed, fresh, first-time pushes are accepted",
        )


CHECK_URL = "check_url"
"""DingTalk's URL-verification event (documented)."""

SESSION_CHANGE = "ats_ai_interview_session_change"
"""The extension's state-change event (DingTalk's snake_case event naming, VENDOR_API.md)."""


def events_of(account: str, push: VerifiedPush) -> tuple[SessionEvent, ...]:
    """The neutral events of one push; event types we do not know carry none (the push is
    still acknowledged, or DingTalk would keep retrying it)."""
    event = push.event
    if event.event_type == CHECK_URL:
        return (
            SessionEvent(
                event_id=f"{CHECK_URL}:{push.timestamp}:{push.nonce}", kind="url_verification"
            ),
        )
    if event.event_type != SESSION_CHANGE:
        return ()
    if not event.session_id:
        raise errors.VendorProtocolError(
            "dingtalk push: session change without sessionId", field="sessionId", account=account
        )
    if not event.status:
        raise errors.VendorProtocolError(
            "dingtalk push: session change without status", field="status", account=account
        )
    try:
        ref = SessionRef(account=account, session_id=event.session_id)
    except ValidationError:
        raise errors.VendorProtocolError(
            "dingtalk push: sessionId is not a valid id", field="sessionId", account=account
        ) from None
    event_id = event.event_id or f"{event.session_id}:{event.change_time_millis}:{event.status}"
    return (
        SessionEvent(
            event_id=event_id,
            kind="state_changed",
            ref=ref,
            state=to_state(event.status),
            occurred_at=from_millis(event.change_time_millis),
        ),
    )
