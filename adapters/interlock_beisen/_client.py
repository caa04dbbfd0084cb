"""Beisen over HTTP: one toolkit client per account, with Beisen's auth and limits.

Everything generic (retries, token cache, rate limits, timeouts, read-back) is the toolkit's;
this module only says how Beisen authenticates a call (``Authorization: Bearer <token>``),
where its request id is (``X-PAAS-Request-ID``) and what its documented limits are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from interlock.adapter import AccountContext
from interlock.http import RateLimiter, Token, TokenBucketLimiter, TokenCache, VendorClient
from interlock_beisen._auth import TokenSource
from interlock_beisen._interpret import REQUEST_ID_HEADER, interpret
from interlock_beisen.options import BeisenOptions

__all__ = ["build_client", "default_limiter"]

# Beisen's documented per-tenant, per-API limits (requests per second); unlisted reads share
# the list APIs' 20/s, writes Apply/TransferPhase's 50/s (vendors.md §2.4).
_DOCUMENTED_QPS: dict[str, float] = {
    "token": 400.0,
    "OAuth/Token": 400.0,
    "AsyncApiExecInfo/GetByRequestId": 50.0,
    "Interview/CancelInterview": 50.0,
    **{
        f"Interview/{batch}{name}AIInterview": 50.0
        for name in ("Suspend", "Resume", "Terminate")
        for batch in ("", "Batch")
    },
}
_READ_QPS = 20.0


def default_limiter(
    options: BeisenOptions,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RateLimiter:
    """Stay under Beisen's per-API limits at ``rate_share`` of them.

    The bucket holds a quarter of a second's calls: Beisen counts in fixed windows, and a
    full second of burst on top of the steady rate could put two seconds' calls into one.
    """
    token_limits = {api: _DOCUMENTED_QPS[api] for api in ("token", "OAuth/Token")}
    limits = token_limits if options.vendor_qps else _DOCUMENTED_QPS
    return TokenBucketLimiter(
        limits,
        default=options.vendor_qps or _READ_QPS,
        share=options.rate_share,
        burst_s=0.25,
        clock=clock,
        sleep=sleep,
    )


def build_client(context: AccountContext, options: BeisenOptions) -> VendorClient:
    """A toolkit client for one Beisen account (``Authorization: Bearer <token>``)."""
    source = TokenSource(options, monotonic=context.monotonic)
    client: VendorClient

    async def fetch_token() -> Token:
        return await source.fetch(client)

    def apply_token(request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    client = VendorClient(
        account=context.account,
        base_url=options.base_url,
        interpret=interpret,
        transport=context.transport,
        tokens=TokenCache(fetch_token, clock=context.monotonic),
        apply_token=apply_token,
        retry=context.retry_policy,
        limiter=context.rate_limiter
        or default_limiter(options, clock=context.monotonic, sleep=context.sleep),
        timeout_s=options.timeout_s,
        request_id_header=REQUEST_ID_HEADER,
        secrets=source.secrets,
    )
    return client
