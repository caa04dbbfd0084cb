"""A witness in another system: each checkpoint is POSTed there, signed per Standard Webhooks.

The receiver keeps what it is sent and answers ``GET`` on the same URL with the checkpoints
it holds (a JSON list), which is how verification reads them back. Only loopback receivers
may use plain HTTP.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from interlock.errors import VendorUnavailable
from interlock.webhooks import signed_headers
from interlock.witnesses import SignedCheckpoint

__all__ = ["WebhookOptions", "WebhookWitness"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class WebhookOptions(BaseModel):
    """``url`` of the receiver, its ``secret`` (``whsec_…``; use ``env:``/``file:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    secret: SecretStr
    timeout_s: float = Field(default=10.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _https_unless_loopback(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            return value
        raise ValueError("must be https:// (plain http only for a receiver on loopback)")


class WebhookWitness:
    """POSTs checkpoints to a receiver; reads them back with GET."""

    def __init__(self, name: str, options: WebhookOptions) -> None:
        self.name = name
        self.options = options

    async def keep(self, checkpoint: SignedCheckpoint) -> None:
        body = json.dumps(checkpoint.as_dict(), separators=(",", ":"))
        headers = signed_headers(
            self.options.secret.get_secret_value(),
            f"checkpoint-{checkpoint.seq}-{uuid.uuid4().hex[:8]}",
            datetime.now(UTC),
            body,
        )
        headers["content-type"] = "application/json"
        async with httpx.AsyncClient(timeout=self.options.timeout_s) as client:
            try:
                response = await client.post(self.options.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise self._unavailable(type(exc).__name__) from None
        if response.status_code >= 300:
            raise self._unavailable(f"HTTP {response.status_code}")

    async def checkpoints(self) -> list[SignedCheckpoint]:
        async with httpx.AsyncClient(timeout=self.options.timeout_s) as client:
            try:
                response = await client.get(self.options.url)
                response.raise_for_status()
                return [SignedCheckpoint.from_dict(raw) for raw in response.json()]
            except (httpx.HTTPError, ValueError, TypeError) as exc:
                raise self._unavailable(type(exc).__name__) from None

    def _unavailable(self, why: str) -> VendorUnavailable:
        return VendorUnavailable(
            f"audit witness {self.name!r} did not answer ({why})",
            hint="the checkpoint is offered again at the next round; check the receiver",
        )
