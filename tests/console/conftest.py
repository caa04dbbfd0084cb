"""A real ``interlock serve`` with the DingTalk, Beisen and Yonyou doubles over loopback, and
Debian's Chromium driven by Playwright (never downloaded: ``/usr/bin/chromium``).

The gateway and the doubles are started once per test session; each test stages its own
sessions through the doubles' control API so that tests do not depend on each other.
Screenshots go to ``.interlock/console-screenshots/`` (the best are copied to docs/console/).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.console_world import start_console_world, write_console_config
from harness.loopback import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".interlock" / "console-screenshots"
PRINCIPALS: dict[str, dict[str, Any]] = {
    "spec": {"role": "specialist", "titles": ("Backend Engineer", "Sales Director")},
    "mgr": {"role": "manager", "departments": ("rnd", "sales")},
    "admin": {"role": "admin"},
    "auditor": {"role": "auditor"},
}


@dataclass
class Gateway:
    """The running gateway: its URL, each principal's key and the doubles' control API."""

    url: str
    control: str
    keys: dict[str, str] = field(default_factory=dict)

    def stage(self, account: str, state: str, title: str, name: str | None = None) -> str:
        """A fresh session at the vendor (``state``, position ``title``); its id."""
        params = {"account": account, "state": state, "title": title}
        session_id: str = httpx.post(f"{self.control}/session", params=params).json()["id"]
        if name is not None:
            self.rename(account, session_id, name)
        return session_id

    def rename(self, account: str, session_id: str, name: str) -> None:
        params = {"account": account, "session": session_id, "name": name}
        httpx.post(f"{self.control}/candidate", params=params).raise_for_status()

    def fault(self, account: str, fault: str, times: int = 1, after: int = 0) -> None:
        params = {"account": account, "fault": fault, "times": times, "after": after}
        httpx.post(f"{self.control}/fault", params=params).raise_for_status()

    def remove(self, account: str, session_id: str) -> None:
        params = {"account": account, "session": session_id}
        httpx.post(f"{self.control}/remove", params=params).raise_for_status()

    def api(self, who: str, path: str) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[who]}"}
        response = httpx.get(f"{self.url}{path}", headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()


ACCOUNTS = ("dingtalk-hq", "beisen-cn", "yonyou-group")


def _position_ids(control: str, titles: tuple[str, ...]) -> list[str]:
    """``account/position`` grants of the positions titled ``titles`` on every account."""
    ids: set[str] = set()
    for account in ACCOUNTS:
        for row in httpx.get(f"{control}/sessions/{account}").json():
            if row["title"] in titles:
                ids.add(f"{account}/{row['position_id']}")
    return sorted(ids)


async def _principals(database_url: str, control: str) -> dict[str, str]:
    from interlock_gateway.principals import create_principal
    from interlock_gateway.store import Database, upgrade

    await upgrade(database_url)
    db = Database(database_url)
    keys = {}
    try:
        async with db.write() as session:
            for name, spec in PRINCIPALS.items():
                positions = _position_ids(control, spec.get("titles", ()))
                created = await create_principal(
                    session,
                    name,
                    spec["role"],
                    positions=positions,
                    departments=[f"{a}/{d}" for a in ACCOUNTS for d in spec.get("departments", ())],
                )
                keys[name] = created.key
    finally:
        await db.dispose()
    return keys


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"interlock serve exited; see {log}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"interlock serve did not become ready; see {log}")


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp("console")
    world, info = start_console_world(workdir, sessions=48)
    server: subprocess.Popen[bytes] | None = None
    try:
        database_url = f"sqlite+aiosqlite:///{workdir / 'interlock.db'}"
        keys = asyncio.run(_principals(database_url, info["control"]))
        config = workdir / "interlock.toml"
        write_console_config(config, info, database_url)
        port = free_port()
        env = {
            **os.environ,
            "INTERLOCK_CONFIG": str(config),
            "INTERLOCK_GATEWAY_DATA_DIR": str(workdir / "data"),
            "INTERLOCK_GATEWAY_UNDO_WINDOW": "300",
            "INTERLOCK_GATEWAY_SYNC_WAIT": "5",
            "INTERLOCK_GATEWAY_WORKER_POLL_INTERVAL": "0.1",
            "INTERLOCK_GATEWAY_MUTATION_RATE": "0",
            "INTERLOCK_GATEWAY_WORKER_MAX_ATTEMPTS": "1",
        }
        cli = str(Path(sys.executable).with_name("interlock"))
        log = workdir / "gateway.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # noqa: S603 - our own CLI
                [cli, "serve", "--port", str(port), "--no-migrate", "--log-level", "warning"],
                env=env,
                stdout=out,
                stderr=out,
            )
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, server, log)
        yield Gateway(url=url, control=info["control"], keys=keys)
    finally:
        for process in (server, world):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


# Package scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is started, which would break every asyncio test collected after these.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
