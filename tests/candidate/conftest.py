"""A real ``interlock serve`` (DingTalk, Beisen and Yonyou doubles over loopback) whose pauses
issue resume links, and Debian's Chromium through Playwright's sync API (package scope, like
the console's: the sync API holds an event loop while it runs)."""

from __future__ import annotations

import asyncio
import os
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
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
RESUME_WINDOW_S = 12


@dataclass
class Served:
    """The running gateway, the admin's key and the doubles' control API."""

    url: str
    control: str
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys['admin']}"}

    def stage(self, state: str = "in_progress", account: str = "dingtalk-hq") -> str:
        params = {"account": account, "state": state, "title": "Backend Engineer"}
        session_id: str = httpx.post(f"{self.control}/session", params=params).json()["id"]
        return session_id

    def post(self, path: str, body: Any, key: str) -> httpx.Response:
        headers = {**self.headers(), "Idempotency-Key": key}
        return httpx.post(f"{self.url}{path}", json=body, headers=headers, timeout=30)

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.url}{path}", headers=self.headers(), timeout=30)
        response.raise_for_status()
        return response.json()

    def pause(self, session_id: str, account: str = "dingtalk-hq") -> dict[str, Any]:
        path = f"/v1/accounts/{account}/sessions/{session_id}/pause"
        response = self.post(path, {"reason": {"code": "operator_error"}}, f"p-{session_id}")
        assert response.status_code == 200, response.text
        op: dict[str, Any] = self.get(f"/v1/operations/{response.json()['id']}")
        return op

    def state(self, session_id: str, account: str = "dingtalk-hq") -> str:
        state: str = self.get(f"/v1/accounts/{account}/sessions/{session_id}")["state"]
        return state


async def _admin_key(database_url: str) -> dict[str, str]:
    from interlock_gateway.principals import create_principal
    from interlock_gateway.store import Database, upgrade

    await upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.write() as session:
            created = await create_principal(session, "admin", "admin")
    finally:
        await db.dispose()
    return {"admin": created.key}


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
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("candidate")
    world, info = start_console_world(workdir, sessions=12)
    server: subprocess.Popen[bytes] | None = None
    try:
        database_url = f"sqlite+aiosqlite:///{workdir / 'interlock.db'}"
        keys = asyncio.run(_admin_key(database_url))
        config = workdir / "interlock.toml"
        write_console_config(config, info, database_url)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "INTERLOCK_CONFIG": str(config),
            "INTERLOCK_GATEWAY_DATA_DIR": str(workdir / "data"),
            "INTERLOCK_GATEWAY_UNDO_WINDOW": "0",
            "INTERLOCK_GATEWAY_RESUME_WINDOW": str(RESUME_WINDOW_S),
            "INTERLOCK_GATEWAY_WORKER_POLL_INTERVAL": "0.1",
            "INTERLOCK_GATEWAY_MUTATION_RATE": "0",
            "INTERLOCK_NOTIFICATIONS_LINK_BASE_URL": url,
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
        _wait_ready(url, server, log)
        yield Served(url=url, control=info["control"], keys=keys)
    finally:
        for process in (server, world):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized page in zh-CN (the candidate's usual device)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()
