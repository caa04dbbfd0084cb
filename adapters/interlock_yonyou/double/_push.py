"""Yonyou's event push (事件订阅), as the double sends it.

The open platform POSTs ``{"msgSignature","timestamp","nonce","encrypt"}`` to the subscription
URL, sends ``CHECK_URL`` when the URL is configured, expects the reply ``success`` within 5 s and
otherwise delivers again: after 1 minute, after 5 more minutes, then hourly, and never more than
24 hours after the first attempt (official demo README / ``app.py``). The schedule is data
(:data:`REDELIVERY_DELAYS_S`) and :meth:`PushOutbox.due` says what is due at an injected time,
so tests never wait for a real clock.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from interlock_yonyou.double._crypto import encrypt_message, push_signature

__all__ = [
    "ACK_TIMEOUT_S",
    "CHECK_URL",
    "GIVE_UP_AFTER",
    "REDELIVERY_DELAYS_S",
    "STATUS_CHANGE",
    "Delivery",
    "PushOutbox",
    "PushSender",
    "http_sender",
]

CHECK_URL = "CHECK_URL"
STATUS_CHANGE = "HRC_AIV_SESSION_STATUS_CHANGE"
"""The tenant's event type for 'an interview session changed status'."""

ACK_TIMEOUT_S = 5.0
REDELIVERY_DELAYS_S: tuple[float, ...] = (60.0, 300.0, 3600.0)
"""Wait before the 1st, 2nd and every later redelivery (the last value repeats)."""
GIVE_UP_AFTER = timedelta(hours=24)

PushSender = Callable[[str, dict[str, Any]], Awaitable[tuple[int, str, float]]]
"""Sends one push: ``(url, json body) -> (HTTP status, reply text, seconds taken)``."""


def redelivery_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failed attempt (1-based)."""
    index = min(failed_attempts, len(REDELIVERY_DELAYS_S)) - 1
    return timedelta(seconds=REDELIVERY_DELAYS_S[index])


@dataclass
class Delivery:
    """One event on its way to the subscriber, with every attempt it took."""

    event: dict[str, Any]
    first_due: datetime
    next_due: datetime | None
    attempts: list[tuple[datetime, bool]] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(ok for _, ok in self.attempts)

    @property
    def abandoned(self) -> bool:
        return not self.delivered and self.next_due is None

    def record(self, at: datetime, acknowledged: bool) -> None:
        """Book an attempt and compute the next one (None: delivered or given up)."""
        self.attempts.append((at, acknowledged))
        if acknowledged:
            self.next_due = None
            return
        following = at + redelivery_delay(len(self.attempts))
        self.next_due = following if following - self.first_due <= GIVE_UP_AFTER else None


async def http_sender(url: str, body: dict[str, Any]) -> tuple[int, str, float]:
    """The real thing: POST the JSON with the platform's 5-second timeout."""
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=ACK_TIMEOUT_S) as client:
            response = await client.post(url, json=body)
    except httpx.HTTPError:
        return 0, "", time.monotonic() - started
    return response.status_code, response.text, time.monotonic() - started


class PushOutbox:
    """The subscription of one self-built app and the events waiting to be delivered."""

    def __init__(self, *, app_key: str, app_secret: str, tenant_id: str) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._tenant_id = tenant_id
        self.url: str | None = None
        self.deliveries: list[Delivery] = []

    def envelope(self, event: dict[str, Any], at: datetime, *, padding: int = 0) -> dict[str, Any]:
        """Encrypt and sign ``event`` as one push (fresh nonce and timestamp per attempt);
        ``padding`` spaces after the event's JSON make a plaintext of another length."""
        timestamp = int(at.timestamp() * 1000)
        nonce = secrets.token_urlsafe(12)[:16]
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":")) + " " * padding
        message = text.encode()
        encrypt = encrypt_message(message, app_key=self._app_key, app_secret=self._app_secret)
        signature = push_signature(self._app_secret, str(timestamp), nonce, encrypt)
        return {
            "msgSignature": signature,
            "timestamp": timestamp,
            "nonce": nonce,
            "encrypt": encrypt,
        }

    def event(self, event_type: str, at: datetime, **ids: Any) -> dict[str, Any]:
        """An event body in the official shape (absent optional fields are omitted)."""
        body = {
            "type": event_type,
            "eventId": str(uuid.uuid4()),
            "timestamp": int(at.timestamp() * 1000),
            "tenantId": self._tenant_id,
        }
        return body | {k: v for k, v in ids.items() if v is not None}

    async def subscribe(self, url: str, *, at: datetime, send: PushSender = http_sender) -> bool:
        """Configure the callback URL: it is kept only if it acknowledges ``CHECK_URL``."""
        body = self.envelope(self.event(CHECK_URL, at), at)
        acknowledged = _acknowledged(*(await send(url, body)))
        self.url = url if acknowledged else None
        return acknowledged

    def enqueue(self, event: dict[str, Any], *, at: datetime) -> Delivery | None:
        """Queue ``event`` for delivery now (nothing happens without a subscription)."""
        if self.url is None:
            return None
        delivery = Delivery(event=event, first_due=at, next_due=at)
        self.deliveries.append(delivery)
        return delivery

    def due(self, at: datetime) -> list[Delivery]:
        """The deliveries whose next attempt is due at ``at``."""
        return [d for d in self.deliveries if d.next_due is not None and d.next_due <= at]

    async def deliver_due(self, *, at: datetime, send: PushSender = http_sender) -> int:
        """Attempt every due delivery once; returns how many were acknowledged."""
        if self.url is None:
            return 0
        acknowledged = 0
        for delivery in self.due(at):
            ok = _acknowledged(*(await send(self.url, self.envelope(delivery.event, at))))
            delivery.record(at, ok)
            acknowledged += ok
        return acknowledged


def _acknowledged(status: int, text: str, seconds: float) -> bool:
    """The platform's rule: HTTP 200, body ``success``, within 5 seconds."""
    return status == 200 and text.strip() == "success" and seconds <= ACK_TIMEOUT_S
