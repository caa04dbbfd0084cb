"""Pushes YonBIP signs but that are wrong inside, for the contract kit's callbacks check.

Each is signed with the app secret (so its ``msgSignature`` verifies) and carries one defect the
adapter must name: an event that is not JSON or lacks its type, a session id that is not one,
an envelope without its nonce, a timestamp that is not milliseconds.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from interlock.events import CallbackRequest
from interlock_yonyou.double._crypto import encrypt_message, push_signature

__all__ = ["bad_callbacks"]

BadPush = tuple[str, CallbackRequest, str, str | None]
_PROTOCOL = "VENDOR.PROTOCOL_ERROR"


def bad_callbacks(
    event: dict[str, Any], *, app_key: str, app_secret: str, at: datetime
) -> list[BadPush]:
    """``event`` is a good status-change event; each push spoils one thing of it."""

    def signed(message: bytes, *, timestamp: str | None = None, **envelope: Any) -> CallbackRequest:
        stamp = timestamp or str(int(at.timestamp() * 1000))
        nonce = secrets.token_urlsafe(12)[:16]  # a fresh push each: not a replay
        ciphertext = encrypt_message(message, app_key=app_key, app_secret=app_secret)
        body = {
            "msgSignature": push_signature(app_secret, stamp, nonce, ciphertext),
            "timestamp": stamp,
            "nonce": nonce,
            "encrypt": ciphertext,
        } | envelope
        return CallbackRequest(body=json.dumps({k: v for k, v in body.items() if v is not None})
                               .encode())  # fmt: skip

    def event_of(content: dict[str, Any]) -> bytes:
        return json.dumps(content, ensure_ascii=False).encode()

    untyped = {k: v for k, v in event.items() if k != "type"}
    return [
        ("an event that is not JSON", signed(b"not json"), _PROTOCOL, "encrypt"),
        ("an event without its type", signed(event_of(untyped)), _PROTOCOL, "type"),
        ("a sessionId that is no id", signed(event_of(event | {"sessionId": ["no id!"]})),
         _PROTOCOL, "sessionId"),
        ("a timestamp that is not milliseconds", signed(event_of(event), timestamp="today"),
         _PROTOCOL, "timestamp"),
        ("an envelope without its nonce", signed(event_of(event), nonce=None), _PROTOCOL,
         "nonce"),
    ]  # fmt: skip
