"""Yonyou's signatures and push encryption, adapter side.

* Token requests are signed: HMAC-SHA256 (key: appSecret) over ``"appKey" + appKey +
  "timestamp" + timestamp`` (the parameters sorted by name, ``name+value`` concatenated), then
  Base64; the HTTP layer URL-encodes it once. (Official ``corp-demo-python/crypto/sign.py``.)
* Pushes are signed with SHA-1 over the sorted ``[appSecret, timestamp, nonce, encrypt]`` and
  encrypted with AES-256-CBC under a key derived from the appSecret, IV = key[:16], PKCS#7,
  plaintext ``random16 + len(4 bytes, big-endian) + message + appKey``.
  (Official ``corp-demo-python/crypto/crypto.py``, ``corp-demo/crypto/EventCrypto.java``.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from interlock import errors

__all__ = ["PushCrypto", "token_signature"]

_AES_KEY_CHARS = 43
_MAX_PAD = 32  # the platform pads to 32-byte blocks


def token_signature(app_key: str, timestamp_ms: str, app_secret: str) -> str:
    """The ``signature`` of a self-built app's token request (Base64, not yet URL-encoded)."""
    message = f"appKey{app_key}timestamp{timestamp_ms}".encode()
    digest = hmac.new(app_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class PushCrypto:
    """Verifies and decrypts the open platform's event pushes for one app.

    :raises ConfigurationError: (on construction) the appSecret cannot yield an AES-256 key.
    """

    def __init__(self, *, app_key: str, app_secret: str) -> None:
        self._app_key = app_key.encode()
        self._secret = app_secret
        self._key = _aes_key(app_secret)

    def signature_ok(self, *, timestamp: str, nonce: str, encrypt: str, signature: str) -> bool:
        joined = "".join(sorted([self._secret, timestamp, nonce, encrypt]))
        expected = hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 - the vendor's scheme
        return hmac.compare_digest(expected, signature.lower())

    def decrypt(self, encrypt: str) -> bytes:
        """The message inside ``encrypt``.

        :raises VendorAuthFailed: it does not decrypt, or it was not encrypted for our appKey.
        """
        try:
            cipher = base64.b64decode(encrypt + "=" * (-len(encrypt) % 4), validate=True)
            decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
            plain = decryptor.update(cipher) + decryptor.finalize()
        except (binascii.Error, ValueError):
            raise _refused("the push's encrypt field does not decrypt") from None
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= _MAX_PAD or len(plain) < 20 + pad:
            raise _refused("the push's encrypt field has bad padding")
        body = plain[:-pad]
        (length,) = struct.unpack(">I", body[16:20])
        message, sender = body[20 : 20 + length], body[20 + length :]
        if len(message) != length or not hmac.compare_digest(sender, self._app_key):
            raise _refused("the push was not encrypted for this app_key")
        return message


def _aes_key(app_secret: str) -> bytes:
    """The AES-256 key: the dash-less secret, padded with ``0`` to 43 base64 characters."""
    stripped = app_secret.replace("-", "")
    try:  # 43 base64 characters and "=" are always 32 bytes; anything else is refused
        return base64.b64decode(
            (stripped + "0" * _AES_KEY_CHARS)[:_AES_KEY_CHARS] + "=", validate=True
        )
    except ValueError:  # binascii.Error, or a character outside ASCII
        raise errors.ConfigurationError(
            "yonyou: app_secret cannot yield the AES key used to decrypt event pushes",
            hint="copy app_secret exactly as the YonBIP open platform shows it",
        ) from None


def _refused(message: str) -> errors.VendorAuthFailed:
    return errors.VendorAuthFailed(f"yonyou: {message}", hint="check app_key and app_secret")
