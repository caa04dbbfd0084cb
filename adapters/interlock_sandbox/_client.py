"""The sandbox vendor over HTTP: client construction and the token fetch.

Everything generic (retries, token cache, rate limits, timeouts, read-back) is the toolkit's;
this module only says how *this* vendor authenticates (its answers are read by ``_interpret``).
"""

from __future__ import annotations

from typing import Any

import httpx

from interlock.adapter import AccountContext
from interlock.http import RateLimiter, Token, TokenCache, VendorClient
from interlock_sandbox._interpret import REQUEST_ID_HEADER, expecting, interpret
from interlock_sandbox._models import VendorToken
from interlock_sandbox.options import SandboxOptions

__all__ = ["build_client"]


def build_client(
    context: AccountContext,
    options: SandboxOptions,
    transport: Any,
    limiter: RateLimiter | None,
) -> VendorClient:
    """A toolkit client for one sandbox account (bearer token in the Authorization header)."""
    secret = options.client_secret.get_secret_value()
    client: VendorClient

    async def fetch_token() -> Token:
        reply = await client.request(
            "POST",
            "/oauth/token",
            api="oauth.token",
            json={"client_id": options.client_id, "client_secret": secret},
            authenticated=False,
            mutating=False,
            interpret=expecting(VendorToken),
        )
        token: VendorToken = reply.data
        return Token.expiring_in(token.access_token, token.expires_in, clock=context.monotonic)

    def apply_token(request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    client = VendorClient(
        account=context.account,
        base_url=options.base_url,
        interpret=interpret,
        transport=transport,
        tokens=TokenCache(fetch_token, clock=context.monotonic),
        apply_token=apply_token,
        retry=context.retry_policy,
        limiter=limiter,
        timeout_s=options.timeout_s,
        request_id_header=REQUEST_ID_HEADER,
        secrets=(secret,),
    )
    return client
