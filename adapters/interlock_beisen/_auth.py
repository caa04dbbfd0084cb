"""Beisen access tokens from either documented endpoint (which one is account configuration).

* ``POST /token`` (``token_endpoint = "token"``): ``client_credentials`` with ``app_key`` and
  ``app_secret``; the ``refresh_token`` it returns is used for the next token, falling back to
  the credentials when Beisen refuses it (rotated, expired).
* ``POST /OAuth/Token`` (``"oauth"``): a form with ``app_id``, ``secret``, ``tenant_id``,
  ``grant_type``. Its ``expires_in`` is documented both as seconds and, in the demo, as what
  looks like an epoch expiry; a value past 10⁹ is read as an epoch. Either way the token is
  cached at most ``max_token_lifetime_s``, and a 401 refreshes it anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from interlock import errors
from interlock.http import Token
from interlock_beisen._interpret import interpret_token
from interlock_beisen._models import OAuthTokenReply, TokenReply
from interlock_beisen.options import BeisenOptions

if TYPE_CHECKING:
    from interlock.http import VendorClient

__all__ = ["TokenSource"]

_EPOCH_THRESHOLD = 1_000_000_000  # 2001-09-09: larger "expires_in" values are timestamps
_SHORTEST_CACHE_S = 120.0  # below this the token cache would refetch on every call


class TokenSource:
    """Fetches tokens for one account; holds the rotating refresh token (never printed)."""

    def __init__(
        self,
        options: BeisenOptions,
        *,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._options = options
        self._wall_clock = wall_clock
        self._monotonic = monotonic  # the token cache's clock: lifetimes are measured on it
        self._refresh_token: str | None = None

    def __repr__(self) -> str:
        return f"<TokenSource endpoint={self._options.token_endpoint!r}>"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The configured credentials (for the client's redaction)."""
        values = (self._options.app_secret, self._options.secret)
        return tuple(v.get_secret_value() for v in values if v is not None)

    async def fetch(self, client: VendorClient) -> Token:
        if self._options.token_endpoint == "oauth":  # noqa: S105 - an endpoint name
            return await self._oauth(client)
        if self._refresh_token is not None:
            refresh, self._refresh_token = self._refresh_token, None
            try:
                return await self._token(
                    client, {"grant_type": "refresh_token", "refresh_token": refresh}
                )
            except errors.VendorAuthFailed:
                pass  # refused (rotated or expired): the credentials still work
        return await self._token(client, {"grant_type": "client_credentials"})

    async def _token(self, client: VendorClient, grant: dict[str, str]) -> Token:
        options = self._options
        # The options validator guarantees the credentials of the configured endpoint.
        assert options.app_key is not None
        assert options.app_secret is not None
        secret = options.app_secret.get_secret_value()
        params = {**grant, "app_key": options.app_key, "app_secret": secret}
        as_form = options.token_body == "form"  # noqa: S105 - an encoding name
        reply = await client.request(
            "POST",
            "/token",
            api="token",
            data=params if as_form else None,
            json=None if as_form else params,
            authenticated=False,
            mutating=False,
            interpret=interpret_token(TokenReply),
        )
        token: TokenReply = reply.data
        self._refresh_token = token.refresh_token or None
        lifetime = self._lifetime(token.expires_in)
        return Token.expiring_in(token.access_token, lifetime, clock=self._monotonic)

    async def _oauth(self, client: VendorClient) -> Token:
        options = self._options
        assert options.app_id is not None
        assert options.tenant_id is not None
        assert options.secret is not None
        form: dict[str, Any] = {
            "app_id": options.app_id,
            "secret": options.secret.get_secret_value(),
            "tenant_id": options.tenant_id,
            "grant_type": "client_credentials",
        }
        reply = await client.request(
            "POST",
            "/OAuth/Token",
            api="OAuth/Token",
            data=form,
            authenticated=False,
            mutating=False,
            interpret=interpret_token(OAuthTokenReply),
        )
        token: OAuthTokenReply = reply.data
        seconds = float(token.expires_in)
        if seconds >= _EPOCH_THRESHOLD:
            seconds -= self._wall_clock()
        lifetime = self._lifetime(seconds)
        return Token.expiring_in(token.access_token, lifetime, clock=self._monotonic)

    def _lifetime(self, seconds: float) -> float:
        return max(_SHORTEST_CACHE_S, min(seconds, self._options.max_token_lifetime_s))
