"""Signed webhooks, as the Standard Webhooks specification defines them.

A message carries ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``), with a secret written
``whsec_<base64>``. :func:`signed_headers` signs what Interlock sends (audit witnesses,
notifications); :func:`verify` is the helper for whoever receives it. Both wrap the
specification's reference library (``standardwebhooks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from interlock.errors import InvalidRequest

__all__ = ["WebhookRejected", "signed_headers", "verify"]


class WebhookRejected(InvalidRequest):
    """A webhook whose signature or timestamp does not verify."""

    code = "WEBHOOK.REJECTED"
    title = "Webhook not verified"


def signed_headers(secret: str, message_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    """The three headers that sign ``body`` (``secret`` is ``whsec_…``)."""
    signature = Webhook(secret).sign(message_id, sent_at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }


def verify(secret: str, body: bytes | str, headers: Mapping[str, str]) -> bytes:
    """The body, if its signature verifies and it was sent within five minutes.

    :raises WebhookRejected: a missing header, a wrong signature or a stale timestamp.
    """
    try:
        Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()}, json_parse=False)
    except WebhookVerificationError as error:
        raise WebhookRejected(
            f"webhook not verified: {error}",
            hint="check the shared secret and the clocks of sender and receiver",
        ) from None
    return body.encode() if isinstance(body, str) else body
