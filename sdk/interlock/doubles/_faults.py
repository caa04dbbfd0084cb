"""What a double can be told to do wrong, and which requests a fault hits.

A fault hits the requests that match its plan: every request, only mutations, only token
requests, or only those whose ``METHOD /path`` (or API name) matches a pattern; ``after`` lets
that many matching requests through first, so a plan can hit the Nth request of an operation
(the job poll after the submit, the lookup after the read). A plan hits ``times`` requests, or
every matching request for ``window_s`` seconds of the double's clock after its first hit (a
throttle that lasts the vendor's documented window).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

__all__ = ["Fault", "FaultPlan", "Race"]


class Fault(StrEnum):
    """Failures a double can be told to produce (vendor-shaped where the vendor has a shape)."""

    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    TIMEOUT_BEFORE_SEND = "timeout_before_send"
    """A connect timeout: the request never left the client (not ambiguous)."""
    TIMEOUT_AFTER_SEND = "timeout_after_send"
    """A read timeout after the vendor acted on the request (ambiguous)."""
    TIMEOUT_BEFORE_ACTING = "timeout_before_acting"
    """A read timeout after sending, but the vendor never acted (ambiguous, nothing changed)."""
    CONNECTION_RESET = "connection_reset"
    """The connection drops after the vendor acted (ambiguous)."""
    RESET_BEFORE_ACTING = "reset_before_acting"
    """The connection drops after sending, before the vendor acted (ambiguous)."""
    MALFORMED_BODY = "malformed_body"
    ERROR_IN_200 = "error_in_200"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a fault name, not a password
    VENDOR_ANSWER = "vendor_answer"
    """A canned answer of the vendor's own (a declared throttle or ambiguity signal)."""
    RACE = "race"
    """Something changes at the vendor just before the request is served (the request itself
    is then served normally): another actor moved the session between a read and a write."""


Race = Callable[[], None]
"""A change at the vendor, applied just before a matching request is served."""


@dataclass
class FaultPlan:
    """``fault`` for the next ``times`` matching requests, after letting the first ``after``
    matching requests through untouched.

    :param only_mutations: match only requests that change vendor state.
    :param on_token_requests: match only requests to the vendor's token endpoints.
    :param spare_token_requests: never match them (an error answer for the API calls only, so
        that a token refresh the answer provokes still gets its token).
    :param route: match only requests whose ``METHOD /path`` contains this pattern (a regular
        expression) or whose API name equals it.
    :param retry_after: the wait to announce (``Retry-After``) where the vendor announces one.
    :param window_s: instead of ``times``, hit every matching request for this long after the
        first hit (on the double's clock): a throttle that lasts the vendor's window.
    :param answer: for ``VENDOR_ANSWER``: builds the vendor's canned answer.
    :param acted: for ``VENDOR_ANSWER``: the vendor acts on the request before answering so.
    :param throttle: for ``VENDOR_ANSWER``: the answer is a throttle (counted as one).
    :param race: for ``RACE``: the change at the vendor.
    """

    fault: Fault
    times: int = 1
    only_mutations: bool = False
    retry_after: float | None = None
    after: int = 0
    on_token_requests: bool = False
    spare_token_requests: bool = False
    route: str | None = None
    window_s: float | None = None
    answer: Callable[[], httpx.Response] | None = field(default=None, repr=False)
    acted: bool = False
    throttle: bool = False
    race: Race | None = field(default=None, repr=False)
    hits: int = 0
    first_hit_at: float | None = None

    def matches(self, request: httpx.Request, *, api: str, mutation: bool, token: bool) -> bool:
        """Whether ``request`` is one this plan is about (whatever its remaining count)."""
        if self.only_mutations and not mutation:
            return False
        if self.on_token_requests and not token:
            return False
        if self.spare_token_requests and token:
            return False
        if self.route is None:
            return True
        line = f"{request.method} {request.url.path}"
        return api == self.route or re.search(self.route, line) is not None

    def live(self, now: float) -> bool:
        """Whether the plan can still hit a request at ``now``."""
        if self.window_s is not None and self.first_hit_at is not None:
            return now < self.first_hit_at + self.window_s
        return self.times > 0

    def take(self, now: float) -> bool:
        """Consume one matching request: True when it is hit, False when it passes (``after``)."""
        if self.after > 0:
            self.after -= 1
            return False
        if self.first_hit_at is None:
            self.first_hit_at = now
        self.hits += 1
        if self.window_s is None:
            self.times -= 1
        return True
