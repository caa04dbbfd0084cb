"""``interlock adapter new NAME --dir PATH``: scaffold a standalone adapter project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interlock_contract.scaffold import ScaffoldError, write_project
from interlock_gateway.cli._common import console, fail, handle_errors

__all__ = ["app", "new"]

app = typer.Typer(help="Write new vendor adapters.", no_args_is_help=True)


@app.command("new")
@handle_errors
def new(
    name: Annotated[str, typer.Argument(help="adapter name: the entry point, e.g. acme")],
    directory: Annotated[
        Path | None, typer.Option("--dir", help="where to write it (default: ./interlock-NAME)")
    ] = None,
    force: Annotated[bool, typer.Option(help="write into a folder that is not empty")] = False,
) -> None:
    """Write an adapter project: pyproject with the entry point and the contract kit's
    dependencies (the `test` extra), the adapter skeleton split as in
    docs/writing-an-adapter.md, a vendor double skeleton, the contract test and a README."""
    target = directory or Path(f"interlock-{name.replace('_', '-')}")
    try:
        written = write_project(name, target, force=force)
    except ScaffoldError as exc:
        fail(str(exc))
    console.print(f"wrote {len(written)} files to {target}", highlight=False)
    console.print(
        f"next: pip install -e '{target}[test]' && interlock contract {name}  "
        "(the first failing check names what to implement)",
        highlight=False,
    )
