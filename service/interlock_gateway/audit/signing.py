"""Ed25519 checkpoint signatures and the signing key's life cycle.

A checkpoint signs ``{"type", "seq", "hash", "key_id"}`` (canonical JSON) for one audit
record. Anyone holding the exported public key can check that the chain up to that record
is the one the gateway saw, even if an attacker recomputed every hash after it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from interlock.errors import ConfigurationError

from ..store.engine import DEFAULT_DATA_DIR
from .canonical import canonical_bytes

__all__ = [
    "DEFAULT_SIGNING_KEY_PATH",
    "CheckpointSigner",
    "checkpoint_message",
    "key_id_of",
    "load_or_create_signing_key",
    "load_public_key",
    "verify_checkpoint_signature",
]

DEFAULT_SIGNING_KEY_PATH = DEFAULT_DATA_DIR / "audit-signing-key.pem"
_CHECKPOINT_TYPE = "interlock.audit.checkpoint.v1"


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A short, stable id of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def checkpoint_message(seq: int, record_hash: str, key_id: str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    return canonical_bytes(
        {"type": _CHECKPOINT_TYPE, "seq": seq, "hash": record_hash, "key_id": key_id}
    )


def load_or_create_signing_key(path: Path = DEFAULT_SIGNING_KEY_PATH) -> Ed25519PrivateKey:
    """Load the PEM private key at ``path``, creating it (mode 0600) on first start.

    Creation uses ``O_EXCL`` so two processes starting together end up with the same key.
    Replicas on different hosts must be given the same key file.
    """
    path = path.expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; load its key below
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"cannot read the audit signing key {path}",
            hint="it must be an unencrypted PEM Ed25519 private key (delete it to create one)",
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"the audit signing key {path} is not an Ed25519 key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (a private key PEM yields its public half)."""
    try:
        if b"PRIVATE KEY" in pem:
            private = serialization.load_pem_private_key(pem, password=None)
            key: object = private.public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError("not a PEM Ed25519 key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("not an Ed25519 key")
    return key


def verify_checkpoint_signature(
    public_keys: Mapping[str, Ed25519PublicKey],
    seq: int,
    record_hash: str,
    key_id: str,
    signature: str,
) -> str | None:
    """``None`` if the signature is good, else why it is not."""
    public_key = public_keys.get(key_id)
    if public_key is None:
        return f"checkpoint at record {seq} is signed by an unknown key {key_id}"
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, checkpoint_message(seq, record_hash, key_id))
    except (InvalidSignature, binascii.Error, ValueError):
        return f"bad checkpoint signature at record {seq}"
    return None


class CheckpointSigner:
    """Signs checkpoints with one Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def from_file(cls, path: Path = DEFAULT_SIGNING_KEY_PATH) -> CheckpointSigner:
        """The signer for the key at ``path`` (created on first use)."""
        return cls(load_or_create_signing_key(path))

    def sign(self, seq: int, record_hash: str) -> str:
        """The base64 signature of the checkpoint for record ``seq`` with hash ``record_hash``."""
        message = checkpoint_message(seq, record_hash, self.key_id)
        return base64.b64encode(self._private_key.sign(message)).decode("ascii")

    def export_public_key(self) -> str:
        """The public key as PEM (SubjectPublicKeyInfo), for auditors and ``verify``."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
