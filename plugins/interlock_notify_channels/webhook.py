"""Signed webhooks after the Standard Webhooks specification, for internal tools.

Body: ``{"type": event, "timestamp": ISO 8601, "data": {...}}`` (the specification's
recommended shape), signed with :func:`interlock.webhooks.signed_headers`; ``webhook-id`` is
the notification id, the same on every attempt (the receiver's de-duplication key). A receiver
checks it with :func:`interlock.webhooks.verify`. Any answer but 2xx is a failed attempt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from interlock import hookimpl
from interlock.config import resolve_secret
from interlock.plugins import ChannelContext, ChannelMessage, ChannelSpec
from interlock.webhooks import signed_headers

__all__ = ["WebhookChannel", "WebhookOptions"]


class WebhookOptions(BaseModel):
    """``[notifications.channels.NAME]`` with ``type = "webhook"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://", description="where to POST")
    secret: SecretStr = Field(description="whsec_<base64>, or env:VAR / file:/path")
    timeout: Annotated[float, Field(gt=0)] = 10.0

    @field_validator("secret", mode="before")
    @classmethod
    def _secret_reference(cls, value: Any) -> Any:
        return resolve_secret(value, where="webhook channel secret", env=os.environ)


class WebhookDelivery(Exception):
    """The receiver answered with something other than 2xx."""


class WebhookChannel:
    """POSTs each notification, signed."""

    def __init__(self, context: ChannelContext, *, clock: Callable[[], datetime] | None = None):
        assert isinstance(context.options, WebhookOptions)
        self.options = context.options
        self._clock = clock or (lambda: datetime.now(UTC))
        self._client = httpx.AsyncClient(timeout=self.options.timeout, follow_redirects=False)

    def body(self, message: ChannelMessage, now: datetime) -> bytes:
        data = {
            **message.data,
            "recipient": message.recipient,
            "audience": message.audience,
            "language": message.language,
            "subject": message.subject,
            "text": message.body,
        }
        envelope = {"type": message.event, "timestamp": now.isoformat(), "data": data}
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, message: ChannelMessage) -> str | None:
        now = self._clock()
        body = self.body(message, now)
        secret = self.options.secret.get_secret_value()
        headers = signed_headers(secret, message.id, now, body)
        headers["content-type"] = "application/json"
        response = await self._client.post(self.options.url, content=body, headers=headers)
        if not response.is_success:
            raise WebhookDelivery(f"the receiver answered HTTP {response.status_code}")
        return message.id

    async def aclose(self) -> None:
        await self._client.aclose()


@hookimpl
def interlock_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    register(
        ChannelSpec(
            name="webhook",
            factory=WebhookChannel,
            options_model=WebhookOptions,
            summary="signed webhooks (Standard Webhooks)",
        )
    )
