"""Console overhead: the sessions page vs the same ``GET /v1/sessions``, same run, same data.

10,000 sessions across the DingTalk, Beisen and Yonyou doubles (served over loopback by
``harness.console_world``), a real ``interlock serve``; an admin signed in to the console.
For the first page and a filtered page (state in progress, one account) it times the API
call and the console page (50 sessions each, as the console shows) alternately, and prints
the medians and the ratio (goal: console ≤ 1.5 × API).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from harness.console_world import start_console_world, write_console_config
from harness.loopback import free_port

SESSIONS_PER_DOUBLE = 3_334  # 10,002 across the three doubles
ROUNDS = int(os.environ.get("CONSOLE_BENCH_ROUNDS", "15"))
GOAL = 1.5
CASES = {
    "first page": ("", ""),
    "filtered page": ("state=in_progress&account=beisen-cn", "state=in_progress&account=beisen-cn"),
}


async def _admin_key(database_url: str) -> str:
    from interlock_gateway.principals import create_principal
    from interlock_gateway.store import Database, upgrade

    await upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.write() as session:
            return (await create_principal(session, "bench-admin", "admin")).key
    finally:
        await db.dispose()


def _median_ms(client: httpx.Client, url: str, **kwargs: object) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url, **kwargs)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        world, info = start_console_world(workdir, sessions=SESSIONS_PER_DOUBLE)
        server = None
        try:
            database_url = f"sqlite+aiosqlite:///{workdir / 'interlock.db'}"
            key = asyncio.run(_admin_key(database_url))
            config = workdir / "interlock.toml"
            write_console_config(config, info, database_url)
            port = free_port()
            env = {**os.environ, "INTERLOCK_CONFIG": str(config)}
            env["INTERLOCK_GATEWAY_DATA_DIR"] = str(workdir / "data")
            cli = str(Path(sys.executable).with_name("interlock"))
            server = subprocess.Popen(  # noqa: S603 - our own CLI
                [cli, "serve", "--port", str(port), "--no-migrate", "--log-level", "warning"],
                env=env,
            )
            url = f"http://127.0.0.1:{port}"
            _run(url, key)
        finally:
            for process in (server, world):
                if process is not None:
                    process.terminate()
                    process.wait(10)


def _run(url: str, key: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(300):
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        signin = client.get("/console/signin")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', signin.text)
        assert csrf is not None
        client.post("/console/signin", data={"csrf_token": csrf.group(1), "key": key})
        headers = {"Authorization": f"Bearer {key}"}
        print(f"{'page':<15} {'API ms':>8} {'console ms':>11} {'ratio':>6}")
        for name, (api_query, console_query) in CASES.items():
            api_url = "/v1/sessions?page_size=50" + (f"&{api_query}" if api_query else "")
            console_url = "/console/sessions" + (f"?{console_query}" if console_query else "")
            client.get(api_url, headers=headers)  # warm both paths
            client.get(console_url)
            api, console = [], []
            for _ in range(2):  # alternate, so drift on a noisy machine hits both
                api += _median_ms(client, api_url, headers=headers)
                console += _median_ms(client, console_url)
            a, c = statistics.median(api), statistics.median(console)
            print(f"{name:<15} {a:>8.1f} {c:>11.1f} {c / a:>6.2f}  (goal ≤ {GOAL})")


if __name__ == "__main__":
    main()
