"""``interlock login``, ``logout`` and ``profiles``: remember gateways and their keys."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from interlock.client import AsyncGatewayClient
from interlock.client.errors import Unauthenticated
from interlock.client.models import Me

from .._common import JsonOption, console, fail, handle_errors, print_json, run
from .connection import KEY_ENV, check_gateway_url, gateway_errors
from .profiles import ProfileStore

__all__ = ["login", "logout", "profiles_app"]

profiles_app = typer.Typer(help="The gateways you logged in to.", no_args_is_help=True)

NameOption = Annotated[str, typer.Option("--profile", "-p", help="a name for this gateway and key")]


@handle_errors
@gateway_errors
def login(
    gateway: Annotated[
        str, typer.Option("--gateway", help="the gateway's URL, e.g. https://interlock.example.com")
    ],
    profile: NameOption = "default",
    key_stdin: Annotated[
        bool,
        typer.Option(
            "--key-stdin", help=f"read the key from stdin (else ${KEY_ENV}, else a prompt)"
        ),
    ] = False,
) -> None:
    """Check an API key with the gateway and keep it (keyring, else a 0600 file)."""
    url = check_gateway_url(gateway)
    key = _read_key(key_stdin)
    try:
        me = run(_whoami(url, key))
    except Unauthenticated:
        fail(f"the gateway at {url} does not accept this key", hint="ask an admin for a new key")
    saved = ProfileStore.default().save(profile, url, key, principal=me.principal)
    where = "your keyring" if saved.key_store == "keyring" else "a file only you can read"
    console.print(
        f"logged in to {url} as {me.principal} ({me.role}); profile {profile!r}, key in {where}",
        markup=False,
        highlight=False,
    )


def _read_key(from_stdin: bool) -> str:
    if from_stdin:
        key = sys.stdin.readline().strip()
    else:
        key = os.environ.get(KEY_ENV) or typer.prompt("API key", hide_input=True).strip()
    if not key:
        fail("no API key given", hint="paste the key an admin gave you (ilk_...)")
    return key


async def _whoami(url: str, key: str) -> Me:
    async with AsyncGatewayClient(url, key) as client:
        return await client.me()


@handle_errors
def logout(profile: NameOption = "default") -> None:
    """Forget a profile and its key."""
    if not ProfileStore.default().remove(profile):
        fail(f"no profile {profile!r}", hint="interlock profiles list")
    console.print(f"logged out: profile {profile!r} and its key are forgotten", markup=False)


@profiles_app.command("list")
@handle_errors
def list_profiles(as_json: JsonOption = False) -> None:
    """The profiles, their gateways and which one is the default (never the keys)."""
    store = ProfileStore.default()
    default = store.default_name()
    rows = [
        {
            "profile": p.name,
            "gateway": p.gateway,
            "principal": p.principal,
            "key_store": p.key_store,
            "default": p.name == default,
        }
        for p in sorted(store.profiles().values(), key=lambda p: p.name)
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no profiles: interlock login --gateway URL", markup=False)
    for row in rows:
        mark = "*" if row["default"] else " "
        console.print(
            f"{mark} {row['profile']}  {row['gateway']}  {row['principal'] or '-'}  "
            f"(key in {row['key_store']})",
            markup=False,
            highlight=False,
        )


@profiles_app.command("use")
@handle_errors
def use_profile(name: Annotated[str, typer.Argument(help="the profile to use by default")]) -> None:
    """Make a profile the default."""
    store = ProfileStore.default()
    if name not in store.profiles():
        fail(f"no profile {name!r}", hint="interlock profiles list")
    store.use(name)
    console.print(f"default profile: {name}", markup=False)
