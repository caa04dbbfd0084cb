"""Pushes DingTalk signs but that are wrong inside, for the contract kit's callbacks check.

Each is signed with the real callback token (so it passes the signature check) and carries a
defect the adapter must name: an event without its session id or status, an id that is not one,
a time that is not milliseconds, a ciphertext that does not decrypt — and query or body fields
that make the push unverifiable.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
from collections.abc import Callable
from datetime import datetime
from typing import Any

from interlock.events import CallbackRequest
from interlock_dingtalk.double._crypto import encrypt, encrypt_blocks, signature

__all__ = ["bad_callbacks"]

BadPush = tuple[str, CallbackRequest, str, str | None]
_PROTOCOL, _REFUSED = "VENDOR.PROTOCOL_ERROR", "VENDOR.AUTH_FAILED"


def bad_callbacks(
    event: dict[str, Any],
    *,
    token: str,
    aes_key: str,
    owner_key: str,
    clock: Callable[[], datetime],
) -> list[BadPush]:
    """``event`` is a good session-change event; each push spoils one thing of it."""

    def signed(ciphertext: str, **query: str) -> CallbackRequest:
        stamp = query.pop("timestamp", str(int(clock().timestamp() * 1000)))
        nonce = query.pop("nonce", secrets.token_hex(4))  # a fresh push each: not a replay
        params = {"msg_signature": signature(token, stamp, nonce, ciphertext),
                  "timestamp": stamp, "nonce": nonce} | query  # fmt: skip
        return CallbackRequest(
            method="POST",
            query=params,
            headers={"content-type": "application/json"},
            body=json.dumps({"encrypt": ciphertext}).encode(),
        )

    def sealed(content: dict[str, Any] | str) -> str:
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        return encrypt(text, owner_key, aes_key)

    without = {key: {k: v for k, v in event.items() if k != key} for key in ("sessionId", "status")}
    garbage = base64.b64encode(b"0123456789abcdef0123").decode()  # 20 bytes: not AES blocks
    good = sealed(event)
    stray = f"{good[:8]}*{good[8:]}"  # a lenient decoder drops the * and decrypts the rest
    pushes: list[BadPush] = [
        ("a change without its sessionId", signed(sealed(without["sessionId"])), _PROTOCOL,
         "sessionId"),
        ("a change without its status", signed(sealed(without["status"])), _PROTOCOL, "status"),
        ("a change whose sessionId is no id", signed(sealed(event | {"sessionId": "no id!"})),
         _PROTOCOL, "sessionId"),
        ("a change time that is not milliseconds",
         signed(sealed(event | {"changeTimeMillis": "yesterday"})), _PROTOCOL, "changeTimeMillis"),
        ("an event that is not JSON", signed(sealed("not json")), _PROTOCOL, "message"),
        ("a ciphertext that is not base64", signed("%%% not base64 %%%"), _PROTOCOL, "encrypt"),
        ("a ciphertext of broken AES blocks", signed(garbage), _PROTOCOL, "encrypt"),
        ("a ciphertext with a character outside base64", signed(stray), _PROTOCOL, "encrypt"),
        ("a timestamp that is not milliseconds", signed(sealed(event), timestamp="today"),
         _REFUSED, None),
        *((f"a push without its {name}", _without(signed(sealed(event)), name), _REFUSED, None)
          for name in ("msg_signature", "timestamp", "nonce")),
    ]  # fmt: skip
    return pushes + _malformed_plaintexts(signed, aes_key, owner_key)


def _without(push: CallbackRequest, name: str) -> CallbackRequest:
    """``push`` with one query parameter dropped (an unsigned or half-signed push)."""
    query = {k: v for k, v in push.query.items() if k != name}
    return push.model_copy(update={"query": query})


def _malformed_plaintexts(
    signed: Callable[..., CallbackRequest], aes_key: str, owner_key: str
) -> list[BadPush]:
    """Ciphertexts that decrypt, to a plaintext that is not DingTalk's
    ``random(16) + length(4) + message + owner key + PKCS#7 padding``."""
    prefix = bytes(16)
    owner = owner_key.encode()

    def padded(plain: bytes) -> bytes:
        pad = 16 - len(plain) % 16
        return plain + bytes([pad]) * pad

    def framed(message: bytes, length: int | None = None) -> bytes:
        size = len(message) if length is None else length
        return padded(prefix + struct.pack(">I", size) + message + owner)

    plaintexts = {
        "a padding byte of 0": prefix + bytes(15) + b"\x00",
        "a padding byte above the block": prefix + bytes(15) + b"\x11",
        "padding bytes that disagree": prefix + bytes(14) + b"\x01\x02",
        "a plaintext shorter than its header": padded(prefix),
        "a length past the plaintext": framed(b"{}", length=1000),
        "a message that is not UTF-8": framed(b"\xff\xfe"),
    }
    return [
        (what, signed(encrypt_blocks(plain, aes_key)), _PROTOCOL, "encrypt")
        for what, plain in plaintexts.items()
    ]
