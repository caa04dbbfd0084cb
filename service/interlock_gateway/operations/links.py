"""Resume links: signed, single-purpose, single-use, revocable.

A link's token is ``<id>.<mac>``: ``id`` is 128 random bits, ``mac`` an HMAC-SHA256 of
``resume-link:v1:<id>`` under a key derived from the audit signing key (an Ed25519 signature
is deterministic, so every replica that shares the signing key accepts the same links, as
for confirm tokens). A forged or altered token fails the MAC before the database is read.
The row (``resume_links``) is what makes a link revocable and single-use; it holds the id
only, so the table alone cannot produce a working link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from ..audit import CheckpointSigner
from ..store.tables import Operation

__all__ = ["LinkKeys", "link_row", "new_link_id"]

_PURPOSE = b"resume-link:v1:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class LinkKeys:
    """Makes and checks resume-link tokens."""

    def __init__(self, signer: CheckpointSigner) -> None:
        seed = signer.sign(0, "interlock-resume-link-key-v1")
        self._key = hashlib.sha256(seed.encode()).digest()

    def _mac(self, link_id: str) -> str:
        return _b64(hmac.new(self._key, _PURPOSE + link_id.encode(), hashlib.sha256).digest())

    def token(self, link_id: str) -> str:
        """The token of link ``link_id`` (what the URL carries)."""
        return f"{link_id}.{self._mac(link_id)}"

    def link_id(self, token: str) -> str | None:
        """The id a token names, or ``None`` when it is forged, altered or malformed."""
        if len(token) > 128:
            return None
        link_id, dot, mac = token.partition(".")
        if not dot or not link_id or not mac:
            return None
        if not hmac.compare_digest(mac.encode(), self._mac(link_id).encode()):
            return None
        return link_id

    def url(self, base: str, link_id: str) -> str:
        """The candidate page of the link."""
        return f"{base.rstrip('/')}/c/{self.token(link_id)}"


def new_link_id() -> str:
    """128 random bits, URL-safe."""
    return _b64(secrets.token_bytes(16))


def link_row(
    pause: Operation, *, now: datetime, language: str, owner: str | None = None
) -> dict[str, Any]:
    """The ``resume_links`` row for an applied pause (valid until its resume deadline)."""
    details = pause.details or {}
    return {
        "id": new_link_id(),
        "operation_id": pause.id,
        "account": pause.account,
        "session_id": pause.session_id,
        "candidate_masked": details.get("candidate_masked"),
        "candidate_id": details.get("candidate_id"),
        "owner": owner or pause.actor,
        "language": language,
        "state": "active",
        "created_at": now,
        "expires_at": pause.resume_deadline or now,
        "used_at": None,
        "revoked_at": None,
    }
