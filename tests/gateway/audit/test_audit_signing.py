"""The signing key's life cycle and checkpoint signatures."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from interlock.errors import ConfigurationError
from interlock_gateway.audit import CheckpointSigner, load_or_create_signing_key, load_public_key
from interlock_gateway.audit.signing import key_id_of, verify_checkpoint_signature


def test_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "audit-signing-key.pem"
    first = CheckpointSigner.from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = CheckpointSigner.from_file(path)
    assert first.key_id == second.key_id


def test_exported_public_key_verifies_signatures(tmp_path: Path) -> None:
    signer = CheckpointSigner(load_or_create_signing_key(tmp_path / "k.pem"))
    public = load_public_key(signer.export_public_key().encode())
    keys = {key_id_of(public): public}
    signature = signer.sign(1000, "ab" * 32)
    assert verify_checkpoint_signature(keys, 1000, "ab" * 32, signer.key_id, signature) is None
    assert verify_checkpoint_signature(keys, 1001, "ab" * 32, signer.key_id, signature)
    assert verify_checkpoint_signature(keys, 1000, "cd" * 32, signer.key_id, signature)
    assert verify_checkpoint_signature(keys, 1000, "ab" * 32, signer.key_id, "not base64!")
    private_pem = (tmp_path / "k.pem").read_bytes()
    assert key_id_of(load_public_key(private_pem)) == signer.key_id


def test_unreadable_key_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_text("not a key")
    with pytest.raises(ConfigurationError, match="cannot read the audit signing key"):
        load_or_create_signing_key(path)
    with pytest.raises(ConfigurationError):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
