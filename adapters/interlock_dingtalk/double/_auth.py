"""The double's tenant credentials, its access tokens and DingTalk's two token endpoints.

* ``POST /v1.0/oauth2/accessToken`` — internal app, JSON ``{appKey, appSecret}`` only;
* ``POST /v1.0/oauth2/corpAccessToken`` — ISV app, JSON ``{suiteKey, suiteSecret, authCorpId,
  suiteTicket}``.

Both answer ``{"accessToken", "expireIn": 7200}``; asking again while a token is valid returns
the same token and renews it ("有效期内重复获取会返回相同结果并自动续期").
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from interlock_dingtalk.double._catalogue import DingTalkError

__all__ = [
    "APP_KEY",
    "APP_SECRET",
    "CALLBACK_AES_KEY",
    "CALLBACK_TOKEN",
    "CORP_ID",
    "SUITE_KEY",
    "SUITE_SECRET",
    "SUITE_TICKET",
    "Caller",
    "TokenIssuer",
    "corp_credentials",
    "internal_credentials",
]

# The double's published demo tenant (like a vendor sandbox's test app): not real secrets.
APP_KEY = "dingd3m0appk3y7x1q"
APP_SECRET = "Dt-demo-appsecret-2b7f0c9e41a85d36"  # noqa: S105
CORP_ID = "dingcorp5e1a9c3b7d20"
SUITE_KEY = "suited3m0k2m8p4"
SUITE_SECRET = "Dt-demo-suitesecret-9c41e7a05b3d"  # noqa: S105
SUITE_TICKET = "Dt-demo-suiteticket-6f2a81c0"
CALLBACK_TOKEN = "Dt-demo-callback-token-41c7"  # noqa: S105
CALLBACK_AES_KEY = "INkIWpf6XNveEFzuldhEqyN6dx7j06BhxeZuJu9DFpI"


@dataclass(frozen=True)
class Caller:
    """Who a token belongs to: the app (DingTalk's throttle key) and the org (quota key)."""

    app: str
    corp_id: str


@dataclass
class _Issued:
    value: str
    caller: Caller
    expires_at: float


class TokenIssuer:
    """Issues and checks access tokens; ``lifetime_s`` may be changed by tests at any time."""

    def __init__(
        self,
        lifetime_s: float = 7200.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_issue: Callable[[str], object] = lambda token: None,
    ) -> None:
        self.lifetime_s = lifetime_s
        self._clock = clock
        self._on_issue = on_issue
        self._by_value: dict[str, _Issued] = {}
        self._current: dict[Caller, _Issued] = {}

    def issue(self, caller: Caller) -> str:
        now = self._clock()
        current = self._current.get(caller)
        if current is not None and current.expires_at > now:
            current.expires_at = now + self.lifetime_s
            return current.value
        issued = _Issued(secrets.token_hex(16), caller, now + self.lifetime_s)
        self._on_issue(issued.value)  # the double registers it as a secret
        self._by_value[issued.value] = issued
        self._current[caller] = issued
        return issued.value

    def check(self, value: str) -> Caller | None:
        """The token's owner, or None when it is unknown or expired."""
        issued = self._by_value.get(value)
        if issued is None or issued.expires_at <= self._clock():
            return None
        return issued.caller

    def expire_all(self) -> None:
        for issued in self._by_value.values():
            issued.expires_at = 0.0

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self._by_value)


def _json_only(request: httpx.Request) -> dict[str, object]:
    if "json" not in request.headers.get("content-type", ""):
        raise DingTalkError("invalidParam", "body is mandatory")
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        raise DingTalkError("invalidParam", "body is mandatory") from None
    if not isinstance(body, dict):
        raise DingTalkError("invalidParam", "body is mandatory")
    return body


def _required(body: dict[str, object], *names: str) -> list[str]:
    values = []
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise DingTalkError("invalidParam", f"{name} is mandatory")
        values.append(value)
    return values


def internal_credentials(request: httpx.Request) -> Caller:
    """Check ``{appKey, appSecret}``; :raises DingTalkError: as DingTalk answers."""
    app_key, app_secret = _required(_json_only(request), "appKey", "appSecret")
    if not (
        secrets.compare_digest(app_key, APP_KEY) and secrets.compare_digest(app_secret, APP_SECRET)
    ):
        raise DingTalkError("invalidClientIdOrSecret")
    return Caller(app=APP_KEY, corp_id=CORP_ID)


def corp_credentials(request: httpx.Request) -> Caller:
    """Check ``{suiteKey, suiteSecret, authCorpId, suiteTicket}`` of an ISV app."""
    suite_key, suite_secret, corp_id, ticket = _required(
        _json_only(request), "suiteKey", "suiteSecret", "authCorpId", "suiteTicket"
    )
    if not secrets.compare_digest(suite_key, SUITE_KEY):
        raise DingTalkError("invalidSuiteKey")
    valid = (
        secrets.compare_digest(suite_secret, SUITE_SECRET)
        and secrets.compare_digest(ticket, SUITE_TICKET)
        and corp_id == CORP_ID
    )
    if not valid:
        raise DingTalkError("invalidClientIdOrSecret")
    return Caller(app=f"{SUITE_KEY}@{CORP_ID}", corp_id=CORP_ID)
