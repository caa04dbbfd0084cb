"""``interlock demo`` end to end: start it, run the curl commands it prints, stop it with Ctrl-C."""

from __future__ import annotations

import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest
from typer.testing import CliRunner

from interlock_gateway.cli import app as cli

START_TIMEOUT_S = 90.0
LAUNCH = "from interlock_gateway.cli import main; main()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Demo:
    """The running demo: its process, the banner it printed, and its output streams."""

    process: subprocess.Popen[str]
    banner: list[str]
    lines: queue.Queue[str]
    errors: queue.Queue[str]
    readers: list[threading.Thread]

    def stop(self, sig: signal.Signals) -> tuple[int, list[str], list[str]]:
        """Send ``sig``; the exit code, the rest of stdout and all of stderr."""
        self.process.send_signal(sig)
        code = self.process.wait(timeout=60)
        for reader in self.readers:
            reader.join(timeout=10)
        return code, _drain(self.lines), _drain(self.errors)

    def keys(self) -> dict[str, str]:
        start = self.banner.index("API keys (shown once):") + 1
        rows = [line.split() for line in self.banner[start : start + 4]]
        return dict(rows)

    def curls(self) -> list[str]:
        return [line.strip() for line in self.banner if line.strip().startswith("curl ")]


def _pump(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


def _drain(lines: queue.Queue[str]) -> list[str]:
    return [lines.get_nowait() for _ in range(lines.qsize())]


def _reader(stream: IO[str] | None, into: queue.Queue[str]) -> threading.Thread:
    assert stream is not None
    thread = threading.Thread(target=_pump, args=(stream, into), daemon=True)
    thread.start()
    return thread


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
        [sys.executable, "-c", LAUNCH, "demo", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    errors: queue.Queue[str] = queue.Queue()
    readers = [_reader(process.stdout, lines), _reader(process.stderr, errors)]
    banner: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    while not banner or not banner[-1].startswith("Ready."):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            process.kill()
            process.wait(timeout=10)
            shown = "\n".join(banner + _drain(errors))
            pytest.fail(f"the demo did not become ready:\n{shown}")
        try:
            banner.append(lines.get(timeout=min(remaining, 1.0)))
        except queue.Empty:
            continue
    try:
        yield Demo(process, banner, lines, errors, readers)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for reader in readers:
            reader.join(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def as_request(curl: str) -> httpx.Request:
    """The request a printed ``curl`` command makes (-X, -H, -d and the URL)."""
    words = shlex.split(curl)[1:]
    method, headers, body, url = "GET", {}, None, ""
    while words:
        word = words.pop(0)
        if word == "-X":
            method = words.pop(0)
        elif word == "-H":
            name, _, value = words.pop(0).partition(": ")
            headers[name] = value
        elif word == "-d":
            body = words.pop(0).encode()
        elif not word.startswith("-"):
            url = word
    return httpx.Request(method, url, headers=headers, content=body)


@pytest.mark.slow
def test_the_demo_serves_its_examples_and_stops_cleanly(demo: Demo, tmp_path: Path) -> None:
    keys = demo.keys()
    assert list(keys) == ["specialist", "manager", "admin", "auditor"]
    assert all(key.startswith("ilk_") for key in keys.values())
    list_sessions, pause, audit = demo.curls()

    with httpx.Client(timeout=30) as client:
        listed = client.send(as_request(list_sessions))
        assert listed.status_code == 200, listed.text
        assert listed.json()["sessions"]  # the specialist owns seeded sessions

        paused = client.send(as_request(pause))
        assert paused.status_code == 200, paused.text
        assert paused.json()["outcome"] == "applied"
        assert paused.json()["actor"] == "specialist"

        trail = client.send(as_request(audit))
        assert trail.status_code == 200, trail.text
        actions = [r["record"]["action"] for r in trail.json()["records"]]
        assert "operation.pause.outcome" in actions

        base = list_sessions.split('"')[-2].split("/v1/")[0]
        ready = client.get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        assert len(ready.json()["checks"]["accounts"]) >= 1

    assert (tmp_path / ".interlock/demo/interlock.toml").is_file()
    assert (tmp_path / ".interlock/demo/interlock.db").is_file()

    code, out, err = demo.stop(signal.SIGINT)
    assert code == 0, "\n".join(err)
    assert not [line for line in err if "Traceback" in line]
    assert out[-1] == "Stopped."


def test_the_demo_binds_loopback_only() -> None:
    result = CliRunner().invoke(cli, ["demo", "--host", "0.0.0.0"])  # noqa: S104 - refused
    assert result.exit_code == 1
    assert "loopback only" in result.output


def test_the_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--data-dir", str(tmp_path), "--port", "1"])
    assert result.exit_code in (1, 2)
    assert (tmp_path / "precious.txt").read_text() == "keep me"
