"""DingTalk over HTTP: client construction and the token fetch.

Everything generic (retries, token cache, rate limits, timeouts, read-back) is the toolkit's;
this module only says how DingTalk authenticates (its answers are read by ``_interpret``).
"""

from __future__ import annotations

import httpx

from interlock.adapter import AccountContext
from interlock.http import RateLimiter, Token, TokenCache, VendorClient
from interlock_dingtalk._interpret import REQUEST_ID_HEADER, expect, interpret
from interlock_dingtalk._models import VendorToken
from interlock_dingtalk.options import DingTalkOptions

__all__ = ["TOKEN_HEADER", "build_client"]

TOKEN_HEADER = "x-acs-dingtalk-access-token"  # noqa: S105 - a header name, not a secret
LEGACY_PREFIX = "/topapi/"


def build_client(
    context: AccountContext, options: DingTalkOptions, limiter: RateLimiter | None
) -> VendorClient:
    """A toolkit client for one DingTalk account (token in ``x-acs-dingtalk-access-token``)."""
    client: VendorClient

    async def fetch_token() -> Token:
        path, api, body = _token_request(options)
        reply = await client.request(
            "POST",
            path,
            api=api,
            json=body,
            authenticated=False,
            mutating=False,
            interpret=expect(VendorToken),
        )
        token: VendorToken = reply.data
        return Token.expiring_in(token.access_token, token.expire_in, clock=context.monotonic)

    def apply_token(request: httpx.Request, token: str) -> None:
        if request.url.path.startswith(LEGACY_PREFIX):
            # the old ("topapi") API takes the token as a query parameter
            request.url = request.url.copy_merge_params({"access_token": token})
        else:
            request.headers[TOKEN_HEADER] = token

    client = VendorClient(
        account=context.account,
        base_url=options.base_url,
        interpret=interpret,
        transport=context.transport,
        tokens=TokenCache(fetch_token, clock=context.monotonic),
        apply_token=apply_token,
        retry=context.retry_policy,
        limiter=limiter,
        timeout_s=options.timeout_s,
        request_id_header=REQUEST_ID_HEADER,
        secrets=options.secret_values(),
    )
    return client


def _token_request(options: DingTalkOptions) -> tuple[str, str, dict[str, str]]:
    if options.app_type == "internal":
        # The options validator guarantees each credential of the account's app type.
        assert options.app_key is not None
        assert options.app_secret is not None
        return (
            "/v1.0/oauth2/accessToken",
            "GetAccessToken",
            {"appKey": options.app_key, "appSecret": options.app_secret.get_secret_value()},
        )
    assert options.suite_key is not None
    assert options.auth_corp_id is not None
    assert options.suite_secret is not None
    assert options.suite_ticket is not None
    return (
        "/v1.0/oauth2/corpAccessToken",
        "GetCorpAccessToken",
        {
            "suiteKey": options.suite_key,
            "suiteSecret": options.suite_secret.get_secret_value(),
            "authCorpId": options.auth_corp_id,
            "suiteTicket": options.suite_ticket.get_secret_value(),
        },
    )
