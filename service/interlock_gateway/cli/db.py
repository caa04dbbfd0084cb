"""``interlock db``: create or upgrade the gateway's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from ..store import current_revision, head_revision, upgrade
from ._common import JsonOption, console, handle_errors, print_json
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
    console.print(f"database {shown_url(url)} is at revision {run_db(current_revision(url))}")


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
