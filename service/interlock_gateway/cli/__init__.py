"""The ``interlock`` command line: one Typer app, one module per command group."""

from __future__ import annotations

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
