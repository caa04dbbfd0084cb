"""What a vendor says when it throttles or cannot tell whether it acted: declared by adapters.

An adapter declares its vendor's own signals (``InterviewAdapter.vendor_signals``): the answer
the vendor sends, and for a throttle the header that carries the wait or the wait its
documentation asks for. The contract kit injects exactly these answers through the double and
checks that the adapter waits what the vendor asked, or reads the session back instead of
resending when the vendor could not say whether it acted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["AmbiguousSignal", "ThrottleSignal", "VendorSignals", "wait_seconds"]


@dataclass(frozen=True, kw_only=True)
class _Answer:
    status: int
    body: Any = None
    """A JSON value, or ``str``/``bytes`` for a body that is not JSON."""
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self, **headers: str) -> httpx.Response:
        """The answer as the vendor sends it (``headers`` are added to the declared ones)."""
        merged = {**self.headers, **headers}
        if isinstance(self.body, bytes | str):
            return httpx.Response(self.status, content=self.body, headers=merged)
        content = json.dumps(self.body, ensure_ascii=False).encode()
        merged.setdefault("content-type", "application/json")
        return httpx.Response(self.status, content=content, headers=merged)


@dataclass(frozen=True, kw_only=True)
class ThrottleSignal(_Answer):
    """The vendor's "too many requests".

    :param wait_header: the response header that says how many seconds to wait
        (``Retry-After``, Feishu's ``x-ogw-ratelimit-reset``); None when the vendor sends none.
    :param documented_wait_s: how long the vendor's documentation says to wait when the answer
        says nothing (DingTalk: "sleep 1 second"); the throttle's window.
    """

    wait_header: str | None = None
    documented_wait_s: float = 1.0


@dataclass(frozen=True, kw_only=True)
class AmbiguousSignal(_Answer):
    """An answer that means "the outcome is unknown" (an API gateway's own timeout, inside a
    200 or a 5xx): the adapter must treat it like a read timeout after sending."""


@dataclass(frozen=True)
class VendorSignals:
    """Every throttle and ambiguity signal of a vendor (empty: the vendor documents none)."""

    throttles: tuple[ThrottleSignal, ...] = ()
    ambiguous: tuple[AmbiguousSignal, ...] = ()


def wait_seconds(response: httpx.Response, header: str) -> float | None:
    """The wait ``header`` announces, in seconds (None when absent, unreadable or negative)."""
    value = response.headers.get(header)
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
