"""The HTTP toolkit for adapters: one client that owns auth, retries, limits and errors.

Adapters build a :class:`VendorClient` with their response interpreter and token fetcher and
never touch retries, throttling, timeouts or token caching themselves.
"""

from interlock.http._client import ReadBack, VendorClient, VendorReply
from interlock.http._ratelimit import RateLimiter, TokenBucketLimiter
from interlock.http._retry import RetryBudget, RetryPolicy
from interlock.http._signals import AmbiguousSignal, ThrottleSignal, VendorSignals, wait_seconds
from interlock.http._tokens import Token, TokenCache

__all__ = [
    "AmbiguousSignal",
    "RateLimiter",
    "ReadBack",
    "RetryBudget",
    "RetryPolicy",
    "ThrottleSignal",
    "Token",
    "TokenBucketLimiter",
    "TokenCache",
    "VendorClient",
    "VendorReply",
    "VendorSignals",
    "wait_seconds",
]
