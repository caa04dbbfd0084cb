"""Yonyou over HTTP: host discovery, the signed token, the query-string token, the tenant API.

Everything generic (retries, token cache, rate limits, timeouts, read-back) is the toolkit's;
this module says how YonBIP finds a tenant's hosts and authenticates (answers: ``_interpret``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from interlock.adapter import AccountContext
from interlock.http import RateLimiter, ReadBack, Token, TokenCache, VendorClient, VendorReply
from interlock_yonyou._crypto import token_signature
from interlock_yonyou._interpret import interpret_auth, interpret_business, parsed
from interlock_yonyou._models import AccessToken, GatewayAddress
from interlock_yonyou.options import YonyouOptions

__all__ = ["TenantApi", "YonyouConnection"]

TOKEN_PATH = "/open-auth/selfAppAuth/base/v1/getAccessToken"  # noqa: S105 - a URL path
DATA_CENTRE_PATH = "/open-auth/dataCenter/getGatewayAddress"


class YonyouConnection:
    """One account's three hosts: the data centre, then the token host and the gateway.

    The data centre is asked for the tenant's hosts once (single flight) and the answer is
    kept for the adapter's life; the gateway client carries the token cache, whose fetch signs
    a request to the token host.
    """

    def __init__(
        self,
        context: AccountContext,
        options: YonyouOptions,
        *,
        wall_clock_ms: Callable[[], int],
        limiter: RateLimiter | None,
    ) -> None:
        self._context = context
        self._limiter = limiter
        self._options = options
        self._secret = options.app_secret.get_secret_value()
        self._wall_clock_ms = wall_clock_ms
        # One transport (one connection pool, one TLS context) for the three hosts.
        self._owns_transport = context.transport is None
        self._transport = context.transport or httpx.AsyncHTTPTransport()
        self.data_centre = self._client(options.data_center_url, interpret_auth)
        self._auth: VendorClient | None = None
        self._gateway: VendorClient | None = None
        self._lock = asyncio.Lock()
        if options.gateway_url and options.token_url:
            self._open(
                GatewayAddress.model_validate(
                    {"gatewayUrl": options.gateway_url, "tokenUrl": options.token_url}
                )
            )

    def __repr__(self) -> str:
        return f"<YonyouConnection account={self._context.account!r}>"

    @property
    def tokens(self) -> TokenCache | None:
        """The gateway's token cache (None until the gateway is known)."""
        return self._gateway.tokens if self._gateway is not None else None

    async def gateway(self) -> VendorClient:
        """The gateway client, discovering the tenant's hosts on first use."""
        if self._gateway is not None:
            return self._gateway
        async with self._lock:  # single flight: many first calls, one lookup
            if self._gateway is None:
                reply = await self.data_centre.request(
                    "GET",
                    DATA_CENTRE_PATH,
                    api="open-auth.dataCenter",
                    params={"tenantId": self._options.tenant_id},
                    authenticated=False,
                    interpret=parsed(GatewayAddress),
                )
                self._open(reply.data)
        assert self._gateway is not None
        return self._gateway

    async def aclose(self) -> None:
        for client in (self.data_centre, self._auth, self._gateway):
            if client is not None:
                await client.aclose()
        if self._owns_transport:
            await self._transport.aclose()

    def _open(self, address: GatewayAddress) -> None:
        self._auth = self._client(address.token_url, interpret_auth)
        self._gateway = self._client(
            address.gateway_url,
            interpret_business,
            tokens=TokenCache(self._fetch_token, clock=self._context.monotonic),
            apply_token=_token_in_query,
        )

    def _client(
        self,
        base_url: str,
        interpret: Callable[[httpx.Response], Any],
        *,
        tokens: TokenCache | None = None,
        apply_token: Callable[[httpx.Request, str], None] | None = None,
    ) -> VendorClient:
        return VendorClient(
            account=self._context.account,
            base_url=base_url.rstrip("/"),
            interpret=interpret,
            transport=self._transport,
            tokens=tokens,
            apply_token=apply_token,
            retry=self._context.retry_policy,
            limiter=self._limiter,
            timeout_s=self._options.timeout_s,
            secrets=(self._secret,),
        )

    async def _fetch_token(self) -> Token:
        assert self._auth is not None  # opened together with the gateway
        timestamp = str(self._wall_clock_ms())
        signature = token_signature(self._options.app_key, timestamp, self._secret)
        reply = await self._auth.request(
            "GET",
            TOKEN_PATH,
            api="open-auth.token",
            params={
                "appKey": self._options.app_key,
                "timestamp": timestamp,
                "signature": signature,
            },
            authenticated=False,
            interpret=parsed(AccessToken),
        )
        token: AccessToken = reply.data
        return Token.expiring_in(token.access_token, token.expire, clock=self._context.monotonic)


def _token_in_query(request: httpx.Request, token: str) -> None:
    """YonBIP wants ``?access_token=`` on the URL, not an Authorization header."""
    request.url = request.url.copy_merge_params({"access_token": token})


class TenantApi:
    """The tenant's interview API, published on its gateway under ``api_prefix``."""

    def __init__(self, connection: YonyouConnection, api_prefix: str) -> None:
        self._connection = connection
        self._prefix = api_prefix

    async def call(
        self,
        method: str,
        operation: str,
        *,
        interpret: Callable[[httpx.Response], Any],
        params: dict[str, str] | None = None,
        json: Any = None,
        mutating: bool | None = None,
        read_back: ReadBack | None = None,
    ) -> VendorReply:
        """Call ``{gatewayUrl}{api_prefix}/{operation}`` (the gateway is discovered once)."""
        gateway = await self._connection.gateway()
        return await gateway.request(
            method,
            f"{self._prefix}/{operation}",
            api=f"aiinterview.{operation}",
            params=params,
            json=json,
            mutating=mutating,
            read_back=read_back,
            interpret=interpret,
        )
