"""Serve a vendor double over real HTTP: a minimal ASGI bridge to :meth:`VendorDouble.handle`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from interlock.doubles._base import VendorDouble

__all__ = ["asgi_app", "serve"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HANG_S = 60.0  # an injected timeout over real HTTP: hold the connection past any client timeout


def asgi_app(double: VendorDouble) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI application serving ``double``; the request keeps the double's own host, and
    ``request.extensions["client"]`` is the peer's ``(host, port)``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{double.base_url}{scope['path']}" + (f"?{query}" if query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        # The peer address travels in the request's extensions: doubles that check the caller's
        # IP (e.g. a vendor's trusted-IP list) read ``request.extensions["client"]``.
        client = scope.get("client")
        extensions = {"client": (str(client[0]), int(client[1]))} if client else {}
        request = httpx.Request(
            scope["method"], url, headers=headers, content=body, extensions=extensions
        )
        try:
            response = await double.handle(request)
        except httpx.TimeoutException:
            # Hold the connection until the client gives up and hangs up (or _HANG_S), so that
            # it sees a timeout and a server shutting down is not held up by the hang.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_until_disconnect(receive), _HANG_S)
            return
        except httpx.TransportError as exc:
            # Start a response and break off: the client sees the connection drop mid-answer
            # (an exception before the start would only become a tidy HTTP 500).
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1")],
                }
            )
            raise ConnectionResetError(str(exc)) from exc
        content = await response.aread()
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1"))
                    for k, v in response.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding")
                ]
                + [(b"content-length", str(len(content)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": content})

    return app


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


@contextlib.asynccontextmanager
async def serve(
    double: VendorDouble, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``double`` over real HTTP on loopback for the duration of the block.

    Yields the base URL (``http://127.0.0.1:PORT``; port 0 picks a free one). Used by black-box
    probes, the demo, benchmarks and crash tests.
    """
    import uvicorn  # imported here: only serving needs it

    config = uvicorn.Config(
        asgi_app(double), host=host, port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # re-raise a start-up failure (port in use, ...)
            await asyncio.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        await task
