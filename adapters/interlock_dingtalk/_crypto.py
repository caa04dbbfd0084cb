"""DingTalk's HTTP event-push crypto ("事件订阅 HTTP 推送"), exactly as documented.

* signature: SHA-1 over the lexicographically sorted ``[token, timestamp, nonce, encrypt]``,
  concatenated, lowercase hex;
* cipher: AES-256-CBC, ``key = b64decode(EncodingAESKey + "=")``, ``IV = key[:16]``, PKCS#7
  padding to a 32-byte block;
* plaintext: ``random(16) + len(msg) as 4 bytes big-endian + msg + ownerKey``.

Source: the official ``open-dingtalk/DingTalk-Callback-Crypto`` library; the published test
vector (vendors.md §1.7) is reproduced by the tests. The vendor double has its own
implementation (``double/_crypto.py``), so that a bug here cannot hide behind the same bug there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "CallbackCipher",
    "CryptoError",
    "DecryptedMessage",
    "aes_key_from",
    "sign",
    "signatures_equal",
]

_BLOCK = 32  # DingTalk pads to 32 bytes, not AES's 16
_RANDOM_PREFIX = 16
_LENGTH_FIELD = 4


class CryptoError(ValueError):
    """The ciphertext cannot be decrypted into a well-formed message."""


@dataclass(frozen=True)
class DecryptedMessage:
    """A decrypted push: the JSON text and the owner key DingTalk appended."""

    message: str
    owner_key: str


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """DingTalk's push signature (``msg_signature``)."""
    joined = "".join(sorted([token, timestamp, nonce, encrypt]))
    # SHA-1 is what DingTalk specifies; we must compute exactly the vendor's value.
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()  # noqa: S324


def signatures_equal(expected: str, received: str) -> bool:
    """Constant-time comparison (a timing oracle would let a forger guess byte by byte)."""
    return hmac.compare_digest(
        expected.encode("ascii", "replace"), received.encode("ascii", "replace")
    )


def aes_key_from(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("EncodingAESKey is not base64") from None
    if len(key) != 32:
        raise CryptoError("EncodingAESKey does not decode to 32 bytes")
    return key


class CallbackCipher:
    """Encrypts and decrypts push payloads with one EncodingAESKey (the key is never printed)."""

    def __init__(self, encoding_aes_key: str) -> None:
        self._key = aes_key_from(encoding_aes_key)

    def __repr__(self) -> str:
        return "<CallbackCipher key=***>"

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: str, owner_key: str, *, random_prefix: bytes | None = None) -> str:
        """Base64 ciphertext of ``message`` for ``owner_key`` (a fresh random prefix by default)."""
        prefix = secrets.token_bytes(_RANDOM_PREFIX) if random_prefix is None else random_prefix
        if len(prefix) != _RANDOM_PREFIX:
            raise ValueError("the random prefix is 16 bytes")
        body = message.encode("utf-8")
        plain = prefix + struct.pack(">I", len(body)) + body + owner_key.encode("utf-8")
        pad = _BLOCK - len(plain) % _BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypt: str) -> DecryptedMessage:
        """The message and owner key inside ``encrypt``. :raises CryptoError: malformed."""
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("encrypt is not base64") from None
        if not raw or len(raw) % 16:
            raise CryptoError("encrypt is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding (wrong EncodingAESKey?)")
        plain = plain[:-pad]
        header = _RANDOM_PREFIX + _LENGTH_FIELD
        if len(plain) < header:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", plain[_RANDOM_PREFIX:header])
        if header + length > len(plain):
            raise CryptoError("message length exceeds the plaintext")
        try:
            message = plain[header : header + length].decode("utf-8")
            owner_key = plain[header + length :].decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError("plaintext is not UTF-8") from None
        return DecryptedMessage(message=message, owner_key=owner_key)
