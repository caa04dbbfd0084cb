"""Verified DingTalk pushes → neutral ``SessionEvent``s (pure functions)."""

from __future__ import annotations

from pydantic import ValidationError

from interlock import errors
from interlock.events import SessionEvent
from interlock.models import SessionRef
from interlock_dingtalk._callback import VerifiedPush
from interlock_dingtalk._mapping import from_millis, to_state

__all__ = ["CHECK_URL", "SESSION_CHANGE", "events_of"]

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
