"""The README's CLI block runs as written, in bash, against a real gateway on loopback (only
the demo's port is replaced by the test gateway's; the key comes from ``INTERLOCK_API_KEY`` as
the login prompt allows)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from client.conftest import Served, served  # noqa: F401  (the gateway the block talks to)

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO_URL = "http://127.0.0.1:8080"


def cli_block() -> str:
    section = README.split("## The CLI\n")[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1)


def test_the_readme_cli_block_runs_as_written(served: Served, tmp_path: Path) -> None:  # noqa: F811
    script = cli_block()
    assert DEMO_URL in script
    assert "interlock direct" not in script  # people's commands go through the gateway
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "INTERLOCK_CONFIG_HOME": str(tmp_path / "profiles"),
        "INTERLOCK_API_KEY": served.keys["spec"],
        "COLUMNS": "80",
    }
    result = subprocess.run(  # noqa: S603
        ["/bin/bash", "-euo", "pipefail", "-c", script.replace(DEMO_URL, served.url)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"logged in to {served.url} as spec (specialist)" in result.stdout
    assert "held — commits" not in result.stdout  # -q printed only the operation id
    last = json.loads(result.stdout[result.stdout.rindex("\n[") :])  # the final --json listing
    assert isinstance(last, list)
