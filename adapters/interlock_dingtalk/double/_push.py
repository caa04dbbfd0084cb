"""The double's side of DingTalk's HTTP event push: build signed, encrypted push requests and
read the encrypted ``success`` a receiver answers (vendors.md §1.7)."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from interlock_dingtalk.double._crypto import decrypt, encrypt, signature

__all__ = ["PushSender"]


class PushSender:
    """Signs and encrypts pushes with one app's callback token and EncodingAESKey."""

    def __init__(self, token: str, encoding_aes_key: str, clock: Callable[[], datetime]) -> None:
        self._token = token
        self._key = encoding_aes_key
        self._clock = clock

    def __repr__(self) -> str:
        return "<PushSender token=*** key=***>"

    def request(
        self,
        url: str,
        event: Mapping[str, Any],
        *,
        owner_key: str,
        timestamp: str | None = None,
        nonce: str | None = None,
        token: str | None = None,
        padding: int = 0,
    ) -> httpx.Request:
        """``POST url?msg_signature=&timestamp=&nonce=`` with body ``{"encrypt": …}``; signed
        with ``token`` instead of the real callback token when given (a forgery); ``padding``
        spaces after the event's JSON make a plaintext of another length."""
        timestamp = timestamp or str(int(self._clock().timestamp() * 1000))
        nonce = nonce or secrets.token_urlsafe(6)[:8]
        message = json.dumps(dict(event), ensure_ascii=False, separators=(",", ":"))
        message += " " * padding
        ciphertext = encrypt(message, owner_key, self._key)
        params = {
            "msg_signature": signature(token or self._token, timestamp, nonce, ciphertext),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return httpx.Request("POST", url, params=params, json={"encrypt": ciphertext})

    def read_reply(self, body: bytes, *, owner_key: str) -> str:
        """The plaintext of a receiver's encrypted reply. :raises ValueError: not DingTalk's
        expected ``{"msg_signature","timeStamp","nonce","encrypt"}`` or badly signed."""
        reply = json.loads(body)
        if not isinstance(reply, dict):
            raise ValueError("the reply is not a JSON object")
        fields = [reply.get(k) for k in ("msg_signature", "timeStamp", "nonce", "encrypt")]
        if not all(isinstance(f, str) and f for f in fields):
            raise ValueError("the reply lacks msg_signature, timeStamp, nonce or encrypt")
        signed, timestamp, nonce, ciphertext = (str(f) for f in fields)
        if not timestamp.isdigit():
            raise ValueError(f"the reply's timeStamp {timestamp!r} is not epoch milliseconds")
        if not hmac.compare_digest(signature(self._token, timestamp, nonce, ciphertext), signed):
            raise ValueError("the reply's signature does not match")
        message, sender = decrypt(ciphertext, self._key)
        if sender != owner_key:
            raise ValueError("the reply is for another application")
        return message
