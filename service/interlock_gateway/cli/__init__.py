"""The ``interlock`` command line: one Typer app, one module per command group."""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated

import typer

from interlock_gateway.cli import (
    adapter_new,
    audit,
    batch,
    contract,
    db,
    demo,
    principals,
    sdk_commands,
    serve,
    vendors,
)

app = typer.Typer(
    name="interlock",
    help="Pause, resume, terminate and revoke AI interviews on every vendor, safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
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


sdk_commands.register(app)
app.add_typer(vendors.app, name="vendors")
app.add_typer(db.app, name="db")
app.add_typer(principals.app, name="principals")
app.add_typer(audit.app, name="audit")
app.command("contract")(contract.contract)
app.add_typer(adapter_new.app, name="adapter")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("batch")(batch.batch)


def main() -> None:
    app()
