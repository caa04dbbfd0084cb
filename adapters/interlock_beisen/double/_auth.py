"""The Beisen double's two token endpoints and the tokens they issue.

* ``POST /token`` — ``grant_type=client_credentials`` with ``app_key``/``app_secret`` (form or
  JSON), or ``grant_type=refresh_token`` with ``refresh_token`` → ``{"access_token",
  "token_type": "bearer", "expires_in": 7200, "refresh_token"}`` (S-BS-HRP, S-BS-LEAP).
* ``POST /OAuth/Token`` — form ``app_id``, ``secret``, ``tenant_id``, ``grant_type`` →
  ``{"access_token", "expires_in", "tenant_id", "user_id": "0"}``, every value a string
  (documented demo; S-BS-RS).

Errors are OAuth style, never the business envelope. Refresh tokens rotate (one use each).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

import httpx

from interlock_beisen.double._render import oauth_error

__all__ = [
    "APP_ID",
    "APP_KEY",
    "APP_SECRET",
    "OAUTH_SECRET",
    "TENANT_ID",
    "TokenStore",
    "oauth_token",
    "token",
]

APP_KEY = "beisen-demo-app-key"
APP_SECRET = "beisen-demo-app-secret-8c41f0"  # noqa: S105 - the double's published demo credential
APP_ID = "100234"
TENANT_ID = "204402"
OAUTH_SECRET = "beisen-demo-oauth-secret-27d9e3"  # noqa: S105 - ditto, for /OAuth/Token

_FORM = "application/x-www-form-urlencoded"
ExpiresStyle = Literal["seconds", "epoch"]


@dataclass
class TokenStore:
    """Issued access and refresh tokens of the double's one tenant."""

    lifetime_s: float = 7200.0
    refresh_lifetime_s: float = 30 * 24 * 3600.0
    clock: Callable[[], float] = time.monotonic
    on_issue: Callable[[str], object] = lambda token: None
    """Told about every access and refresh token issued (the double makes them secrets)."""

    def __post_init__(self) -> None:
        self.access: dict[str, float] = {}
        self.refresh: dict[str, float] = {}

    def issue(self) -> tuple[str, str]:
        """A new access token and a new refresh token."""
        now = self.clock()
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self.access[access] = now + self.lifetime_s
        self.refresh[refresh] = now + self.refresh_lifetime_s
        self.on_issue(access)
        self.on_issue(refresh)
        return access, refresh

    def valid(self, access: str) -> bool:
        return self.access.get(access, 0.0) > self.clock()

    def redeem(self, refresh: str) -> bool:
        """Use a refresh token up (rotation): True when it was valid."""
        expires = self.refresh.pop(refresh, 0.0)
        return expires > self.clock()

    def expire_access(self) -> None:
        self.access = dict.fromkeys(self.access, 0.0)

    @property
    def issued(self) -> tuple[str, ...]:
        return (*self.access, *self.refresh)


def _parameters(request: httpx.Request, *, json_allowed: bool) -> dict[str, str] | httpx.Response:
    """The token request's parameters, or the OAuth error for a body the endpoint refuses."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type:
        return oauth_error("invalid_request", "找不到 Content-Type", "400006")
    if content_type == _FORM:
        return dict(parse_qsl(request.content.decode("utf-8", "replace")))
    if content_type == "application/json" and json_allowed:
        try:
            data = json.loads(request.content or b"{}")
        except ValueError:
            return oauth_error("invalid_request", "请求体不是有效的JSON", "400001")
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items() if v is not None}
        return oauth_error("invalid_request", "请求体必须是JSON对象", "400001")
    return oauth_error("invalid_request", f"不支持的 Content-Type：{content_type}", "400007")


def _missing(params: dict[str, str], *names: str) -> httpx.Response | None:
    for name in names:
        if not params.get(name):
            return oauth_error("invalid_request", f"缺少参数：{name}", "400001")
    return None


def token(request: httpx.Request, store: TokenStore) -> httpx.Response:
    """``POST /token``: client credentials or a refresh token (form or JSON)."""
    params = _parameters(request, json_allowed=True)
    if isinstance(params, httpx.Response):
        return params
    grant = params.get("grant_type", "")
    if grant == "client_credentials":
        problem = _missing(params, "app_key", "app_secret")
        if problem is not None:
            return problem
        if params["app_key"] != APP_KEY or params["app_secret"] != APP_SECRET:
            return oauth_error("invalid_client", "app_key 或 app_secret 错误", "400003")
    elif grant == "refresh_token":
        problem = _missing(params, "refresh_token")
        if problem is not None:
            return problem
        if params.get("app_key", APP_KEY) != APP_KEY:
            return oauth_error("invalid_client", "app_key 或 app_secret 错误", "400003")
        if not store.redeem(params["refresh_token"]):
            return oauth_error("invalid_grant", "refresh_token 无效或已过期", "400004")
    else:
        return oauth_error("unsupported_grant_type", f"不支持的 grant_type：{grant}", "400002")
    access, refresh = store.issue()
    return httpx.Response(
        200,
        json={
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(store.lifetime_s),
            "refresh_token": refresh,
        },
    )


def oauth_token(
    request: httpx.Request, store: TokenStore, *, expires_style: ExpiresStyle
) -> httpx.Response:
    """``POST /OAuth/Token``: form only; string values; the tenant is checked first (probe P1)."""
    params = _parameters(request, json_allowed=False)
    if isinstance(params, httpx.Response):
        return params
    if params.get("tenant_id") != TENANT_ID:
        return oauth_error("invalid_tenantid")
    problem = _missing(params, "app_id", "secret", "grant_type")
    if problem is not None:
        return problem
    if params["grant_type"] != "client_credentials":
        grant = params["grant_type"]
        return oauth_error("unsupported_grant_type", f"不支持的 grant_type：{grant}", "400002")
    if params["app_id"] != APP_ID or params["secret"] != OAUTH_SECRET:
        return oauth_error("invalid_client", "app_id 或 secret 错误", "400003")
    access, _ = store.issue()
    lifetime = int(store.lifetime_s)
    expires = str(int(time.time()) + lifetime) if expires_style == "epoch" else str(lifetime)
    return httpx.Response(
        200,
        json={
            "access_token": access,
            "expires_in": expires,
            "tenant_id": TENANT_ID,
            "user_id": "0",
        },
    )
