"""The double's side of DingTalk's push crypto, written from the vendor's description alone.

It shares no code with the adapter's ``_crypto`` (a bug there must not be mirrored here):
SHA-1 over the sorted ``[token, timestamp, nonce, encrypt]``; AES-256-CBC with
``key = b64decode(EncodingAESKey + "=")``, ``IV = key[:16]``, PKCS#7 to 32-byte blocks; plaintext
``random(16) + len(msg) (4 bytes, big-endian) + msg + ownerKey`` (vendors.md §1.7, the official
``DingCallbackCrypto3.py``). The published test vector checks this module on its own.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["decrypt", "encrypt", "signature"]

_PAD_BITS = 256  # DingTalk's PKCS7Encoder pads to 32 bytes, not AES's 16


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """``msg_signature``: lowercase hex SHA-1 of the four values sorted and concatenated."""
    text = "".join(sorted((token, timestamp, nonce, encrypt)))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 - DingTalk's scheme


def _cipher(encoding_aes_key: str) -> Cipher[modes.CBC]:
    key = base64.b64decode(encoding_aes_key + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(
    message: str, owner_key: str, encoding_aes_key: str, *, prefix: bytes | None = None
) -> str:
    """``encrypt`` of a push for ``owner_key`` (appKey, suiteKey or corpId)."""
    body = message.encode("utf-8")
    plain = (prefix or secrets.token_bytes(16)) + struct.pack(">I", len(body)) + body
    plain += owner_key.encode("utf-8")
    padder = padding.PKCS7(_PAD_BITS).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = _cipher(encoding_aes_key).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def encrypt_blocks(plain: bytes, encoding_aes_key: str) -> str:
    """``plain`` encrypted as it is, padding and all (a push whose plaintext is malformed)."""
    encryptor = _cipher(encoding_aes_key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt(encrypt: str, encoding_aes_key: str) -> tuple[str, str]:
    """``(message, owner key)`` of a ciphertext. :raises ValueError: it does not decrypt."""
    decryptor = _cipher(encoding_aes_key).decryptor()
    padded = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
    unpadder = padding.PKCS7(_PAD_BITS).unpadder()
    plain = unpadder.update(padded) + unpadder.finalize()
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise ValueError("the message length exceeds the plaintext")
    return plain[20 : 20 + length].decode("utf-8"), plain[20 + length :].decode("utf-8")
