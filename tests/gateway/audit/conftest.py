"""Audit fixtures: a session-wide signing key, a signer, a trail, the 10,000-record chain."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from interlock_gateway.audit import AuditTrail, CheckpointSigner

from .helpers import Chain, build_chain


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    """One Ed25519 key for the session, so chains built once stay verifiable."""
    return Ed25519PrivateKey.generate()


@pytest.fixture
def signer(signing_key: Ed25519PrivateKey) -> CheckpointSigner:
    """The checkpoint signer."""
    return CheckpointSigner(signing_key)


@pytest.fixture
def public_keys(signer: CheckpointSigner) -> dict[str, Ed25519PublicKey]:
    """Trusted keys by id."""
    return {signer.key_id: signer.public_key}


@pytest.fixture
def trail(signer: CheckpointSigner) -> AuditTrail:
    """A trail that checkpoints every 10 records, so small tests see checkpoints."""
    return AuditTrail(signer, checkpoint_every=10)


@pytest.fixture(scope="session")
def chain_10k(signing_key: Ed25519PrivateKey) -> Chain:
    """The 10,000-record chain of the tampering tests (built once per session)."""
    return build_chain(CheckpointSigner(signing_key), 10_000)
