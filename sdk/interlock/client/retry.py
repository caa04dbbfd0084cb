"""When and how long to wait before sending a logical call again."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .errors import retry_after_seconds

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy"]

RETRYABLE_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: ``attempts`` in all (the first included), each wait at most
    ``max_wait`` seconds; without ``Retry-After`` the wait is ``backoff * 2**n``."""

    attempts: int = 3
    max_wait: float = 30.0
    backoff: float = 0.5

    def wait_for(self, response: httpx.Response | None, attempt: int) -> float:
        """Seconds before attempt ``attempt + 1`` (``Retry-After`` first, capped)."""
        hinted = retry_after_seconds(response) if response is not None else None
        wait = hinted if hinted is not None else self.backoff * 2**attempt
        return min(wait, self.max_wait)

    def retries_status(self, response: httpx.Response) -> bool:
        return response.status_code in RETRYABLE_STATUSES

    def retries_connection_error(self, method: str, *, keyed: bool) -> bool:
        """A lost connection is retried when repeating is harmless: an idempotent method,
        or a POST carrying an Idempotency-Key (the gateway replays its first answer)."""
        return method in IDEMPOTENT_METHODS or keyed
