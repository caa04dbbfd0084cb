"""Confirm tokens: a preview's promise that exactly this request was looked at, recently.

And the :class:`PreviewCache`: a batch confirmed with a preview's token reuses the sessions
that preview read (within its token's life) instead of reading every session again.

``token = base64url(payload) "." base64url(HMAC-SHA256(payload))`` where the payload holds
the request's SHA-256 (canonical JSON of action, sessions or filter, and reason), the
principal's id and the expiry. The HMAC key is derived from the audit signing key (an
Ed25519 signature is deterministic), so every replica that shares the signing key accepts
every replica's tokens and no extra secret has to be distributed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from ..audit import CheckpointSigner, canonical_json
from ..problems import Problem

__all__ = ["ConfirmTokens", "PreviewCache", "request_digest"]

_PREVIEWS_KEPT = 8


def request_digest(body: dict[str, Any]) -> str:
    """SHA-256 of the parts of a preview/batch request that a token binds."""
    bound = {k: body.get(k) for k in ("action", "sessions", "filter", "reason")}
    return hashlib.sha256(canonical_json(bound).encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid(detail: str) -> Problem:
    return Problem(
        422,
        "BATCH.CONFIRM_TOKEN_INVALID",
        "Confirm token invalid",
        detail,
        hint="POST /v1/previews with exactly this request and pass its confirm_token",
    )


class ConfirmTokens:
    """Issues and checks confirm tokens."""

    def __init__(self, signer: CheckpointSigner) -> None:
        seed = signer.sign(0, "interlock-confirm-token-key-v1")
        self._key = hashlib.sha256(seed.encode()).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def issue(self, digest: str, principal_id: int, expires_at: datetime) -> str:
        """A token for the request ``digest`` by ``principal_id``, valid until ``expires_at``."""
        payload = json.dumps(
            {"r": digest, "p": principal_id, "e": int(expires_at.timestamp())},
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def check(self, token: str, digest: str, principal_id: int, now: datetime) -> None:
        """:raises Problem: forged, for another request or principal, or expired."""
        try:
            payload_text, mac_text = token.split(".", 1)
            payload = _unb64(payload_text)
            claims = json.loads(payload)
            mac = _unb64(mac_text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _invalid("the confirm_token is malformed") from None
        if not hmac.compare_digest(mac, self._mac(payload)) or not isinstance(claims, dict):
            raise _invalid("the confirm_token was not issued by this gateway")
        if claims.get("r") != digest or claims.get("p") != principal_id:
            raise _invalid("the confirm_token was issued for a different request or caller")
        expires = datetime.fromtimestamp(int(claims.get("e", 0)), UTC)
        if expires <= now:
            raise Problem(
                422,
                "BATCH.CONFIRM_TOKEN_EXPIRED",
                "Confirm token expired",
                f"the confirm_token expired at {expires.isoformat()}",
                hint="preview the request again (tokens are valid for 5 minutes)",
            )


class PreviewCache:
    """The resolutions of the last few previews, by (principal, request digest), each until
    its confirm token expires. Per process: a batch confirmed on another replica resolves
    its sessions afresh."""

    def __init__(self, kept: int = _PREVIEWS_KEPT) -> None:
        self._kept = kept
        self._entries: OrderedDict[tuple[int, str], tuple[datetime, Any]] = OrderedDict()

    def remember(self, principal_id: int, digest: str, expires: datetime, resolved: Any) -> None:
        """Keep a preview's resolution until ``expires`` (the newest few only)."""
        self._entries[(principal_id, digest)] = (expires, resolved)
        self._entries.move_to_end((principal_id, digest))
        while len(self._entries) > self._kept:
            self._entries.popitem(last=False)

    def recall(self, principal_id: int, digest: str, now: datetime) -> Any | None:
        """The resolution a still-valid preview of this request made, if this process has it."""
        found = self._entries.get((principal_id, digest))
        return found[1] if found is not None and found[0] > now else None
