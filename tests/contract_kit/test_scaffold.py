"""``interlock adapter new``: the project installs, and the suite says what to implement next.

End to end in a throwaway virtual environment (see ``_venv.py``): scaffold, ``pip install -e``,
``interlock contract NAME``. Plus the scaffold's own rules (names, folders, file layout).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest
from _venv import Venv, make_venv
from typer.testing import CliRunner

from interlock_contract.runner import run_contract
from interlock_contract.scaffold import ScaffoldError, write_project
from interlock_gateway.cli import app

NAME = f"kit{uuid.uuid4().hex[:8]}"
CLS = NAME.capitalize()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("scaffold") / f"interlock-{NAME}"
    result = CliRunner().invoke(app, ["adapter", "new", NAME, "--dir", str(target)])
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, project: Path) -> Venv:
    venv = make_venv(tmp_path_factory.mktemp("venv") / "env")
    installed = venv.pip_install_editable(project)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


def test_project_has_the_style_guide_layout(project: Path) -> None:
    package = project / f"interlock_{NAME}"
    expected = {
        "plugin.py",
        "options.py",
        "adapter.py",
        "_client.py",
        "_interpret.py",
        "_models.py",
        "_mapping.py",
        "_errors.py",
        "double/_app.py",
    }
    assert expected <= {str(p.relative_to(package)) for p in package.rglob("*.py")}
    assert (project / "tests" / "test_contract.py").exists()
    assert f"interlock contract {NAME}" in (project / "README.md").read_text()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    entry_points = pyproject["project"]["entry-points"]["interlock.adapters"]
    assert entry_points == {NAME: f"interlock_{NAME}.plugin"}
    # the kit's own dependencies come with the project's test extra
    assert "interlock[contract]" in pyproject["project"]["optional-dependencies"]["test"]
    assert pyproject["tool"]["pytest"]["ini_options"]["asyncio_mode"] == "auto"
    assert pyproject["tool"]["mypy"]["strict"] is True


def test_scaffold_compiles(project: Path) -> None:
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


def test_installed_scaffold_runs_the_suite_and_names_the_next_todo(venv: Venv) -> None:
    listed = venv.interlock("adapters", "--json")
    assert f'"adapter": "{NAME}"' in listed.stdout, listed.stdout + listed.stderr
    run = venv.interlock("contract", NAME, "--json")
    assert run.returncode == 1, run.stdout + run.stderr
    (report,) = json.loads(run.stdout)["adapters"]
    failed = {f["check"].split("[")[0] for f in report["failures"]}
    # a bare skeleton passes (almost) nothing: only the check of its own bypass list
    assert report["passed"] <= 1, report
    assert "test_declared_features_are_implemented" in failed
    assert "test_capabilities_are_data" in failed
    text = venv.interlock("contract", NAME)
    output = " ".join((text.stdout + text.stderr).split())  # undo Rich's line wrapping
    assert f"interlock contract {NAME}: FAILED" in output
    # the first cause, the double (written first, as the guide says), counting every failure
    first = f"next: NotImplementedError: TODO: implement {CLS}Double.dispatch"
    assert first in output, output[-2000:]
    assert f"({report['failed']} failing checks)" in output
    assert f"TODO: implement {CLS}Adapter.get_session" in output


def test_strict_mypy_sees_the_editable_interlock(project: Path) -> None:
    checked = subprocess.run(  # noqa: S603 - our interpreter, our arguments
        [sys.executable, "-m", "mypy", "--strict", str(project / f"interlock_{NAME}")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Cannot find implementation or library stub" not in checked.stdout, checked.stdout
    assert "missing library stubs or py.typed" not in checked.stdout, checked.stdout


def test_without_the_kits_dependencies_the_error_says_how_to_fix_it(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120
    )
    run = run_contract("sandbox", python=str(bare / "bin" / "python"))
    assert not run.ok
    assert run.problem is not None
    assert "needs pytest and respx" in run.problem
    assert "pip install 'interlock[contract]'" in run.problem


def test_scaffolded_tests_collect_the_whole_suite(venv: Venv, project: Path) -> None:
    collected = venv.run("-m", "pytest", str(project / "tests"), "--co", "-q", "-p", "no:asyncio")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert f"Test{CLS}Contract::test_fault_matrix[pause-5xx-once]" in collected.stdout


@pytest.mark.parametrize(
    ("name", "problem"),
    [("Acme", "not a valid adapter name"), ("a", "not a valid adapter name")],
)
def test_bad_names_are_refused(tmp_path: Path, name: str, problem: str) -> None:
    with pytest.raises(ScaffoldError, match=problem):
        write_project(name, tmp_path / "x")


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(app, ["adapter", "new", "acme", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert not (tmp_path / "pyproject.toml").exists()
