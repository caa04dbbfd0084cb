"""``interlock serve``: the gateway under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from interlock.config import load_accounts
from interlock.plugins import get_plugin_manager

from ..app import create_app
from ..heap import settle_heap
from ..observability import configure_logging
from ..settings import GatewaySettings
from ._common import console, handle_errors
from ._store import DatabaseUrlOption, GatewayConfigOption

__all__ = ["serve"]


@handle_errors
def serve(
    config: GatewayConfigOption = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8080,
    no_migrate: Annotated[
        bool, typer.Option("--no-migrate", help="do not run `db upgrade` on start-up")
    ] = False,
    database_url: DatabaseUrlOption = None,
    log_level: Annotated[str, typer.Option(help="log level (JSON lines on stderr)")] = "info",
) -> None:
    """Serve the HTTP API: accounts and the gateway table from the config, then the env."""
    settings = GatewaySettings.load(
        config, database_url=database_url, run_migrations=False if no_migrate else None
    )
    # Validate the accounts now, so a bad config is one clear line instead of a failed
    # start-up trace from inside the server.
    load_accounts(settings.config, get_plugin_manager())
    console.print(f"Interlock gateway on http://{host}:{port}  (docs: /docs)", highlight=False)
    configure_logging(log_level.upper())  # JSON lines with the request id, uvicorn's too
    # log_config=None keeps that pipeline; uvicorn's access log would print raw query strings
    # (names in ?candidate=), the gateway logs one line per request with the route template.
    app = create_app(settings)
    settle_heap()  # everything imported and built so far lives as long as the process
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,
        access_log=False,
    )
