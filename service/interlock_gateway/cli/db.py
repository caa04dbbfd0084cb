"""``interlock db``: create or upgrade the gateway's schema."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from .. import principals as store
from ..store import Database, current_revision, head_revision, upgrade
from ._common import JsonOption, console, err_console, handle_errors, print_json
from ._store import DatabaseUrlOption, GatewayConfigOption, run_db, settings_for, shown_url

__all__ = ["app"]

app = typer.Typer(help="Create and upgrade the gateway database.", no_args_is_help=True)


@app.command("upgrade")
@handle_errors
def upgrade_command(
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
) -> None:
    """Apply the migrations (safe to repeat; replicas starting together take turns)."""
    url = settings_for(config, database_url).resolved_database_url
    run_db(upgrade(url, revision))
    at = run_db(current_revision(url))
    console.print(f"database {shown_url(url)} is at revision {at}")
    if at == head_revision():
        _report_legacy_grants(run_db(_legacy(url)))


async def _legacy(url: str) -> list[store.PrincipalInfo]:
    db = Database(url)
    try:
        async with db.session() as session:
            return [p for p in await store.list_principals(session) if p.legacy_grants]
    finally:
        await db.dispose()


def _report_legacy_grants(principals: list[store.PrincipalInfo]) -> None:
    """Migration 0004's report: grants that named no account now grant nothing."""
    if not principals:
        return
    err_console.print(
        f"ownership is per account now: {len(principals)} principal(s) hold grants that name no "
        "account; they grant nothing until granted again on an account:",
        highlight=False,
        soft_wrap=True,
    )
    for info in principals:
        for kind, ids in info.legacy_grants.items():
            flag = "--position" if kind == "positions" else "--department"
            example = " ".join(f"{flag} ACCOUNT/{i}" for i in ids)
            err_console.print(
                f"  {escape(info.name)}: {kind} {escape(', '.join(ids))} → "
                f"interlock principals grant {escape(info.name)} {escape(example)}",
                highlight=False,
                soft_wrap=True,  # a command must stay on one line to be copied
            )


@app.command("current")
@handle_errors
def current_command(
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the database's revision and the newest one this version ships."""
    url = settings_for(config, database_url).resolved_database_url
    current = run_db(current_revision(url))
    if as_json:
        print_json({"current": current, "head": head_revision()})
        return
    state = "up to date" if current == head_revision() else "needs `interlock db upgrade`"
    console.print(f"revision {current or '(none)'}, newest {head_revision()}: {state}")
