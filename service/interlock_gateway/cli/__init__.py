"""The ``interlock`` command line: one Typer app, one module per command group.

People's commands (sessions, the verbs, undo, operations, approvals, batch, stats, audit list)
go through the gateway (``remote/``); ``interlock direct …`` talks to vendors straight, and says
so every time; ``serve``, ``db``, ``principals`` and ``audit verify -c`` run the gateway itself.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated

import typer

from interlock_gateway.cli import (
    adapter_new,
    adapters_matrix,
    audit,
    batch,
    contract,
    db,
    demo,
    direct,
    principals,
    serve,
    vendors,
)
from interlock_gateway.cli.remote import login, operations, sessions

app = typer.Typer(
    name="interlock",
    help="Pause, resume, terminate and revoke AI interviews on every vendor, safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell
    add_completion=True,
    # Help and errors as plain text: brackets such as [accounts.NAME] must show as typed.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"interlock {version('interlock')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Pause, resume, terminate and revoke AI interviews on every vendor, safely."""


app.command("login")(login.login)
app.command("logout")(login.logout)
app.add_typer(login.profiles_app, name="profiles")
sessions.register(app)
app.add_typer(operations.operations_app, name="operations")
app.add_typer(operations.approvals_app, name="approvals")
app.command("stats")(operations.stats)
app.command("batch")(batch.batch)
app.add_typer(direct.direct_app, name="direct")
app.command("adapters")(adapters_matrix.adapters)
app.add_typer(vendors.app, name="vendors")
app.add_typer(db.app, name="db")
app.add_typer(principals.app, name="principals")
app.add_typer(audit.app, name="audit")
app.command("contract")(contract.contract)
app.add_typer(adapter_new.app, name="adapter")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
audit.app.command("list")(operations.audit_list)


def main() -> None:
    app()
