"""The README's CLI block runs as written, in bash, against ``interlock demo`` — the gateway
the README tells the reader to start. Only the demo's port is changed (a free one), and the key
the demo printed is given through ``INTERLOCK_API_KEY``, as the login prompt allows."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO_URL = "http://127.0.0.1:8080"
BIN = Path(sys.executable).parent


def cli_block() -> str:
    section = README.split("## The CLI\n")[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``interlock demo`` on a free port: its URL and the specialist's key from its banner."""
    port = _free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "interlock"),
                "demo",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "d"),
            ],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK")},
        )
    try:
        deadline = time.monotonic() + 60
        while "Ready." not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        key = re.search(r"^  specialist\s+(ilk_\S+)$", log.read_text(), re.M)
        assert key is not None
        yield f"http://127.0.0.1:{port}", key.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_readme_cli_block_runs_as_written(demo: tuple[str, str], tmp_path: Path) -> None:
    url, key = demo
    script = cli_block()
    assert DEMO_URL in script
    assert "interlock direct" not in script  # people's commands go through the gateway
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK")},
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "INTERLOCK_CONFIG_HOME": str(tmp_path / "profiles"),
        "INTERLOCK_API_KEY": key,
        "COLUMNS": "80",
    }
    result = subprocess.run(  # noqa: S603
        ["/bin/bash", "-euo", "pipefail", "-c", script.replace(DEMO_URL, url)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"logged in to {url} as specialist" in result.stdout
    assert "undo accounts/dingtalk-hq/sessions/" in result.stdout  # the terminate was undone
    assert "succeeded" in result.stdout  # the batch's summary
    last = json.loads(result.stdout[result.stdout.rindex("\n[") :])  # today's sessions, JSON
    assert isinstance(last, list)
