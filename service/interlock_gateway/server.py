"""Serving ASGI apps under uvicorn: the gateway (``interlock serve``, the demo, the bench).

uvicorn is told to leave logging alone (``log_config=None``: the gateway's JSON pipeline from
:func:`~interlock_gateway.observability.configure_logging` applies) and to write no access
log (its lines carry the raw path and query string, where a ``?candidate=`` filter may hold a
name; the gateway logs one line per request with the route template instead).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Generator
from typing import Any

import uvicorn

__all__ = ["LOOPBACK", "is_loopback", "serving", "uvicorn_config"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (the demo and the doubles refuse others)."""
    return host in LOOPBACK or host.startswith("127.")


def uvicorn_config(app: Any, *, host: str, port: int, lifespan: bool = True) -> uvicorn.Config:
    """The uvicorn configuration the gateway runs with."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on" if lifespan else "off",
        log_config=None,
        access_log=False,
        server_header=False,
    )


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT and SIGTERM to its owner.

    uvicorn's own handlers replace whatever was installed and re-raise the signal when the
    server stops; with several servers in one process (the demo runs five) the owner must
    decide the order of shutdown instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serving(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, lifespan: bool = True
) -> AsyncIterator[str]:
    """Serve ``app`` for the duration of the block; yields its base URL.

    Port 0 picks a free port. A start-up failure (port in use, a lifespan error) is raised
    here; on exit the server finishes open requests and runs the app's shutdown.
    """
    server = _QuietServer(uvicorn_config(app, host=host, port=port, lifespan=lifespan))
    task = asyncio.create_task(server.serve(), name=f"uvicorn {host}:{port}")
    try:
        while not server.started:
            if task.done():
                task.result()  # re-raise the start-up failure
                raise RuntimeError(f"server on {host}:{port} stopped during start-up")
            await asyncio.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        await task
