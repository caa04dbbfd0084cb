"""What every CLI command shares: one-line errors (never a traceback), JSON output, config."""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape

from interlock.errors import InterlockError

P = ParamSpec("P")
T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="INTERLOCK_CONFIG",
        help="interlock.toml with the [accounts.NAME] tables",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output only")]


def fail(message: str, *, hint: str | None = None, code: int = 1) -> NoReturn:
    """Print one clear line (and a hint) to stderr and exit non-zero."""
    # Messages carry user data and bracketed names ([accounts.NAME]): never Rich markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if hint:
        err_console.print(f"[dim]hint:[/] {escape(hint)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def handle_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn Interlock errors and validation errors into one line and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except InterlockError as error:
            fail(f"[{error.code}] {error.message}", hint=error.hint)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "input"
            fail(f"[INTERLOCK.INVALID_REQUEST] {where}: {first['msg']}")
        except KeyboardInterrupt:
            fail("interrupted", code=130)

    return wrapper


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def take(items: AsyncIterator[T], limit: int) -> list[T]:
    """The first ``limit`` of ``items`` (listings stop reading pages once they have enough)."""
    found: list[T] = []
    async for item in items:
        found.append(item)
        if len(found) >= limit:
            break
    return found


def print_json(value: Any) -> None:
    """Print JSON to stdout (models are dumped in JSON mode)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str, indent=2) + "\n")
