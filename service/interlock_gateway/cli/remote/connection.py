"""Which gateway a command talks to, with which key, and how its failures read.

Order: ``--gateway`` or ``INTERLOCK_GATEWAY``, else the profile (``--profile``,
``INTERLOCK_PROFILE``, else the default one). The key: ``INTERLOCK_API_KEY``, else the profile's
— and a profile's key is only ever sent to that profile's own gateway. Plain ``http://`` is
refused except on loopback: the key would cross the network readable.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar
from urllib.parse import urlsplit

import typer

from interlock.client import AsyncGatewayClient
from interlock.client.errors import GatewayError, GatewayUnavailable, ValidationFailed

from .._common import fail, run
from .profiles import ProfileStore

__all__ = [
    "GATEWAY_ENV",
    "KEY_ENV",
    "PROFILE_ENV",
    "GatewayOption",
    "ProfileOption",
    "Target",
    "ask",
    "check_gateway_url",
    "connect",
    "gateway_errors",
    "resolve",
]

GATEWAY_ENV = "INTERLOCK_GATEWAY"
KEY_ENV = "INTERLOCK_API_KEY"
PROFILE_ENV = "INTERLOCK_PROFILE"

P = ParamSpec("P")
T = TypeVar("T")

GatewayOption = Annotated[
    str | None,
    typer.Option(
        "--gateway",
        envvar=GATEWAY_ENV,
        help="gateway URL (default: the profile's)",
        show_default=False,
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", "-p", envvar=PROFILE_ENV, help="a profile from `interlock login`"),
]


@dataclass(frozen=True)
class Target:
    """Where to send a command: the gateway's URL and the key to send with it."""

    url: str
    key: str
    profile: str | None


def check_gateway_url(url: str) -> str:
    """``url`` without a trailing slash, if it can carry an API key safely; else fail."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(f"--gateway: {url!r} is not an http(s) URL", hint="e.g. https://interlock.example.com")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        fail(
            f"--gateway: refusing plain http to {parts.hostname}: the API key would travel "
            "unencrypted",
            hint="use https:// (plain http is accepted on loopback only)",
        )
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(profile: str | None, gateway: str | None) -> Target:
    """The gateway and key for this command (see the module docstring for the order)."""
    store = ProfileStore.default()
    name = profile or store.default_name()
    known = store.profiles()
    if profile is not None and profile not in known:
        fail(
            f"no profile {profile!r}",
            hint=f"interlock login --gateway URL --profile {profile}"
            + (f" (known: {', '.join(sorted(known))})" if known else ""),
        )
    chosen = known.get(name) if name else None
    url = gateway or (chosen.gateway if chosen else None)
    if not url:
        fail(
            "no gateway: not logged in",
            hint=f"interlock login --gateway URL, or set {GATEWAY_ENV} and {KEY_ENV}",
        )
    url = check_gateway_url(url)
    key = os.environ.get(KEY_ENV) or None
    if key is None and chosen is not None and chosen.gateway == url:
        key = store.key(chosen)
    if not key:
        fail(
            f"no API key for {url}",
            hint=f"interlock login --gateway {url}, or set {KEY_ENV}",
        )
    return Target(url=url, key=key, profile=chosen.name if chosen else None)


def connect(profile: str | None, gateway: str | None) -> AsyncGatewayClient:
    """A client for the resolved gateway (use it as an async context manager)."""
    target = resolve(profile, gateway)
    return AsyncGatewayClient(target.url, target.key)


def ask(
    profile: str | None, gateway: str | None, work: Callable[[AsyncGatewayClient], Awaitable[T]]
) -> T:
    """Run ``work`` with a client for the resolved gateway, and close it."""

    async def session() -> T:
        async with connect(profile, gateway) as client:
            return await work(client)

    return run(session())


def gateway_errors(func: Callable[P, T]) -> Callable[P, T]:
    """The gateway's problems as one line (code, detail, hint, request id) and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except GatewayUnavailable as error:
            fail(str(error), hint="is the gateway running? check --gateway / the profile's URL")
        except ValidationFailed as error:
            fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in error.errors)
            detail = error.detail or error.title
            fail(f"[{error.code}] {detail}" + (f" ({fields})" if fields else ""), hint=error.hint)
        except GatewayError as error:
            told = f"[{error.code}] {error.detail or error.title}"
            if error.request_id:
                told += f" (request {error.request_id})"
            fail(told, hint=error.hint)

    return wrapper
