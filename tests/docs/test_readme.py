"""The README tells the truth: its capability matrix, its SDK example and its example config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interlock.config import load_accounts
from interlock.plugins import get_plugin_manager
from interlock_gateway.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COLUMNS = ("pause", "resume", "terminate", "revoke", "restore", "native_batch", "filters", "events")


def readme_matrix() -> dict[str, tuple[str, ...]]:
    block = README.split("<!-- capability-matrix:start -->")[1].split(
        "<!-- capability-matrix:end -->"
    )[0]
    rows = [line.strip("| ").split(" | ") for line in block.strip().splitlines()[2:]]
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_two_setup_commands_come_first() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands[:2] == ["make demo", "make test"]


def test_capability_matrix_matches_the_installed_adapters() -> None:
    result = CliRunner().invoke(app, ["adapters", "--json"])
    assert result.exit_code == 0
    actual = {
        row["adapter"]: tuple(row[c] for c in COLUMNS)
        for row in json.loads(result.stdout)["adapters"]
    }
    assert readme_matrix() == actual


def test_sdk_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    example = README.split("## The SDK (direct")[1].split("```python\n")[1].split("```")[0]
    (tmp_path / "interlock.toml").write_text(
        '[accounts.sandbox-demo]\nadapter = "sandbox"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "applied in_progress paused"
    assert any("terminated" not in line and "applied" in line for line in printed[1:])


def test_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = (
        "DINGTALK_APP_SECRET",
        "DINGTALK_CALLBACK_TOKEN",
        "DINGTALK_CALLBACK_AES_KEY",
        "BEISEN_APP_SECRET",
        "YONYOU_APP_SECRET",
    )
    env = dict.fromkeys(secrets, "x" * 43)
    accounts = load_accounts(ROOT / "examples" / "interlock.toml", get_plugin_manager(), env=env)
    assert {a.name: a.spec.name for a in accounts} == {
        "sandbox-demo": "sandbox",
        "dingtalk-hq": "dingtalk",
        "beisen-cn": "beisen",
        "yonyou-bip": "yonyou",
    }
