"""The layering rules (``[tool.importlinter]`` in pyproject.toml) hold, and each one bites.

Each planted violation is added to a copy of the packages, found first on ``PYTHONPATH``;
``lint-imports`` must then report exactly the contract that forbids it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = {"interlock": ROOT / "sdk", "interlock_gateway": ROOT / "service"}


def lint_imports(*args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    return subprocess.run(  # noqa: S603 - the venv's own tool
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_contract_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


PLANTED = [
    pytest.param(
        "interlock_gateway/operations/accept.py", "import fastapi", "http-only-in-api", id="http"
    ),
    pytest.param(
        "interlock_gateway/operations/rows.py",
        "from interlock_gateway.worker import queue",
        "gateway-layers",
        id="operations-imports-worker",
    ),
    pytest.param(
        "interlock_gateway/worker/breaker.py",
        "from interlock_gateway.api import views",
        "gateway-layers",
        id="worker-imports-api",
    ),
    pytest.param(
        "interlock_gateway/operations/phases.py",
        "from interlock_gateway import runtime",
        "runtime-only-at-the-top",
        id="runtime-below-app",
    ),
    pytest.param(
        "interlock_gateway/worker/breaker.py", "import httpx", "gateway-no-vendor-code", id="httpx"
    ),
    pytest.param(
        "interlock_gateway/operations/rows.py",
        "import interlock_sandbox",
        "gateway-no-vendor-code",
        id="adapter",
    ),
    pytest.param(
        "interlock_gateway/api/views.py",
        "from interlock_gateway.store import engine",
        "api-no-database",
        id="api-database",
    ),
    pytest.param(
        "interlock_gateway/audit/canonical.py",
        "from interlock_gateway.audit import trail",
        "gateway-acyclic",
        id="cycle",
    ),
    pytest.param(
        "interlock/errors.py", "import interlock_gateway", "sdk-adapters-gateway", id="sdk-up"
    ),
    # The console is an HTTP layer beside the API: neither imports the other, it reads and
    # writes through operations, and it receives its parts from the app.
    pytest.param(
        "interlock_gateway/console/rows.py",
        "from interlock_gateway.api import views",
        "gateway-layers",
        id="console-imports-api",
    ),
    pytest.param(
        "interlock_gateway/api/views.py",
        "from interlock_gateway.console import rows",
        "gateway-layers",
        id="api-imports-console",
    ),
    pytest.param(
        "interlock_gateway/console/filters.py",
        "from interlock_gateway.store import engine",
        "api-no-database",
        id="console-database",
    ),
    pytest.param(
        "interlock_gateway/console/i18n.py",
        "from interlock_gateway import runtime",
        "runtime-only-at-the-top",
        id="console-imports-runtime",
    ),
    pytest.param(
        "interlock_gateway/gates.py",
        "from interlock_gateway.console import web",
        "gateway-layers",
        id="gates-imports-console",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("module", "line", "contract"), PLANTED)
def test_a_planted_violation_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    for package, parent in PACKAGES.items():
        shutil.copytree(
            parent / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # planted\n")

    result = lint_imports("--contract", contract, pythonpath=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    importer = Path(module).stem  # the report names the importer (in full, or relative)
    assert f".{importer} " in result.stdout  # broken by the planted line, nothing else
