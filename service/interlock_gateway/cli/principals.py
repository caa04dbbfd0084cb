"""``interlock principals``: add (prints the key once), link, grant, list, revoke.

What a principal owns is explicit and per account: ``--vendor-user ACCOUNT=ID`` links it to a
vendor user on one account (positions whose vendor-reported owners include that user are its
own), ``--position ACCOUNT/ID`` and ``--department ACCOUNT/ID`` grant more. Every change is
audited (actor ``local:cli``) in the same transaction as the change.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .. import principals as store
from ..audit import AuditActor, AuditTrail
from ..operations import principal_admin
from ..settings import GatewaySettings
from ..store.tables import Role
from ._common import JsonOption, console, err_console, fail, handle_errors, print_json
from ._store import (
    DatabaseUrlOption,
    GatewayConfigOption,
    configured_accounts,
    open_database,
    run_db,
    settings_for,
)

__all__ = ["app"]

app = typer.Typer(help="API principals, what they own, and their keys.", no_args_is_help=True)

CLI_ACTOR = AuditActor(principal="local:cli", role="admin")

VendorUserOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vendor-user",
        help="ACCOUNT=VENDOR_USER_ID: this principal is that vendor user on that account "
        "(repeat for more)",
    ),
]
PositionOption = Annotated[
    list[str] | None, typer.Option("--position", help="ACCOUNT/POSITION_ID grant (repeatable)")
]
DepartmentOption = Annotated[
    list[str] | None,
    typer.Option("--department", help="ACCOUNT/DEPARTMENT grant (repeatable)"),
]


def _vendor_users(values: list[str] | None) -> dict[str, list[str]]:
    links: dict[str, list[str]] = defaultdict(list)
    for value in values or ():
        account, equals, user = value.partition("=")
        if not equals or not account or not user:
            fail(f"--vendor-user {value!r} is not ACCOUNT=ID", hint="e.g. dingtalk-hq=user01")
        links[account.strip()].append(user.strip())
    return dict(links)


def _trail(settings: GatewaySettings) -> AuditTrail:
    return AuditTrail.from_key_file(settings.signing_key_path)


def _warn_if_unowned(info: store.PrincipalInfo) -> None:
    warning = principal_admin.unowned_warning(info)
    if warning:
        err_console.print(f"note: {escape(warning)}", highlight=False)


@app.command("add")
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="unique name, e.g. zhang.wei or ats-bot")],
    role: Annotated[Role, typer.Option(help="what the principal may do")],
    vendor_user: VendorUserOption = None,
    position: PositionOption = None,
    department: DepartmentOption = None,
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a principal and print its API key — the only time the key is shown."""
    settings = settings_for(config, database_url)

    async def run() -> store.NewPrincipal:
        async with open_database(settings.resolved_database_url, migrate=True) as db:
            return await principal_admin.add(
                db,
                _trail(settings),
                CLI_ACTOR,
                name,
                role,
                vendor_users=_vendor_users(vendor_user),
                positions=position or (),
                departments=department or (),
                accounts=configured_accounts(settings),
            )

    created = run_db(run())
    if as_json:
        print_json(
            {
                "name": created.principal.name,
                "role": created.principal.role.value,
                "key": created.key,
            }
        )
        return
    _warn_if_unowned(created.principal)
    # The key goes on a line of its own, never wrapped or decorated, so it copies cleanly.
    console.print(f"API key for {name} ({role.value}); shown once, store it now:", highlight=False)
    sys.stdout.write(created.key + "\n")


def _show(info: store.PrincipalInfo, as_json: bool) -> None:
    if as_json:
        print_json(info.model_dump(mode="json", exclude={"id"}))
        return
    console.print(f"{escape(info.name)}: {escape(_owns(info))}", highlight=False)
    _warn_if_unowned(info)


@app.command("link")
@handle_errors
def link(
    name: Annotated[str, typer.Argument(help="the principal")],
    vendor_user: VendorUserOption = None,
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set the vendor user ids a principal is on an account (replaces that account's links)."""
    links = _vendor_users(vendor_user)
    if not links:
        fail("nothing to link", hint="--vendor-user ACCOUNT=ID (repeatable)")
    settings = settings_for(config, database_url)

    async def run() -> store.PrincipalInfo:
        async with open_database(settings.resolved_database_url, migrate=True) as db:
            info: store.PrincipalInfo | None = None
            for account, ids in links.items():
                info = await principal_admin.link(
                    db,
                    _trail(settings),
                    CLI_ACTOR,
                    name,
                    account,
                    ids,
                    accounts=configured_accounts(settings),
                )
            assert info is not None
            return info

    _show(run_db(run()), as_json)


@app.command("unlink")
@handle_errors
def unlink(
    name: Annotated[str, typer.Argument(help="the principal")],
    account: Annotated[str, typer.Option("--account", help="the account to unlink")],
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a principal's vendor-user links on one account."""
    settings = settings_for(config, database_url)

    async def run() -> store.PrincipalInfo:
        async with open_database(settings.resolved_database_url, migrate=True) as db:
            return await principal_admin.link(db, _trail(settings), CLI_ACTOR, name, account, [])

    _show(run_db(run()), as_json)


def _grant_command(revoke: bool) -> Any:
    def command(
        name: Annotated[str, typer.Argument(help="the principal")],
        position: PositionOption = None,
        department: DepartmentOption = None,
        database_url: DatabaseUrlOption = None,
        config: GatewayConfigOption = None,
        as_json: JsonOption = False,
    ) -> None:
        if not position and not department:
            fail("nothing to change", hint="--position ACCOUNT/ID or --department ACCOUNT/ID")
        settings = settings_for(config, database_url)

        async def run() -> store.PrincipalInfo:
            async with open_database(settings.resolved_database_url, migrate=True) as db:
                return await principal_admin.grant(
                    db,
                    _trail(settings),
                    CLI_ACTOR,
                    name,
                    positions=position or (),
                    departments=department or (),
                    revoke=revoke,
                    accounts=configured_accounts(settings),
                )

        _show(run_db(run()), as_json)

    command.__doc__ = (
        "Take back ACCOUNT/ID position or department grants."
        if revoke
        else "Grant ACCOUNT/ID positions or departments (added to what it has)."
    )
    return handle_errors(command)


app.command("grant")(_grant_command(revoke=False))
app.command("ungrant")(_grant_command(revoke=True))


async def _list(settings: GatewaySettings) -> tuple[list[store.PrincipalInfo], list[store.KeyInfo]]:
    async with open_database(settings.resolved_database_url) as db, db.session() as session:
        return await store.list_principals(session), await store.list_keys(session)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _owns(info: store.PrincipalInfo) -> str:
    parts = [f"{a}={','.join(ids)}" for a, ids in info.vendor_users.items()]
    parts += list(info.positions) + [f"dept {d}" for d in info.departments]
    legacy = [f"{k}:{','.join(v)}" for k, v in info.legacy_grants.items() if v]
    if legacy:
        parts.append("(granting nothing, no account: " + "; ".join(legacy) + ")")
    return " ".join(parts) or "-"


@app.command("list")
@handle_errors
def list_command(
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List principals, what they own (per account) and their key ids (never a key)."""
    principals, keys = run_db(_list(settings_for(config, database_url)))
    by_owner: dict[str, list[store.KeyInfo]] = {}
    for key in keys:
        by_owner.setdefault(key.principal, []).append(key)
    if as_json:
        print_json(
            [
                {
                    **p.model_dump(mode="json", exclude={"id"}),
                    "keys": [
                        k.model_dump(mode="json", exclude={"principal"})
                        for k in by_owner.get(p.name, [])
                    ],
                }
                for p in principals
            ]
        )
        return
    table = Table("name", "role", "owns (per account)", "keys", "last used", "status")
    for p in principals:
        owned = by_owner.get(p.name, [])
        used = max((k.last_used_at for k in owned if k.last_used_at), default=None)
        table.add_row(
            escape(p.name),
            p.role.value,
            escape(_owns(p)),
            " ".join(k.key_id for k in owned if k.revoked_at is None) or "-",
            _when(used),
            "active" if p.active else f"revoked {_when(p.revoked_at)}",
        )
    console.print(table)


@app.command("revoke")
@handle_errors
def revoke(
    name: Annotated[str, typer.Argument(help="the principal to revoke")],
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
) -> None:
    """Revoke a principal and all its keys at once (idempotent)."""
    settings = settings_for(config, database_url)

    async def run() -> bool:
        async with open_database(settings.resolved_database_url, migrate=True) as db:
            async with db.session() as session:
                was_active = (await store.get_principal(session, name)).active
            if was_active:
                await principal_admin.revoke(db, _trail(settings), CLI_ACTOR, name)
            return was_active

    was_active = run_db(run())
    console.print(
        f"revoked {name} and all its keys" if was_active else f"{name} was already revoked",
        highlight=False,
    )
