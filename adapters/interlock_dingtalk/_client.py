"""DingTalk over HTTP: client construction, token fetch and the response interpreter.

Everything generic (retries, token cache, rate limits, timeouts, read-back) is the toolkit's;
this module only says how DingTalk authenticates and how it reports errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from interlock import errors
from interlock.adapter import AccountContext
from interlock.http import RateLimiter, Token, TokenBucketLimiter, TokenCache, VendorClient
from interlock_dingtalk._errors import translate, translate_legacy
from interlock_dingtalk._models import VendorToken
from interlock_dingtalk.options import DingTalkOptions

__all__ = [
    "REQUEST_ID_HEADER",
    "TOKEN_HEADER",
    "build_client",
    "expect",
    "interpret",
]

REQUEST_ID_HEADER = "x-acs-request-id"
TOKEN_HEADER = "x-acs-dingtalk-access-token"  # noqa: S105 - a header name, not a secret

M = TypeVar("M", bound=BaseModel)


def interpret(response: httpx.Response) -> Any:
    """Return the bare result object of a 2xx; raise the neutral error otherwise.

    The body decides, not only the status line: an old-style ``{"errcode": ≠0}`` or an error
    envelope inside an HTTP 200 is an error too.
    """
    request_id = response.headers.get(REQUEST_ID_HEADER)
    status = response.status_code
    success = 200 <= status < 300
    if success and not response.content.strip():
        return {}  # e.g. PUT signInInfos answers 200 with an empty body
    try:
        body = response.json()
    except ValueError:
        if status >= 500:
            raise errors.VendorUnavailable(
                f"dingtalk answered HTTP {status}", vendor_request_id=request_id
            ) from None
        raise errors.VendorProtocolError(
            f"dingtalk answered HTTP {status} with a body that is not JSON",
            field="body",
            vendor_request_id=request_id,
        ) from None
    if not success:
        if not isinstance(body, dict):
            raise errors.VendorProtocolError(
                f"dingtalk answered HTTP {status} without an error object",
                field="body",
                vendor_request_id=request_id,
            )
        raise translate(status, body, request_id)
    if isinstance(body, dict):
        if body.get("errcode") not in (None, 0, "0"):
            raise translate_legacy(body, request_id)
        if _is_error_envelope(body):
            raise translate(status, body, request_id)
    return body


def _is_error_envelope(body: dict[str, Any]) -> bool:
    return isinstance(body.get("code"), str) and "requestid" in body and "message" in body


def expect(model: type[M]) -> Callable[[httpx.Response], M]:
    """An interpreter that also validates the result into ``model`` (so a malformed payload
    becomes ``VENDOR.PROTOCOL_ERROR`` naming the field, inside the toolkit)."""

    def read(response: httpx.Response) -> M:
        return model.model_validate(interpret(response))

    return read


def build_client(context: AccountContext, options: DingTalkOptions) -> VendorClient:
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
        return Token.expiring_in(token.access_token, token.expire_in)

    def apply_token(request: httpx.Request, token: str) -> None:
        request.headers[TOKEN_HEADER] = token

    client = VendorClient(
        account=context.account,
        base_url=options.base_url,
        interpret=interpret,
        transport=context.transport,
        tokens=TokenCache(fetch_token),
        apply_token=apply_token,
        retry=context.retry_policy,
        limiter=_limiter(context, options),
        timeout_s=options.timeout_s,
        request_id_header=REQUEST_ID_HEADER,
        secrets=options.secret_values(),
    )
    return client


def _limiter(context: AccountContext, options: DingTalkOptions) -> RateLimiter | None:
    """The shared limiter if the account has one, else our own below DingTalk's per-API QPS."""
    if context.rate_limiter is not None:
        return context.rate_limiter
    if options.vendor_qps is None:
        return None
    return TokenBucketLimiter(default=options.vendor_qps, share=options.rate_share)


def _token_request(options: DingTalkOptions) -> tuple[str, str, dict[str, str]]:
    if options.app_type == "internal":
        assert options.app_secret is not None  # guaranteed by the options validator
        return (
            "/v1.0/oauth2/accessToken",
            "GetAccessToken",
            {"appKey": options.app_key or "", "appSecret": options.app_secret.get_secret_value()},
        )
    assert options.suite_secret is not None
    assert options.suite_ticket is not None
    return (
        "/v1.0/oauth2/corpAccessToken",
        "GetCorpAccessToken",
        {
            "suiteKey": options.suite_key or "",
            "suiteSecret": options.suite_secret.get_secret_value(),
            "authCorpId": options.auth_corp_id or "",
            "suiteTicket": options.suite_ticket.get_secret_value(),
        },
    )
