"""Pushes YonBIP signs but that are wrong inside, for the contract kit's callbacks check.

Each is signed with the app secret (so its ``msgSignature`` verifies) and carries one defect the
adapter must name: an event that is not JSON or lacks its type, a session id that is not one,
an envelope without its nonce, a timestamp that is not milliseconds.
"""

from __future__ import annotations

import json
import secrets
import struct
from datetime import datetime
from typing import Any

from interlock.events import CallbackRequest
from interlock_yonyou.double._crypto import encrypt_blocks, encrypt_message, push_signature

__all__ = ["bad_callbacks"]

BadPush = tuple[str, CallbackRequest, str, str | None]
_PROTOCOL, _REFUSED = "VENDOR.PROTOCOL_ERROR", "VENDOR.AUTH_FAILED"


def bad_callbacks(
    event: dict[str, Any], *, app_key: str, app_secret: str, at: datetime
) -> list[BadPush]:
    """``event`` is a good status-change event; each push spoils one thing of it."""

    def signed(
        message: bytes,
        *,
        timestamp: str | None = None,
        ciphertext: str | None = None,
        **envelope: Any,
    ) -> CallbackRequest:
        stamp = timestamp or str(int(at.timestamp() * 1000))
        nonce = secrets.token_urlsafe(12)[:16]  # a fresh push each: not a replay
        if ciphertext is None:
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
    good = encrypt_message(event_of(event), app_key=app_key, app_secret=app_secret)
    broken = _broken_ciphertexts(event_of(event), good, app_key=app_key, app_secret=app_secret)
    undecryptable = [
        (what, signed(b"", ciphertext=text), _REFUSED, None) for what, text in broken.items()
    ]
    return [
        *undecryptable,
        ("an event that is not JSON", signed(b"not json"), _PROTOCOL, "encrypt"),
        ("an event without its type", signed(event_of(untyped)), _PROTOCOL, "type"),
        ("a sessionId that is no id", signed(event_of(event | {"sessionId": ["no id!"]})),
         _PROTOCOL, "sessionId"),
        ("a timestamp that is not milliseconds", signed(event_of(event), timestamp="today"),
         _PROTOCOL, "timestamp"),
        ("an envelope without its nonce", signed(event_of(event), nonce=None), _PROTOCOL,
         "nonce"),
    ]  # fmt: skip


def _broken_ciphertexts(
    message: bytes, good: str, *, app_key: str, app_secret: str
) -> dict[str, str]:
    """Ciphertexts that do not open to ``random(16) + length(4) + message + appKey + PKCS#7``:
    whatever the signature says, such a push cannot be the platform's."""

    def padded(plain: bytes) -> bytes:
        pad = 32 - len(plain) % 32
        return plain + bytes([pad]) * pad

    prefix, owner = bytes(16), app_key.encode()
    framed = prefix + struct.pack(">I", len(message) + 1) + message + owner
    return {
        "a ciphertext that is not base64": "%%% not base64 %%%",
        "a ciphertext with a character outside base64": f"{good[:8]}*{good[8:]}",
        "a padding byte of 0": encrypt_blocks(prefix + bytes(31) + b"\x00", app_secret),
        "a padding byte above the block": encrypt_blocks(prefix + bytes(15) + b"\x21", app_secret),
        "a plaintext shorter than its header": encrypt_blocks(padded(prefix), app_secret),
        "a length that disagrees with the message": encrypt_blocks(padded(framed), app_secret),
        "a message for another app": encrypt_blocks(
            padded(prefix + struct.pack(">I", len(message)) + message + b"another-app"), app_secret
        ),
    }
