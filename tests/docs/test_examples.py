"""The example configs run as written: ``examples/doubles.toml`` against the vendor doubles
served exactly as its comment says, on the ports it names."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "doubles.toml"
INTERLOCK = Path(sys.executable).with_name("interlock")


def _commands() -> list[list[str]]:
    """The ``interlock …`` lines of the example's header comment, as argument lists."""
    lines = [line.lstrip("# ").rstrip(" &") for line in EXAMPLE.read_text().splitlines()]
    return [line.split() for line in lines if line.startswith("interlock ")]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def doubles() -> Iterator[list[list[str]]]:
    commands = _commands()
    serving = [c for c in commands if c[1:3] == ["vendors", "serve"]]
    assert len(serving) == 3
    processes = [
        subprocess.Popen([str(INTERLOCK), *c[1:]], cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
        for c in serving
    ]
    try:
        for command in serving:
            _wait_for(int(command[command.index("--port") + 1]))
        yield [c for c in commands if c not in serving]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_the_doubles_example_runs_as_written(doubles: list[list[str]]) -> None:
    (listing,) = doubles
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK")}
    result = subprocess.run(  # noqa: S603  (the example file's own command)
        [str(INTERLOCK), *listing[1:], "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sessions = json.loads(result.stdout)
    assert {s["ref"]["account"] for s in sessions} == {
        "sandbox-demo",
        "dingtalk-hq",
        "beisen-cn",
        "yonyou-bip",
    }
    assert {s["state"] for s in sessions} == {"in_progress"}
