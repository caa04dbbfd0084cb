"""``interlock contract``: naming, ``--all``, broken plug-ins, adapters without a double.

The suite itself is faked here (``run_contract`` is replaced) except in one real run against the
sandbox and one against a really broken plug-in in a throwaway environment.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from _venv import make_venv
from typer.testing import CliRunner

from interlock.plugins import LoadedPlugins, PluginLoadFailure, get_plugin_manager
from interlock_contract.runner import CheckResult, ContractRun
from interlock_gateway.cli import app
from interlock_gateway.cli import contract as contract_cli

runner = CliRunner()


def _plain(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def plugins() -> LoadedPlugins:
    """The installed adapters plus a broken plug-in and an adapter without a double."""
    loaded = get_plugin_manager()
    sandbox = loaded.adapters["sandbox"]
    adapters = {
        "sandbox": sandbox,
        "nodouble": replace(sandbox, name="nodouble", double_factory=None),
    }
    failures = [
        PluginLoadFailure("brokenimport", "import failed: ImportError: boom", "fix the import")
    ]
    return LoadedPlugins(loaded.manager, adapters, failures)


@pytest.fixture
def fake_runs(monkeypatch: pytest.MonkeyPatch, plugins: LoadedPlugins) -> list[str]:
    """Replace the subprocess run with canned results; record which adapters ran."""
    ran: list[str] = []

    def run_contract(name: str, **_: Any) -> ContractRun:
        ran.append(name)
        results = [
            CheckResult("x::T::test_a", "verbs", "passed"),
            CheckResult("x::T::test_b[pause]", "verbs", "skipped", "pause: capability manual"),
        ]
        if name == "failing":
            results.append(
                CheckResult("x::T::test_c", "auth", "failed", "AssertionError: 2 tokens")
            )
        return ContractRun(name, results, returncode=1 if name == "failing" else 0)

    monkeypatch.setattr(contract_cli, "run_contract", run_contract)
    monkeypatch.setattr(contract_cli, "get_plugin_manager", lambda: plugins)
    return ran


def test_one_adapter_prints_the_table_and_passes(fake_runs: list[str]) -> None:
    result = runner.invoke(app, ["contract", "sandbox"])
    output = _plain(result.output)
    assert result.exit_code == 0, output
    assert fake_runs == ["sandbox"]
    assert "interlock contract sandbox: PASSED (1 passed, 0 failed, 1 skipped)" in output
    assert "pause: capability manual" in output


def test_unknown_adapter_lists_the_installed_ones(fake_runs: list[str]) -> None:
    result = runner.invoke(app, ["contract", "sandbx"])
    output = _plain(result.output)
    assert result.exit_code == 1
    assert "INTERLOCK.ADAPTER_NOT_FOUND" in output
    assert "did you mean 'sandbox'?" in output
    assert "installed: nodouble, sandbox" in output
    assert fake_runs == []


def test_broken_plugin_by_name_is_reported_with_the_fix(fake_runs: list[str]) -> None:
    result = runner.invoke(app, ["contract", "brokenimport"])
    output = _plain(result.output)
    assert result.exit_code == 1
    assert "plug-in 'brokenimport' is broken: import failed: ImportError: boom" in output
    assert "fix: fix the import" in output


def test_all_runs_every_adapter_and_fails_for_the_broken_ones(fake_runs: list[str]) -> None:
    result = runner.invoke(app, ["contract", "--all", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert fake_runs == ["sandbox"]  # the adapter without a double is not run, it fails
    verdicts = {a["adapter"]: (a["ok"], a["problem"]) for a in report["adapters"]}
    assert verdicts["sandbox"] == (True, None)
    assert verdicts["nodouble"][0] is False
    assert "registers no vendor double" in verdicts["nodouble"][1]
    assert report["plugin_failures"] == [
        {
            "plugin": "brokenimport",
            "error": "import failed: ImportError: boom",
            "fix": "fix the import",
        }
    ]


def test_a_failing_check_fails_the_run_and_names_it(
    fake_runs: list[str], monkeypatch: pytest.MonkeyPatch, plugins: LoadedPlugins
) -> None:
    plugins.adapters["failing"] = replace(plugins.adapters["sandbox"], name="failing")
    result = runner.invoke(app, ["contract", "failing"])
    output = _plain(result.output)
    assert result.exit_code == 1
    assert "FAILED" in output
    assert "AssertionError: 2 tokens" in output
    assert "auth: test_c" in output


def test_name_or_all_is_required() -> None:
    assert runner.invoke(app, ["contract"]).exit_code == 1
    assert runner.invoke(app, ["contract", "sandbox", "--all"]).exit_code == 1


def test_real_run_against_the_sandbox() -> None:
    result = runner.invoke(app, ["contract", "sandbox", "--json"])
    assert result.exit_code == 0, result.output
    (sandbox,) = json.loads(result.stdout)["adapters"]
    assert sandbox["ok"]
    assert sandbox["failed"] == 0
    assert sandbox["passed"] >= 100
    suites = {s["suite"] for s in sandbox["suites"]}
    assert {"errors & retries", "auth", "observability", "pagination & filters"} <= suites


BROKEN_PLUGINS = {
    "badimport": "raise ImportError('no such vendor SDK')\n",
    "nohook": "VALUE = 1\n",
    "badsignature": (
        "from interlock import hookimpl\n\n"
        "@hookimpl\n"
        "def interlock_register_adapters(register, extra):\n"
        "    pass\n"
    ),
}


def test_really_broken_plugins_are_named_with_their_fix(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "env")
    for name, source in BROKEN_PLUGINS.items():
        venv.add_entry_point(f"broken-{name}", name, f"broken_{name}", source)
    for name, fix in (
        ("badimport", "fix the module's import error"),
        ("nohook", "decorate `interlock_register_adapters(register)`"),
        ("badsignature", "make the hookimpl's arguments match the hookspec"),
    ):
        run = venv.interlock("contract", name)
        output = _plain(run.stdout + run.stderr)
        assert run.returncode == 1, output
        assert f"plug-in '{name}' is broken" in output
        assert fix in output
    listed = venv.interlock("adapters", "--json")
    assert '"adapter": "sandbox"' in listed.stdout, "a broken plug-in stopped the others"


def test_the_adapters_table_is_readable_at_80_columns() -> None:
    result = runner.invoke(app, ["adapters"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "…" not in result.stdout  # nothing cut off
    # a capability's notes are shown, under the table
    assert any(line.startswith("beisen: ") and "polls" in line for line in lines)
