"""DingTalk's push crypto reproduces the published test vector and refuses tampering."""

from __future__ import annotations

import base64

import pytest
from dingtalk_support import load_fixture

from interlock_dingtalk._crypto import CallbackCipher, CryptoError, aes_key_from, sign
from interlock_dingtalk.double import _crypto as double_crypto

VECTOR = load_fixture("callback__check_url_vector")


def test_signature_reproduces_the_published_vector() -> None:
    query = VECTOR["query"]
    signature = sign(VECTOR["token"], query["timestamp"], query["nonce"], VECTOR["body"]["encrypt"])
    assert signature == query["msg_signature"] == "03044561471240d4a14bb09372dfcfd4fd0e40cb"


def test_decryption_reproduces_the_published_vector() -> None:
    cipher = CallbackCipher(VECTOR["encodingAesKey"])
    decrypted = cipher.decrypt(VECTOR["body"]["encrypt"])
    assert decrypted.message == VECTOR["plaintext"] == '{"EventType":"check_url"}'
    assert decrypted.owner_key == VECTOR["ownerKey"]


def test_encryption_with_the_vectors_random_prefix_gives_the_vectors_ciphertext() -> None:
    cipher = CallbackCipher(VECTOR["encodingAesKey"])
    key = aes_key_from(VECTOR["encodingAesKey"])
    # Recover the 16 random bytes DingTalk used, then encrypt again: byte-identical output.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    raw = base64.b64decode(VECTOR["body"]["encrypt"])
    prefix = (decryptor.update(raw) + decryptor.finalize())[:16]
    again = cipher.encrypt(VECTOR["plaintext"], VECTOR["ownerKey"], random_prefix=prefix)
    assert again == VECTOR["body"]["encrypt"]


@pytest.mark.parametrize(
    "message",
    ["", "success", '{"EventType":"check_url"}', "面试状态变更" * 40, "x" * 7, "y" * 12],
    ids=["empty", "success", "json", "long-utf8", "short", "block-edge"],
)
def test_round_trip_pads_to_32_byte_blocks(message: str) -> None:
    cipher = CallbackCipher(VECTOR["encodingAesKey"])
    encrypted = cipher.encrypt(message, "suiteKey123")
    assert len(base64.b64decode(encrypted)) % 32 == 0
    decrypted = cipher.decrypt(encrypted)
    assert (decrypted.message, decrypted.owner_key) == (message, "suiteKey123")


def test_a_fresh_random_prefix_makes_each_ciphertext_different() -> None:
    cipher = CallbackCipher(VECTOR["encodingAesKey"])
    assert cipher.encrypt("success", "k") != cipher.encrypt("success", "k")


@pytest.mark.parametrize(
    ("encrypt", "why"),
    [
        ("not base64 !!", "not base64"),
        (base64.b64encode(b"short").decode(), "whole number"),
        (base64.b64encode(bytes(32)).decode(), "padding"),
    ],
    ids=["garbage", "partial-block", "bad-padding"],
)
def test_malformed_ciphertext_is_refused(encrypt: str, why: str) -> None:
    with pytest.raises(CryptoError, match=why):
        CallbackCipher(VECTOR["encodingAesKey"]).decrypt(encrypt)


def test_the_wrong_key_does_not_decrypt() -> None:
    other = CallbackCipher("INkIWpf6XNveEFzuldhEqyN6dx7j06BhxeZuJu9DFpI")
    with pytest.raises(CryptoError):
        other.decrypt(VECTOR["body"]["encrypt"])


def test_a_key_that_is_not_43_base64_characters_is_refused() -> None:
    with pytest.raises(CryptoError):
        aes_key_from("tooshort")


def test_the_cipher_never_prints_its_key() -> None:
    cipher = CallbackCipher(VECTOR["encodingAesKey"])
    assert VECTOR["encodingAesKey"] not in repr(cipher)


# -- the double's own crypto, checked against the vector on its own ------------------------


def test_the_doubles_signature_reproduces_the_published_vector() -> None:
    query = VECTOR["query"]
    encrypt = VECTOR["body"]["encrypt"]
    signed = double_crypto.signature(VECTOR["token"], query["timestamp"], query["nonce"], encrypt)
    assert signed == "03044561471240d4a14bb09372dfcfd4fd0e40cb"


def test_the_doubles_decryption_reproduces_the_published_vector() -> None:
    message, owner = double_crypto.decrypt(VECTOR["body"]["encrypt"], VECTOR["encodingAesKey"])
    assert (message, owner) == ('{"EventType":"check_url"}', "ding6ccabc44d2c8d38b")


def test_the_doubles_encryption_with_the_vectors_prefix_gives_the_vectors_ciphertext() -> None:
    key = VECTOR["encodingAesKey"]
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    raw_key = base64.b64decode(key + "=")
    decryptor = Cipher(algorithms.AES(raw_key), modes.CBC(raw_key[:16])).decryptor()
    raw = base64.b64decode(VECTOR["body"]["encrypt"])
    prefix = (decryptor.update(raw) + decryptor.finalize())[:16]
    again = double_crypto.encrypt(VECTOR["plaintext"], VECTOR["ownerKey"], key, prefix=prefix)
    assert again == VECTOR["body"]["encrypt"]
