"""Authentication first: every ``/v1`` request is authenticated before it is routed or
validated.

An anonymous or badly keyed request therefore gets the same 401 whatever else is wrong with
it (an unknown parameter, a malformed body, a route that does not exist): nothing about the
API's shape or its data is told to someone without a key. Vendor pushes
(``/v1/callbacks/...``) are the exception — the vendor's signature is their authentication,
checked by the account's adapter. ``/metrics`` can require a token of its own
(``metrics_token``).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from ..keycache import KeyCache
from ..policy import Caller
from ..principals import caller_of
from ..problems import Problem
from .problems import problem_response

__all__ = [
    "AuthenticationMiddleware",
    "authenticate_request",
    "unauthenticated",
]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="interlock"'}
_UNAUTHENTICATED_PREFIXES = ("/v1/callbacks/",)


def unauthenticated(code: str, detail: str) -> Problem:
    """The 401 problem (with the bearer challenge)."""
    return Problem(
        401,
        code,
        "Authentication required",
        detail,
        hint="send 'Authorization: Bearer <API key>'; keys come from `interlock principals add`",
        headers=_CHALLENGE,
    )


def _bearer(request: Request) -> str | None:
    """The bearer credentials; :raises Problem: the header is there but not ``Bearer …``."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise unauthenticated("AUTH.MALFORMED", "the Authorization header is not 'Bearer <key>'")
    return credentials.strip()


async def authenticate_request(request: Request, keys: KeyCache) -> Caller:
    """The caller behind the request's key (remembered on ``request.state``).

    :raises Problem: 401 — no key, a malformed header, an unknown or revoked key.
    """
    cached = getattr(request.state, "caller", None)
    if isinstance(cached, Caller):
        return cached
    key = _bearer(request)
    if key is None:
        raise unauthenticated("AUTH.MISSING_KEY", "no API key was sent")
    found = await keys.authenticate(key)
    if found is None:
        raise unauthenticated("AUTH.INVALID_KEY", "the API key is unknown, revoked or malformed")
    caller = caller_of(
        found.principal, found.key_id, request.client.host if request.client else None
    )
    request.state.caller = caller
    return caller


class AuthenticationMiddleware:
    """Authenticate ``/v1`` requests (vendor pushes excepted) before anything else looks at
    them, and ``/metrics`` when a metrics token is set."""

    def __init__(self, app: ASGIApp, *, metrics_token: str | None = None) -> None:
        self.app = app
        self.metrics_token = metrics_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        request = Request(scope)
        try:
            if path == "/v1" or path.startswith("/v1/"):
                if not path.startswith(_UNAUTHENTICATED_PREFIXES):
                    await authenticate_request(request, request.app.state.keys)
            elif path == "/metrics" and self.metrics_token is not None:
                self._check_metrics_token(request)
        except Problem as problem:
            _name_the_route(scope)
            await problem_response(problem, request)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check_metrics_token(self, request: Request) -> None:
        assert self.metrics_token is not None
        given = _bearer(request) or ""
        if not hmac.compare_digest(given.encode(), self.metrics_token.encode()):
            raise unauthenticated("AUTH.INVALID_KEY", "/metrics needs the metrics token")


def _name_the_route(scope: Scope) -> None:
    """Record which route a refused request was for, as routing would have (metrics count
    requests by route template, never by raw path)."""
    found = _matching(scope["app"].router.routes, scope)
    if found is not None:
        scope["route"] = found


def _matching(routes: Iterable[BaseRoute], scope: Scope) -> BaseRoute | None:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps included routers
        if included is not None:
            found = _matching(included.routes, scope)
        else:
            found = route if route.matches(scope)[0] is Match.FULL else None
        if found is not None:
            return found
    return None
