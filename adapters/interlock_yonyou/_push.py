"""Event pushes (事件订阅): verify, refuse replays, decrypt, and map to neutral events.

A push is accepted only when its SHA-1 signature is right, its timestamp is within
``callback_max_age_s`` of our clock, the same signed push was not seen before inside that
window, and the decrypted message ends with our appKey. The platform re-signs each redelivery
with a fresh timestamp and nonce (an inference: see VENDOR_API.md, Decisions), so a genuine
redelivery passes while a captured push sent again does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import ValidationError

from interlock import errors
from interlock.events import CallbackReply, CallbackRequest, CallbackResult, SessionEvent
from interlock.models import SessionRef
from interlock_yonyou._crypto import PushCrypto
from interlock_yonyou._mapping import to_state
from interlock_yonyou._models import PushEnvelope, PushEvent
from interlock_yonyou.options import YonyouOptions

__all__ = ["ACKNOWLEDGEMENT", "CHECK_URL", "STATUS_CHANGE", "PushReceiver"]

CHECK_URL = "CHECK_URL"
STATUS_CHANGE = "HRC_AIV_SESSION_STATUS_CHANGE"
ACKNOWLEDGEMENT = CallbackReply(
    status_code=200, content_type="text/plain; charset=utf-8", body=b"success"
)
"""The platform wants the literal ``success`` within 5 s, or it delivers again."""


class PushReceiver:
    """Turns one account's pushes into :class:`SessionEvent` s (stateful: it remembers pushes)."""

    def __init__(
        self, *, account: str, options: YonyouOptions, clock: Callable[[], datetime]
    ) -> None:
        self._account = account
        self._options = options
        self._clock = clock
        # Built now, not at the first push: a secret that cannot decrypt pushes is a mistake in
        # the account's setup, better refused when the account is loaded.
        self._crypto = PushCrypto(
            app_key=options.app_key, app_secret=options.app_secret.get_secret_value()
        )
        self._seen: dict[str, float] = {}  # msgSignature -> when we may forget it (epoch s)

    def parse(self, request: CallbackRequest) -> CallbackResult:
        """Verify and decode one push. :raises VendorAuthFailed: forged, stale or replayed."""
        envelope = _envelope(request.body)
        crypto = self._crypto
        if not crypto.signature_ok(
            timestamp=envelope.timestamp,
            nonce=envelope.nonce,
            encrypt=envelope.encrypt,
            signature=envelope.msg_signature,
        ):
            raise _refused("the push's msgSignature does not match")
        now = self._clock().timestamp()
        self._check_fresh(envelope.timestamp, now)
        if envelope.msg_signature.lower() in self._seen:
            raise _refused("this push was already received (replay)")
        event = _event(crypto.decrypt(envelope.encrypt))
        if event.tenant_id is not None and event.tenant_id != self._options.tenant_id:
            raise _refused(f"the push is for another tenant ({event.tenant_id})")
        self._seen[envelope.msg_signature.lower()] = now + self._options.callback_max_age_s
        return CallbackResult(events=self._events(event), reply=ACKNOWLEDGEMENT)

    def _check_fresh(self, timestamp: str, now: float) -> None:
        try:
            sent = int(timestamp) / 1000
        except ValueError:
            raise errors.VendorProtocolError(
                "yonyou push: timestamp is not epoch milliseconds", field="timestamp"
            ) from None
        if abs(now - sent) > self._options.callback_max_age_s:
            raise _refused(
                f"the push's timestamp is {abs(now - sent):.0f} s away from our clock "
                f"(allowed: {self._options.callback_max_age_s:.0f} s); replay or clock skew"
            )
        self._seen = {sig: until for sig, until in self._seen.items() if until >= now}

    def _events(self, event: PushEvent) -> tuple[SessionEvent, ...]:
        if event.type == CHECK_URL:
            return (SessionEvent(event_id=event.event_id, kind="url_verification"),)
        if event.type != STATUS_CHANGE:
            return ()  # another subscription of the same app: acknowledged, nothing to do
        occurred = datetime.fromtimestamp(event.timestamp / 1000, UTC) if event.timestamp else None
        state = to_state(event.status) if event.status is not None else None
        several = len(event.session_ids) > 1
        try:
            return tuple(
                SessionEvent(
                    event_id=f"{event.event_id}:{sid}" if several else event.event_id,
                    kind="state_changed",
                    ref=SessionRef(account=self._account, session_id=sid),
                    state=state,
                    occurred_at=occurred,
                )
                for sid in event.session_ids
            )
        except ValidationError:
            raise errors.VendorProtocolError(
                "yonyou push: a sessionId is not a valid session id", field="sessionId"
            ) from None


def _envelope(body: bytes) -> PushEnvelope:
    try:
        return PushEnvelope.model_validate_json(body)
    except ValidationError as exc:
        raise errors.VendorProtocolError(
            "yonyou push: the body is not {msgSignature, timestamp, nonce, encrypt}",
            field=_field(exc),
        ) from None


def _event(message: bytes) -> PushEvent:
    try:
        return PushEvent.model_validate(json.loads(message))
    except (ValueError, ValidationError) as exc:
        field = _field(exc) if isinstance(exc, ValidationError) else "encrypt"
        raise errors.VendorProtocolError(
            "yonyou push: the decrypted event is not a valid event", field=field
        ) from None


def _field(exc: ValidationError) -> str | None:
    errors_list = exc.errors()
    if not errors_list:
        return None
    return ".".join(str(part) for part in errors_list[0]["loc"]) or "body"


def _refused(message: str) -> errors.VendorAuthFailed:
    return errors.VendorAuthFailed(
        f"yonyou push refused: {message}",
        hint="pushes must come from the YonBIP open platform for this app",
    )
