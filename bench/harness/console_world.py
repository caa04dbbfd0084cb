"""Vendor doubles with seeded worlds for the console's browser tests and benchmark.

``python -m harness.console_world SPEC.json OUT.json`` serves the DingTalk, Beisen and Yonyou
doubles over loopback, each with ``sessions`` seeded sessions (every state, the same six
positions), plus a control API the tests use to stage what a real vendor would do:

* ``POST /candidate?account=&session=&name=`` renames a candidate (an XSS attempt);
* ``POST /fault?account=&fault=&times=&after=`` fails the next mutating calls (a batch item
  that fails with the vendor's message);
* ``POST /remove?account=&session=`` deletes a session at the vendor (a batch item the vendor
  then refuses, with its own message);
* ``POST /session?account=&state=&title=`` adds a session of that position in that state.

:func:`start_console_world` starts it and waits for ``OUT.json`` (account → adapter options,
control URL). Nothing here ships in the product.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .loopback import free_port, harness_env

__all__ = ["ACCOUNTS", "start_console_world", "write_console_config"]

#: account → adapter of the console world.
ACCOUNTS = {"dingtalk-hq": "dingtalk", "beisen-cn": "beisen", "yonyou-group": "yonyou"}


async def _serve(sessions: int, out: Path) -> None:
    import uvicorn
    from fastapi import FastAPI

    from interlock.doubles import DoubleSettings, Fault, make_double, serve
    from interlock.models import SessionState
    from interlock.plugins import get_plugin_manager

    plugins = get_plugin_manager()
    doubles = {
        account: make_double(
            plugins.adapter(adapter), DoubleSettings(seed=7, sessions=sessions, qps=5_000)
        )
        for account, adapter in ACCOUNTS.items()
    }
    control = FastAPI()

    @control.post("/candidate")
    async def rename(account: str, session: str, name: str) -> dict[str, str]:
        doubles[account].world.get(session).candidate_name = name
        return {"ok": "renamed"}

    @control.post("/fault")
    async def fault(account: str, fault: str, times: int = 1, after: int = 0) -> dict[str, int]:
        doubles[account].inject(Fault(fault), times=times, only_mutations=True, after=after)
        return {"times": times}

    @control.post("/remove")
    async def remove(account: str, session: str) -> dict[str, str]:
        del doubles[account].world.sessions[session]  # deleted at the vendor meanwhile
        return {"ok": "removed"}

    @control.post("/session")
    async def add(account: str, state: str, title: str) -> dict[str, str]:
        world = doubles[account].world
        index = next(i for i, p in enumerate(world.positions) if p.title == title)
        return {"id": world.add(SessionState(state), index=index).id}

    @control.get("/sessions/{account}")
    async def listing(account: str) -> list[dict[str, str]]:
        return [
            {
                "id": s.id,
                "state": s.state.value,
                "title": s.position.title,
                "position_id": s.position.id,
            }
            for s in doubles[account].world.sessions.values()
        ]

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(control, host="127.0.0.1", port=port, log_level="warning")
    )
    async with contextlib.AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(serve(d)) for name, d in doubles.items()}
        info = {
            "control": f"http://127.0.0.1:{port}",
            "accounts": {
                name: {"adapter": ACCOUNTS[name], "options": d.adapter_options(urls[name])}
                for name, d in doubles.items()
            },
        }
        out.write_text(json.dumps(info), encoding="utf-8")  # noqa: ASYNC240 - once, tiny
        await server.serve()


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def write_console_config(path: Path, info: dict[str, Any], database_url: str) -> None:
    """``interlock.toml`` for the world's accounts (zone Asia/Shanghai, no vendor limits)."""
    lines = ["[gateway]", f"database_url = {json.dumps(database_url)}"]
    for name, account in info["accounts"].items():
        lines += ["", f'[accounts."{name}"]', f"adapter = {json.dumps(account['adapter'])}"]
        lines.append('timezone = "Asia/Shanghai"')
        lines += [f"{key} = {_toml(value)}" for key, value in account["options"].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_console_world(
    workdir: Path, sessions: int = 48
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start the doubles process; returns it and its info (control URL, account options)."""
    out = workdir / "console-world.json"
    out.unlink(missing_ok=True)
    with (workdir / "console-world.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "harness.console_world", str(sessions), str(out)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=harness_env(),
        )
    deadline = time.monotonic() + 60
    while not out.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"console world did not start; see {workdir / 'console-world.log'}")
        time.sleep(0.05)
    return process, json.loads(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), Path(sys.argv[2])))
