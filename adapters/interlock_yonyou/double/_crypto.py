"""The double's side of Yonyou's cryptography, written independently of the adapter's.

Token signature (official demo ``crypto/sign.py``): sort the parameters except ``signature`` by
name, concatenate ``name + value``, HMAC-SHA256 with the appSecret, Base64. Event push (official
demo ``crypto/crypto.py``, ``EventCrypto.java``): AES-256-CBC with a key derived from the
appSecret, IV = key[:16], PKCS#7, plaintext ``random16 + len(4 bytes BE) + message + appKey``;
``msgSignature`` = SHA-1 hex of the sorted ``[appSecret, timestamp, nonce, encrypt]``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["aes_key", "encrypt_blocks", "encrypt_message", "push_signature", "token_signature"]

_PAD_BLOCK_BITS = 256  # the demos pad to 32-byte blocks, like DingTalk's PKCS7Encoder


def token_signature(params: dict[str, str], app_secret: str) -> str:
    """Base64 HMAC-SHA256 over the sorted ``name+value`` pairs (before URL encoding)."""
    text = "".join(f"{name}{params[name]}" for name in sorted(params) if name != "signature")
    digest = hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def aes_key(app_secret: str) -> bytes:
    """Strip ``-``, right-pad with ``0`` to 43 characters, add ``=``, Base64-decode."""
    stripped = app_secret.replace("-", "")
    return base64.b64decode((stripped + "0" * 43)[:43] + "=")


def encrypt_message(message: bytes, *, app_key: str, app_secret: str) -> str:
    """``encrypt`` of a push: Base64(AES-CBC(random16 + len + message + appKey))."""
    plain = secrets.token_bytes(16) + struct.pack(">I", len(message)) + message + app_key.encode()
    padder = padding.PKCS7(_PAD_BLOCK_BITS).padder()
    return encrypt_blocks(padder.update(plain) + padder.finalize(), app_secret)


def encrypt_blocks(padded: bytes, app_secret: str) -> str:
    """Base64(AES-CBC(``padded``)) as it is, whole AES blocks (bad pushes build their own)."""
    key = aes_key(app_secret)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def push_signature(app_secret: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """``msgSignature``: lowercase SHA-1 hex of the sorted, concatenated four values."""
    joined = "".join(sorted([app_secret, timestamp, nonce, encrypt]))
    return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 - the vendor's scheme
