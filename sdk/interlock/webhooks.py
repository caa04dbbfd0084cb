"""Signed webhooks after the Standard Webhooks specification (https://www.standardwebhooks.com).

A sender signs ``{webhook-id}.{webhook-timestamp}.{body}`` with HMAC-SHA256 and sends three
headers: ``webhook-id`` (the message id, the receiver's de-duplication key),
``webhook-timestamp`` (integer Unix seconds) and ``webhook-signature`` (``v1,<base64>``,
several separated by spaces while a secret rotates). Secrets are ``whsec_`` + base64.

The signing itself is the ``standardwebhooks`` library's; this module adds the gateway's
conventions: a timestamp checked against an injectable clock (the receiver's) with a
tolerance, and one exception, :class:`WebhookRejected`, whose message says what was wrong but
never echoes a signature or the secret.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from standardwebhooks.webhooks import Webhook

from interlock.errors import InterlockError

__all__ = ["DEFAULT_TOLERANCE", "WebhookRejected", "sign", "signed_headers", "verify"]

DEFAULT_TOLERANCE = timedelta(minutes=5)
"""How far a message's timestamp may be from the receiver's clock (the specification's)."""


class WebhookRejected(InterlockError):
    """A webhook whose headers are missing, whose timestamp is out of tolerance, or whose
    signature does not match (``INTERLOCK.WEBHOOK_REJECTED``; never retryable)."""

    code: ClassVar[str] = "INTERLOCK.WEBHOOK_REJECTED"
    title: ClassVar[str] = "Webhook rejected"


def sign(secret: str | bytes, msg_id: str, timestamp: int | datetime, body: bytes | str) -> str:
    """The ``v1,<base64 HMAC-SHA256>`` signature of one message."""
    at = timestamp if isinstance(timestamp, datetime) else datetime.fromtimestamp(timestamp, UTC)
    return Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body)


def signed_headers(
    secret: str | bytes, msg_id: str, timestamp: int | datetime, body: bytes | str
) -> dict[str, str]:
    """The three headers a Standard Webhooks sender puts on ``body``."""
    seconds = int(timestamp.timestamp()) if isinstance(timestamp, datetime) else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": sign(secret, msg_id, seconds, body),
    }


def verify(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Check a received webhook; returns nothing when it is authentic and fresh.

    :param body: the raw body exactly as received.
    :param now: the receiver's time (default: the system clock).
    :raises WebhookRejected: missing headers, a timestamp outside ``tolerance`` of ``now``,
        or no matching ``v1`` signature.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise WebhookRejected(
            "webhook-id, webhook-timestamp and webhook-signature are all required",
            hint="send the three Standard Webhooks headers",
        )
    try:
        seconds = int(stamp)
    except ValueError:
        raise WebhookRejected("webhook-timestamp is not an integer of Unix seconds") from None
    moment = now or datetime.now(UTC)
    if abs(moment.timestamp() - seconds) > tolerance.total_seconds():
        raise WebhookRejected(
            "webhook-timestamp is outside the tolerance of the receiver's clock",
            hint=f"tolerance is {int(tolerance.total_seconds())} s; check both clocks",
        )
    expected = sign(secret, msg_id, seconds, body).encode()
    if not any(hmac.compare_digest(expected, part.encode()) for part in signatures.split(" ")):
        raise WebhookRejected("no webhook-signature matches the body and the secret")
