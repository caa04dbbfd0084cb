"""One logical call: its Idempotency-Key, its retries, its problem+json mapped to errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import GatewayUnavailable, error_from_response
from .retry import RetryPolicy

__all__ = ["Call", "unavailable"]

API = "/v1"


@dataclass
class Call:
    """What to send; ``keyed`` calls carry one Idempotency-Key across all their retries."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    keyed: bool = False
    key: str = field(default_factory=lambda: str(uuid.uuid4()))

    def headers(self) -> dict[str, str]:
        return {"Idempotency-Key": self.key} if self.keyed else {}


def unavailable(call: Call, exc: httpx.TransportError) -> GatewayUnavailable:
    """A one-line message for a gateway that cannot be reached."""
    kind = type(exc).__name__
    try:
        where = str(exc.request.url.copy_with(query=None))
    except RuntimeError:  # an error raised before the request was built
        where = call.path
    return GatewayUnavailable(f"{call.method} {where}: gateway unreachable ({kind})")


def checked(response: httpx.Response) -> httpx.Response:
    """``response`` if it succeeded, else the typed error it carries."""
    if response.is_success:
        return response
    raise error_from_response(response)


def default_headers(api_key: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


__all__ += ["API", "RetryPolicy", "checked", "default_headers"]
