"""Vendor doubles over loopback, and gateway processes on one database (test harness).

* ``python -m harness.loopback SPEC.json OUT.json`` serves vendor doubles over loopback in a
  process of their own (it must outlive the gateways the tests kill), plus a control API:
  ``GET /stats`` (vendor-side truth: applies per session, throttle rejections, the busiest
  second per API), ``GET /sessions/{name}``, ``POST /outage``.
* :class:`Gateways` writes ``interlock.toml`` for those doubles and starts, kills and
  restarts gateway processes on one database: ``interlock serve``, or the harness's own
  gateway with a crash point (:mod:`.gateway`) when a crash probability is asked for.

"Applied at the vendor" counts every call of the double's state machine for a session,
including same-state calls the world does not count as mutations — a blind resend of a
pause is then visible even though it changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = ["DoubleSpec", "Gateways", "free_port", "harness_env", "start_doubles"]

ADMIN_KEY_ENV = "INTERLOCK_API_KEY"
_BENCH_DIR = Path(__file__).resolve().parents[1]


def harness_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a process that imports the harness (``bench/`` on its path)."""
    env = dict(os.environ if base is None else base)
    paths = [str(_BENCH_DIR), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


@dataclass(frozen=True)
class DoubleSpec:
    """One vendor double to serve: its adapter, limit, latency and running sessions."""

    adapter: str
    account: str
    qps: float
    latency_ms: float = 0.0
    in_progress: int = 100


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- the doubles process ------------------------------------------------------------------


def _instrument(double: Any, applies: Counter[str], outage: dict[str, float]) -> None:
    from interlock.doubles import Fault, FaultPlan

    world_apply = double.world.apply

    def apply(session_id: str, verb: Any, **kwargs: Any) -> Any:
        applies[session_id] += 1
        return world_apply(session_id, verb, **kwargs)

    double.world.apply = apply
    handle = double.handle

    async def handle_with_outage(request: httpx.Request) -> httpx.Response:
        if time.monotonic() < outage.get("until", 0.0):
            return double.render_fault(FaultPlan(Fault.SERVER_ERROR), request)  # type: ignore[no-any-return]
        return await handle(request)  # type: ignore[no-any-return]

    double.handle = handle_with_outage


def _stats(double: Any, applies: Counter[str]) -> dict[str, Any]:
    apis = {api for _, api in double.accepted_at}
    return {
        "qps": double.qps,
        "applied_sessions": len(applies),
        "double_applied": sum(1 for n in applies.values() if n > 1),
        "throttle_rejections": double.throttle_rejections,
        "max_per_second": {api: double.max_calls_in_any_second(api) for api in sorted(apis)},
        "requests": len(double.requests),
    }


async def _serve_doubles(specs: list[DoubleSpec], out: Path) -> None:
    import uvicorn
    from fastapi import FastAPI

    from interlock.doubles import DoubleSettings, make_double
    from interlock.models import SessionState
    from interlock.plugins import get_plugin_manager

    plugins = get_plugin_manager()
    doubles: dict[str, Any] = {}
    applies: dict[str, Counter[str]] = {}
    outages: dict[str, dict[str, float]] = {}
    running: dict[str, list[str]] = {}
    for spec in specs:
        settings = DoubleSettings(sessions=0, latency_ms=spec.latency_ms, qps=spec.qps)
        double = make_double(plugins.adapter(spec.adapter), settings)
        running[spec.account] = [
            double.world.add(SessionState.IN_PROGRESS, index=i).id for i in range(spec.in_progress)
        ]
        applies[spec.account], outages[spec.account] = Counter(), {}
        _instrument(double, applies[spec.account], outages[spec.account])
        doubles[spec.account] = double
    control = FastAPI()

    @control.get("/stats")
    async def stats() -> dict[str, Any]:
        return {name: _stats(d, applies[name]) for name, d in doubles.items()}

    @control.get("/sessions/{account}")
    async def sessions(account: str) -> list[str]:
        return running[account]

    @control.post("/outage")
    async def outage(account: str, seconds: float) -> dict[str, float]:
        outages[account]["until"] = time.monotonic() + seconds
        return {"seconds": seconds}

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(control, host="127.0.0.1", port=port, log_level="warning")
    )
    async with contextlib_stack(doubles) as urls:
        info = {
            "control": f"http://127.0.0.1:{port}",
            "accounts": {
                spec.account: {
                    "adapter": spec.adapter,
                    "qps": spec.qps,
                    "options": doubles[spec.account].adapter_options(urls[spec.account]),
                }
                for spec in specs
            },
        }
        out.write_text(json.dumps(info), encoding="utf-8")  # noqa: ASYNC240 - once, tiny
        await server.serve()


class contextlib_stack:
    """Serve every double for the duration of the block; yields account → base URL."""

    def __init__(self, doubles: dict[str, Any]) -> None:
        import contextlib

        self._stack = contextlib.AsyncExitStack()
        self._doubles = doubles

    async def __aenter__(self) -> dict[str, str]:
        from interlock.doubles import serve

        urls = {}
        for name, double in self._doubles.items():
            urls[name] = await self._stack.enter_async_context(serve(double))
        return urls

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()


def start_doubles(
    specs: list[DoubleSpec], workdir: Path
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start the doubles process; returns it and its info (control URL, account options)."""
    spec_file, out = workdir / "doubles-spec.json", workdir / "doubles.json"
    spec_file.write_text(json.dumps([s.__dict__ for s in specs]), encoding="utf-8")
    out.unlink(missing_ok=True)
    with (workdir / "doubles.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "harness.loopback", str(spec_file), str(out)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=harness_env(),
        )
    deadline = time.monotonic() + 30
    while not out.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"doubles did not start; see {workdir / 'doubles.log'}")
        time.sleep(0.05)
    time.sleep(0.1)
    return process, json.loads(out.read_text(encoding="utf-8"))


# -- gateway processes --------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def _limits_itself(adapter: str) -> bool:
    """Whether the adapter's options take the vendor's limit (``vendor_qps``)."""
    from interlock.plugins import get_plugin_manager

    options = get_plugin_manager().adapter(adapter).options_model
    return "vendor_qps" in options.model_fields


def write_config(path: Path, info: dict[str, Any], *, native: bool, share: float = 0.8) -> None:
    """``interlock.toml`` with one account per double (limits at ``share`` of the vendor's).

    An adapter whose options take ``vendor_qps`` gets the limit there; the others get it
    from ``[batches] vendor_qps``.
    """
    lines = ["[batches]", f"native_batches = {_toml_value(native)}", f"rate_share = {share}"]
    fallback = {}
    for name, account in info["accounts"].items():
        options = dict(account["options"])
        if _limits_itself(account["adapter"]):
            options.update(vendor_qps=float(account["qps"]), rate_share=share)
        else:
            fallback[name] = float(account["qps"])
        lines += [
            "",
            f"[accounts.{name}]",
            f"adapter = {_toml_value(account['adapter'])}",
            'timezone = "Asia/Shanghai"',
            "concurrency = 16",
        ]
        lines += [f"{key} = {_toml_value(value)}" for key, value in options.items()]
    lines[3:3] = ["vendor_qps = {" + ", ".join(f'"{k}" = {v}' for k, v in fallback.items()) + "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Gateways:
    """Gateway processes on one database and one config."""

    workdir: Path
    database_url: str
    config: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def cli(self) -> str:
        return str(Path(sys.executable).with_name("interlock"))

    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            "INTERLOCK_DATABASE_URL": self.database_url,
            "INTERLOCK_CONFIG": str(self.config),
            "INTERLOCK_GATEWAY_DATA_DIR": str(self.workdir / "data"),
            "INTERLOCK_GATEWAY_WORKER_LEASE": "3",
            "INTERLOCK_GATEWAY_WORKER_POLL_INTERVAL": "0.1",
            "INTERLOCK_GATEWAY_SYNC_WAIT": "0",
            "INTERLOCK_GATEWAY_MUTATION_RATE": "0",
            # Terminate is the verb every vendor here supports: sent at once (no undo
            # window) and without approvals, so each item is exactly one vendor mutation.
            "INTERLOCK_GATEWAY_UNDO_WINDOW": "0",
            "INTERLOCK_GATEWAY_PROTECTED_LEVELS": "",
            **self.env,
            **(extra or {}),
        }

    async def admin_key(self) -> str:
        """Migrate the database and create an admin principal; returns its key."""
        from interlock_gateway.principals import create_principal
        from interlock_gateway.store import Database, upgrade

        await upgrade(self.database_url)
        db = Database(self.database_url)
        try:
            async with db.write() as session:
                created = await create_principal(session, "batch-admin", "admin")
        finally:
            await db.dispose()
        return created.key

    def start(self, port: int, *, crash_after_vendor_call: float = 0.0) -> None:
        """Start (or restart) a gateway on ``port``: ``interlock serve``, or the harness's
        gateway that kills itself after a vendor call with the given probability."""
        if crash_after_vendor_call:
            from .gateway import CRASH_ENV

            command = [sys.executable, "-m", "harness.gateway", "--port", str(port)]
            env = harness_env(self._env({CRASH_ENV: str(crash_after_vendor_call)}))
        else:
            command = [self.cli, "serve", "--port", str(port), "--log-level", "warning"]
            command.append("--no-migrate")
            env = self._env()
        with (self.workdir / f"gateway-{port}.log").open("ab") as log:
            self.processes[port] = subprocess.Popen(  # noqa: S603 - our interpreter, our code
                command, env=env, stdout=log, stderr=log
            )

    def kill(self, port: int) -> None:
        """SIGKILL the gateway on ``port`` (no clean shutdown of any kind)."""
        process = self.processes[port]
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()

    def alive(self, port: int) -> bool:
        return self.processes[port].poll() is None

    def stop_all(self) -> None:
        for port in list(self.processes):
            self.kill(port)


async def wait_ready(url: str, seconds: float = 30.0) -> None:
    """Until ``GET /healthz`` answers 200."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"gateway at {url} did not become ready")


def main() -> None:
    """Entry point of the doubles process."""
    spec_file, out = Path(sys.argv[1]), Path(sys.argv[2])
    specs = [DoubleSpec(**raw) for raw in json.loads(spec_file.read_text(encoding="utf-8"))]
    asyncio.run(_serve_doubles(specs, out))


if __name__ == "__main__":
    main()
