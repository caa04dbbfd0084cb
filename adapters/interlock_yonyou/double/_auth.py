"""The double's open-auth service: self-built-app token requests and the tokens it issued."""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx

from interlock_yonyou.double._catalogue import (
    CLOCK_SKEW_MESSAGE,
    SIGNATURE_REJECTED,
    TOKEN_CODES,
    TOKEN_SUCCESS,
)
from interlock_yonyou.double._crypto import token_signature
from interlock_yonyou.double._render import platform_answer

__all__ = ["MAX_CLOCK_SKEW_S", "TOKEN_LIFETIME_S", "TokenService"]

TOKEN_LIFETIME_S = 7200.0
MAX_CLOCK_SKEW_S = 300.0
"""How far the request's ``timestamp`` may be from the platform's clock (undocumented: ±5 min)."""


class TokenService:
    """Issues access tokens to one self-built app and answers whether a token is valid.

    :param apps: appKey → appSecret of the apps that exist on this platform.
    :param wall_clock: epoch seconds (the timestamp window is checked against it).
    :param clock: monotonic seconds (token lifetimes run on it).
    :param on_issue: told about every token issued.
    """

    def __init__(
        self,
        apps: dict[str, str],
        *,
        lifetime_s: float = TOKEN_LIFETIME_S,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        on_issue: Callable[[str], object] = lambda token: None,
    ) -> None:
        self._apps = apps
        self.lifetime_s = lifetime_s
        self._wall_clock = wall_clock
        self._clock = clock
        self._on_issue = on_issue
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry

    @property
    def issued(self) -> tuple[str, ...]:
        return tuple(self._tokens)

    def expire_all(self) -> None:
        self._tokens = dict.fromkeys(self._tokens, 0.0)

    def valid(self, token: str) -> bool:
        return self._tokens.get(token, 0.0) > self._clock()

    def answer(self, request: httpx.Request) -> httpx.Response:
        """``GET …/getAccessToken?appKey=&timestamp=&signature=`` (both paths behave alike)."""
        params = request.url.params
        app_key = params.get("appKey", "")
        secret = self._apps.get(app_key)
        if secret is None:
            return platform_answer("10018", TOKEN_CODES["10018"])
        signed = {name: params[name] for name in params if name != "signature"}
        expected = token_signature(signed, secret)
        if not hmac.compare_digest(expected, params.get("signature", "")):
            return platform_answer(SIGNATURE_REJECTED, TOKEN_CODES[SIGNATURE_REJECTED])
        if not self._fresh(params.get("timestamp", "")):
            return platform_answer(SIGNATURE_REJECTED, CLOCK_SKEW_MESSAGE)
        token = self._new_token()
        data: dict[str, Any] = {"access_token": token, "expire": int(self.lifetime_s)}
        return platform_answer(TOKEN_SUCCESS, "成功！", data)

    def _fresh(self, timestamp: str) -> bool:
        try:
            sent_s = int(timestamp) / 1000
        except ValueError:
            return False
        return abs(self._wall_clock() - sent_s) <= MAX_CLOCK_SKEW_S

    def _new_token(self) -> str:
        # Newer YonBIP tokens are long and carry '+', '/' and '=' that must be URL-encoded.
        token = base64.b64encode(secrets.token_bytes(32)).decode()
        self._on_issue(token)  # the double registers it as a secret
        self._tokens[token] = self._clock() + self.lifetime_s
        return token
