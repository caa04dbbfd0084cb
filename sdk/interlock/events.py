"""Vendor push, neutrally: what a verified callback said, and what to answer the vendor."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from interlock.models import SessionRef, SessionState, UtcDatetime

__all__ = ["CallbackReply", "CallbackRequest", "CallbackResult", "SessionEvent"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CallbackRequest(_Frozen):
    """An HTTP push exactly as received (the adapter verifies it; nothing is trusted before)."""

    method: str = "POST"
    query: Mapping[str, str] = Field(default_factory=dict)
    headers: Mapping[str, str] = Field(default_factory=dict)
    body: bytes = b""


class SessionEvent(_Frozen):
    """Something happened to a session at the vendor."""

    event_id: str
    kind: str = Field(description="neutral kind, e.g. 'state_changed' or 'url_verification'")
    ref: SessionRef | None = None
    state: SessionState | None = None
    occurred_at: UtcDatetime | None = None


class CallbackReply(_Frozen):
    """What the gateway must answer the vendor (each vendor wants its own acknowledgement)."""

    status_code: int = 200
    content_type: str = "application/json"
    body: bytes = b""


class CallbackResult(_Frozen):
    """The events a verified push carried and the reply the vendor expects."""

    events: tuple[SessionEvent, ...]
    reply: CallbackReply
