"""``interlock vendors serve NAME``: a vendor double over loopback HTTP (demo, load tests)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from interlock.doubles import DoubleSettings, make_double, serve
from interlock.plugins import get_plugin_manager
from interlock_gateway.cli._common import console, fail, handle_errors, print_json

app = typer.Typer(help="Run the vendor doubles that ship with each adapter.", no_args_is_help=True)


@app.command("serve")
@handle_errors
def serve_double(
    name: Annotated[str, typer.Argument(help="adapter name, e.g. dingtalk")],
    host: Annotated[str, typer.Option(help="loopback address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="0 picks a free port")] = 0,
    seed: Annotated[int, typer.Option(help="seed of the simulated tenant's data")] = 7,
    sessions: Annotated[int, typer.Option(min=0, help="how many sessions to seed")] = 48,
    latency_ms: Annotated[float, typer.Option("--latency-ms", min=0)] = 0.0,
    qps: Annotated[float | None, typer.Option(min=0.1, help="the vendor's per-API limit")] = None,
    print_options: Annotated[
        bool, typer.Option("--print-options", help="print the adapter options as JSON first")
    ] = False,
) -> None:
    """Serve NAME's vendor double until interrupted (Ctrl-C stops it cleanly)."""
    if not host.startswith("127.") and host not in ("localhost", "::1"):
        fail(f"refusing to bind {host!r}", hint="doubles serve loopback only (127.0.0.1)")
    spec = get_plugin_manager().adapter(name)
    try:
        double = make_double(
            spec,
            DoubleSettings(seed=seed, sessions=sessions, latency_ms=latency_ms, qps=qps),
        )
    except LookupError as exc:
        fail(str(exc))

    async def forever() -> None:
        async with serve(double, host=host, port=port) as url:
            if print_options:
                print_json({"adapter": name, **double.adapter_options(url)})
            else:
                console.print(f"{name} double serving on {url} (Ctrl-C to stop)")
            await asyncio.Event().wait()

    try:
        asyncio.run(forever())
    except KeyboardInterrupt:
        console.print(f"{name} double stopped")
