"""``interlock principals``: add (prints the key once), list, revoke.

Adding and revoking are audited (actor ``local:cli``) in the same transaction as the change.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from .. import principals as store
from ..audit import AuditActor, AuditEntry, AuditTrail
from ..settings import GatewaySettings
from ..store.tables import Role
from ._common import JsonOption, console, handle_errors, print_json
from ._store import DatabaseUrlOption, GatewayConfigOption, open_database, run_db, settings_for

__all__ = ["app"]

app = typer.Typer(help="API principals and their keys.", no_args_is_help=True)

CLI_ACTOR = AuditActor(principal="local:cli", role="admin")


def _ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _trail(settings: GatewaySettings) -> AuditTrail:
    return AuditTrail.from_key_file(settings.signing_key_path)


async def _add(
    settings: GatewaySettings, name: str, role: Role, positions: list[str], departments: list[str]
) -> store.NewPrincipal:
    async with open_database(settings.resolved_database_url, migrate=True) as db:
        async with db.write() as session:
            created = await store.create_principal(
                session, name, role, positions=positions, departments=departments
            )
            details: dict[str, Any] = {"principal": name, "role": role.value}
            entry = AuditEntry(
                actor=CLI_ACTOR,
                action="principal.add",
                outcome="applied",
                details={**details, "key_id": created.key_id},
            )
            await _trail(settings).append(session, entry)
        return created


@app.command("add")
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="unique name, e.g. zhang.wei or ats-bot")],
    role: Annotated[Role, typer.Option(help="what the principal may do")],
    positions: Annotated[
        str | None, typer.Option(help="owned position ids, comma-separated")
    ] = None,
    departments: Annotated[str | None, typer.Option(help="department ids, comma-separated")] = None,
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a principal and print its API key — the only time the key is shown."""
    settings = settings_for(config, database_url)
    created = run_db(_add(settings, name, role, _ids(positions), _ids(departments)))
    if as_json:
        print_json(
            {
                "name": created.principal.name,
                "role": created.principal.role.value,
                "key": created.key,
            }
        )
        return
    # The key goes on a line of its own, never wrapped or decorated, so it copies cleanly.
    console.print(f"API key for {name} ({role.value}); shown once, store it now:", highlight=False)
    sys.stdout.write(created.key + "\n")


async def _list(settings: GatewaySettings) -> tuple[list[store.PrincipalInfo], list[store.KeyInfo]]:
    async with open_database(settings.resolved_database_url) as db, db.session() as session:
        return await store.list_principals(session), await store.list_keys(session)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@app.command("list")
@handle_errors
def list_command(
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List principals with their key ids and last use (never a key)."""
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
    table = Table("name", "role", "positions", "departments", "keys", "last used", "status")
    for p in principals:
        owned = by_owner.get(p.name, [])
        used = max((k.last_used_at for k in owned if k.last_used_at), default=None)
        table.add_row(
            p.name,
            p.role.value,
            ",".join(p.positions) or "-",
            ",".join(p.departments) or "-",
            " ".join(k.key_id for k in owned if k.revoked_at is None) or "-",
            _when(used),
            "active" if p.active else f"revoked {_when(p.revoked_at)}",
        )
    console.print(table)


async def _revoke(settings: GatewaySettings, name: str) -> tuple[store.PrincipalInfo, bool]:
    async with open_database(settings.resolved_database_url, migrate=True) as db:
        async with db.write() as session:
            before = await store.get_principal(session, name)
            after = await store.revoke_principal(session, name)
            if before.active:
                entry = AuditEntry(
                    actor=CLI_ACTOR,
                    action="principal.revoke",
                    outcome="applied",
                    details={"principal": name, "role": after.role.value},
                )
                await _trail(settings).append(session, entry)
        return after, before.active


@app.command("revoke")
@handle_errors
def revoke(
    name: Annotated[str, typer.Argument(help="the principal to revoke")],
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
) -> None:
    """Revoke a principal and all its keys at once (idempotent)."""
    _, was_active = run_db(_revoke(settings_for(config, database_url), name))
    console.print(
        f"revoked {name} and all its keys" if was_active else f"{name} was already revoked"
    )
