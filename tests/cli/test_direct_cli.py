"""The CLI in direct SDK mode: JSON output, Rich tables, one-line errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interlock_gateway.cli import app
from interlock_gateway.cli.direct import DIRECT_WARNING

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "interlock.toml"
    path.write_text('[accounts.demo]\nadapter = "sandbox"\nseed = 5\n', encoding="utf-8")
    return path


def session_name(config: Path, state: str) -> str:
    result = runner.invoke(
        app,
        [
            "direct",
            "sessions",
            "list",
            "-c",
            str(config),
            "--state",
            state,
            "--json",
            "--limit",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    ref = json.loads(result.stdout)[0]["ref"]
    return f"accounts/{ref['account']}/sessions/{ref['session_id']}"


def assert_one_line_error(output: str, *needles: str) -> None:
    assert "Traceback" not in output
    told = "\n".join(line for line in output.splitlines() if line != DIRECT_WARNING)
    assert told.startswith("error:")
    for needle in needles:
        assert needle in told


@pytest.mark.parametrize("verb", ["pause", "resume", "terminate", "revoke"])
def test_every_direct_verb_says_what_it_bypasses(config: Path, verb: str) -> None:
    name = session_name(config, "in_progress")
    result = runner.invoke(
        app, ["direct", verb, name, "-c", str(config), "--reason", "operator_error"]
    )
    assert result.stderr.splitlines()[0] == DIRECT_WARNING
    assert "no approval, no undo window and no audit record" in DIRECT_WARNING


def test_adapters_json_lists_the_sandbox() -> None:
    result = runner.invoke(app, ["adapters", "--json"])
    assert result.exit_code == 0
    rows = {row["adapter"]: row for row in json.loads(result.stdout)["adapters"]}
    assert rows["sandbox"]["terminate"] == "native"
    assert rows["sandbox"]["restore"] == "yes"


def test_adapters_human_output_is_a_table() -> None:
    result = runner.invoke(app, ["adapters"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "capability matrix" in result.stdout
    assert "sandbox" in result.stdout


def test_sessions_list_json_masks_personal_data(config: Path) -> None:
    result = runner.invoke(app, ["direct", "sessions", "list", "-c", str(config), "--json"])
    assert result.exit_code == 0
    sessions = json.loads(result.stdout)
    assert len(sessions) == 48
    assert all("*" in s["candidate"]["masked_name"] for s in sessions)
    assert all("****" in s["candidate"]["masked_phone"] for s in sessions)


def test_sessions_list_filters_by_state(config: Path) -> None:
    result = runner.invoke(
        app, ["direct", "sessions", "list", "-c", str(config), "--state", "paused", "--json"]
    )
    assert result.exit_code == 0
    assert {s["state"] for s in json.loads(result.stdout)} == {"paused"}


def test_pause_json_prints_the_result(config: Path) -> None:
    name = session_name(config, "in_progress")
    result = runner.invoke(
        app, ["direct", "pause", name, "-c", str(config), "--reason", "candidate_network", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["outcome"] == "applied"
    assert (body["state_before"], body["state_after"]) == ("in_progress", "paused")


def test_invalid_transition_is_one_line_naming_both_states(config: Path) -> None:
    name = session_name(config, "completed")
    result = runner.invoke(
        app, ["direct", "resume", name, "-c", str(config), "--reason", "operator_error"]
    )
    assert result.exit_code == 1
    assert_one_line_error(result.output, "SESSION.INVALID_TRANSITION", "completed", "paused")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        pytest.param(["--reason", "because"], ["unknown reason code 'because'"], id="bad-reason"),
        pytest.param(["--reason", "other"], ["needs a note"], id="other-without-note"),
    ],
)
def test_bad_reasons_are_refused_before_anything_is_sent(
    config: Path, args: list[str], needles: list[str]
) -> None:
    result = runner.invoke(
        app, ["direct", "terminate", "accounts/demo/sessions/x1", "-c", str(config), *args]
    )
    assert result.exit_code != 0
    assert_one_line_error(result.output, *needles)


def test_a_missing_reason_is_a_usage_error(config: Path) -> None:
    result = runner.invoke(
        app, ["direct", "terminate", "accounts/demo/sessions/x1", "-c", str(config)]
    )
    assert result.exit_code == 2
    assert "--reason" in result.output


def test_unknown_session_and_bad_name(config: Path) -> None:
    missing = runner.invoke(
        app,
        [
            "direct",
            "pause",
            "accounts/demo/sessions/sbx-0000000000",
            "-c",
            str(config),
            "-r",
            "other",
            "--note",
            "typo",
        ],
    )
    assert missing.exit_code == 1
    assert_one_line_error(missing.output, "SESSION.NOT_FOUND")
    bad = runner.invoke(
        app, ["direct", "pause", "sessions/x", "-c", str(config), "-r", "operator_error"]
    )
    assert bad.exit_code == 1
    assert_one_line_error(bad.output, "accounts/ACCOUNT/sessions/ID")


def test_config_errors_suggest_the_closest_adapter(tmp_path: Path) -> None:
    path = tmp_path / "interlock.toml"
    path.write_text('[accounts.demo]\nadapter = "sandbx"\n', encoding="utf-8")
    result = runner.invoke(app, ["direct", "sessions", "list", "-c", str(path)])
    assert result.exit_code == 1
    assert_one_line_error(result.output, "INTERLOCK.ADAPTER_NOT_FOUND", "did you mean 'sandbox'")


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"interlock {version('interlock')}"


def test_the_sandbox_keeps_its_world_between_direct_commands(config: Path) -> None:
    name = session_name(config, "in_progress")
    first = runner.invoke(
        app,
        ["direct", "pause", name, "-c", str(config), "-r", "other", "--note", "check", "--json"],
    )
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["outcome"] == "applied"
    second = runner.invoke(
        app,
        ["direct", "pause", name, "-c", str(config), "-r", "other", "--note", "check", "--json"],
    )
    assert json.loads(second.stdout)["outcome"] == "already_in_state"
    paused = runner.invoke(
        app, ["direct", "sessions", "list", "-c", str(config), "--state", "paused", "--json"]
    )
    assert name in {
        f"accounts/{s['ref']['account']}/sessions/{s['ref']['session_id']}"
        for s in json.loads(paused.stdout)
    }
    assert Path(".interlock/direct/demo.world.json").is_file()


def test_a_damaged_world_file_is_one_line_naming_it(config: Path) -> None:
    state = Path(".interlock/direct/demo.world.json")
    state.parent.mkdir(parents=True)
    state.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["direct", "sessions", "list", "-c", str(config)])
    assert result.exit_code == 1
    assert_one_line_error(result.output, str(state), "cannot be read")
    assert f"delete {state}" in result.output


def test_every_direct_command_says_what_it_bypasses(config: Path) -> None:
    listed = runner.invoke(app, ["direct", "sessions", "list", "-c", str(config), "--limit", "1"])
    assert listed.exit_code == 0
    assert listed.stderr.splitlines()[0] == DIRECT_WARNING
