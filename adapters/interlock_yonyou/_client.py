"""Yonyou over HTTP: discovery, the signed token, the query-string token and error translation.

Everything generic (retries, token cache, rate limits, timeouts, read-back) is the toolkit's;
this module says how YonBIP finds a tenant's hosts, authenticates and reports errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from interlock import errors
from interlock.adapter import AccountContext
from interlock.http import Token, TokenCache, VendorClient
from interlock_yonyou._auth import token_signature
from interlock_yonyou._errors import (
    AUTH_CODES,
    DISPLAY_CODES,
    DUPLICATE_CODES,
    GATEWAY_CODES,
    CodeRule,
)
from interlock_yonyou._models import AccessToken, GatewayAddress
from interlock_yonyou.options import YonyouOptions

__all__ = [
    "DuplicateSubmission",
    "YonyouConnection",
    "error_from",
    "interpret_auth",
    "interpret_business",
    "rule_for",
]

BUSINESS_SUCCESS = "200"
AUTH_SUCCESS = "00000"
TOKEN_PATH = "/open-auth/selfAppAuth/base/v1/getAccessToken"  # noqa: S105 - a URL path
DATA_CENTRE_PATH = "/open-auth/dataCenter/getGatewayAddress"
PLAIN_TEXT_INVALID_TOKEN = "非法token"  # noqa: S105 - the vendor's error text, not a token


# -- response interpretation ----------------------------------------------------------------


def _body(response: httpx.Response) -> dict[str, Any]:
    """The JSON envelope, or the neutral error for a body that is not one."""
    try:
        body = response.json()
    except ValueError:
        if response.text.strip() == PLAIN_TEXT_INVALID_TOKEN:
            # Some YonBIP APIs answer a bad token with this plain text instead of JSON 310036.
            raise errors.VendorTokenExpired("yonyou 310036: 非法token (text/plain)") from None
        if response.status_code >= 500:
            raise errors.VendorUnavailable(
                f"yonyou answered HTTP {response.status_code} without a JSON body"
            ) from None
        raise errors.VendorProtocolError(
            "yonyou answered a body that is not JSON", field="body"
        ) from None
    if not isinstance(body, dict) or "code" not in body:
        if response.status_code >= 500:
            raise errors.VendorUnavailable(f"yonyou answered HTTP {response.status_code}")
        raise errors.VendorProtocolError("yonyou envelope has no 'code'", field="code")
    return body


@dataclass(frozen=True)
class DuplicateSubmission:
    """A write the gateway had already done (MDD ``100004``/``10004``): ``data`` is ``{"id"}``."""

    data: Any


def interpret_business(response: httpx.Response) -> Any:
    """``data`` of a gateway success (``code`` "200", or numeric 200); neutral errors otherwise.

    A batch's partial failure is a success here (``code`` 200 with ``data.failCount`` > 0): the
    adapter turns its ``messages`` into per-item results.
    """
    body = _body(response)
    code = str(body["code"])
    if code == BUSINESS_SUCCESS:
        return body.get("data")
    if code in DUPLICATE_CODES:
        return DuplicateSubmission(body.get("data"))
    raise error_from(code, body, status_code=response.status_code)


def interpret_auth(response: httpx.Response) -> Any:
    """``data`` of a data-centre or token success (``code`` "00000")."""
    body = _body(response)
    code = str(body["code"])
    if code == AUTH_SUCCESS:
        return body.get("data")
    rule = AUTH_CODES.get(code)
    if rule is None and code != "310036":  # an auth endpoint cannot ask for a refresh
        rule = GATEWAY_CODES.get(code)
    raise error_from(code, body, status_code=response.status_code, rule=rule)


def rule_for(code: str, display_code: str | None) -> CodeRule | None:
    """The rule of a gateway code; a ``999`` is refined by the tenant API's ``displayCode``."""
    if code == "999" and display_code in DISPLAY_CODES:
        return DISPLAY_CODES[display_code]
    return GATEWAY_CODES.get(code)


def error_from(
    code: str,
    body: Mapping[str, Any],
    *,
    status_code: int = 200,
    rule: CodeRule | None = None,
) -> errors.InterlockError:
    """The neutral error for one vendor code (unknown codes: unavailable on 5xx, else protocol).

    :param rule: the rule to apply; looked up in the gateway tables when not given.
    """
    display = body.get("displayCode")
    display_code = str(display) if display else None
    rule = rule or rule_for(code, display_code)
    label = f"{code}/{display_code}" if display_code else code
    message = f"yonyou {label}: {str(body.get('message') or 'no message')[:200]}"
    if rule is None:
        if status_code >= 500:
            return errors.VendorUnavailable(message, vendor_code=label)
        return errors.VendorProtocolError(
            f"{message} (a code this adapter does not know)", field="code", vendor_code=label
        )
    common: dict[str, Any] = {"vendor_code": label, "hint": rule.hint}
    cls = rule.error
    if cls is errors.VendorRateLimited:
        return errors.VendorRateLimited(message, retry_after=rule.retry_after, **common)
    if cls is errors.VendorTimeout:
        return errors.VendorTimeout(message, ambiguous=rule.ambiguous, **common)
    if cls is errors.InvalidTransition:
        return errors.InvalidTransition(message, from_state="unknown", verb="unknown")
    if issubclass(cls, errors.VendorError):
        return cls(message, **common)
    return cls(message, hint=rule.hint)


# -- discovery and tokens --------------------------------------------------------------------

_Model = TypeVar("_Model", bound=BaseModel)


def _parsed(model: type[_Model]) -> Callable[[httpx.Response], _Model]:
    """An auth interpreter that also validates ``data`` (so a bad payload names its field)."""

    def interpret(response: httpx.Response) -> _Model:
        return model.model_validate(interpret_auth(response))

    return interpret


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
    ) -> None:
        self._context = context
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
        self.lookups = 0
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
                self.lookups += 1
                reply = await self.data_centre.request(
                    "GET",
                    DATA_CENTRE_PATH,
                    api="open-auth.dataCenter",
                    params={"tenantId": self._options.tenant_id},
                    authenticated=False,
                    interpret=_parsed(GatewayAddress),
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
            tokens=TokenCache(self._fetch_token),
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
            limiter=self._context.rate_limiter,
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
            interpret=_parsed(AccessToken),
        )
        token: AccessToken = reply.data
        return Token.expiring_in(token.access_token, token.expire)


def _token_in_query(request: httpx.Request, token: str) -> None:
    """YonBIP wants ``?access_token=`` on the URL, not an Authorization header."""
    request.url = request.url.copy_merge_params({"access_token": token})
