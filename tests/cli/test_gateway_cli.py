"""The CLI through a real gateway (uvicorn on loopback): login and profiles, every command with
``--json`` and as text, one-line problems, and the key never leaving its own gateway."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from typer.testing import CliRunner, Result

from client.conftest import Served
from interlock_gateway.cli import app

runner = CliRunner()
ACCOUNT = "demo"


def cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    return runner.invoke(app, list(args), env=env, input=stdin)


def ok_json(*args: str, env: dict[str, str] | None = None) -> Any:
    result = cli(*args, "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def login(served: Served, who: str, profile: str = "default") -> Result:
    result = cli(
        "login",
        "--gateway",
        served.url,
        "--profile",
        profile,
        "--key-stdin",
        stdin=served.keys[who] + "\n",
    )
    assert result.exit_code == 0, result.output
    return result


def names(served: Served, state: str, title: str | None = None) -> list[str]:
    found = ok_json("sessions", "list", "--account", ACCOUNT, "--state", state)
    return [s["name"] for s in found if title is None or s["position"]["title"] == title]


@pytest.fixture(autouse=True)
def no_keyring() -> None:
    """This machine has no keyring; tests that want one install their own."""
    keyring.set_keyring(keyring.backends.fail.Keyring())


def test_login_checks_the_key_and_keeps_it_in_a_0600_file(served: Served, tmp_path: Path) -> None:
    result = login(served, "spec")
    assert "as spec (specialist)" in result.stdout
    assert "a file only you can read" in result.stdout
    home = Path(os.environ["INTERLOCK_CONFIG_HOME"])
    credentials = home / "credentials.toml"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert served.keys["spec"] in credentials.read_text()
    assert served.keys["spec"] not in (home / "profiles.toml").read_text()
    listed = ok_json("profiles", "list")
    assert listed == [
        {
            "profile": "default",
            "gateway": served.url,
            "principal": "spec",
            "key_store": "file",
            "default": True,
        }
    ]
    assert served.keys["spec"] not in cli("profiles", "list").stdout
    # logged in: no key or URL on the command line from now on
    assert names(served, "in_progress")


def test_a_wrong_key_is_one_line_and_nothing_is_kept(served: Served) -> None:
    result = cli("login", "--gateway", served.url, "--key-stdin", stdin="ilk_wrong\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: the gateway at {served.url} does not accept this key"
    )
    assert "Traceback" not in result.output
    assert ok_json("profiles", "list") == []


def test_plain_http_is_refused_off_loopback() -> None:
    result = cli("login", "--gateway", "http://interlock.example.com", "--key-stdin", stdin="k\n")
    assert result.exit_code == 1
    assert "refusing plain http to interlock.example.com" in result.stderr


def test_profiles_choose_the_gateway_and_key(served: Served) -> None:
    login(served, "spec", "work")
    login(served, "auditor", "audit")
    assert ok_json("profiles", "list")[0]["default"] is False  # "audit" sorts first
    assert [p["profile"] for p in ok_json("profiles", "list") if p["default"]] == ["work"]
    # the auditor may read the audit trail, the specialist may not
    assert isinstance(ok_json("audit", "list", "--profile", "audit", "--limit", "3"), list)
    denied = cli("audit", "list", "--profile", "work")
    assert denied.exit_code == 1
    assert denied.stderr.startswith("error: [AUTH.FORBIDDEN]") or "403" not in denied.stderr
    assert cli("profiles", "use", "audit").exit_code == 0
    assert isinstance(ok_json("audit", "list", "--limit", "1"), list)
    assert cli("logout", "--profile", "audit").exit_code == 0
    assert [p["profile"] for p in ok_json("profiles", "list")] == ["work"]
    unknown = cli("sessions", "list", "--profile", "nope")
    assert unknown.exit_code == 1
    assert "no profile 'nope'" in unknown.stderr


def test_a_profiles_key_never_goes_to_another_gateway(served: Served) -> None:
    login(served, "spec")
    other = served.url.replace("127.0.0.1", "localhost")
    result = cli("sessions", "list", "--gateway", other)
    assert result.exit_code == 1
    assert f"no API key for {other}" in result.stderr


def test_environment_instead_of_login(served: Served) -> None:
    env = {"INTERLOCK_GATEWAY": served.url, "INTERLOCK_API_KEY": served.keys["admin"]}
    found = ok_json("sessions", "list", "--account", ACCOUNT, "--limit", "2", env=env)
    assert len(found) == 2
    one = ok_json("sessions", "get", found[0]["name"], env=env)
    assert one["name"] == found[0]["name"]


def test_not_logged_in_says_how(served: Served) -> None:
    result = cli("sessions", "list")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error: no gateway: not logged in"
    assert "interlock login --gateway URL" in result.stderr


def test_pause_terminate_undo_and_my_operations(served: Served) -> None:
    login(served, "spec")
    first, second = names(served, "in_progress", "Backend Engineer")[:2]
    paused = ok_json("pause", first, "--reason", "candidate_network")
    assert (paused["verb"], paused["outcome"]) == ("pause", "applied")

    held = cli("terminate", second, "-r", "process_change")
    assert held.exit_code == 0, held.output
    operation = held.stdout.split("operation ")[-1].strip()
    assert f"interlock undo {operation}" in held.stdout  # the way back, spelled out
    assert "held — commits" in held.stdout

    mine = ok_json("operations", "list", "--limit", "5")
    assert [o["id"] for o in mine[:2]] == [operation, paused["id"]]
    assert operation in cli("operations", "list").stdout

    shown = cli("operations", "get", paused["id"])
    assert "reason: candidate_network" in shown.stdout
    marked = cli("resume", first, "-r", "other", "--note", "[bold]call back[/bold] [accounts.X]")
    assert marked.exit_code == 0, marked.output
    assert "reason: other — [bold]call back[/bold] [accounts.X]" in marked.stdout  # as typed

    undone = ok_json("undo", operation, "--note", "wrong session")
    assert undone["undo_of"] == operation
    again = cli("undo", operation)
    assert again.exit_code == 1
    assert again.stderr.startswith("error: [OPERATION.")
    assert len(again.stderr.splitlines()) <= 2  # the error and its hint, never a traceback
    assert ok_json("operations", "get", operation)["id"] == operation


def test_a_protected_stop_waits_for_a_manager(served: Served) -> None:
    login(served, "spec", "spec")
    login(served, "mgr", "mgr")
    target = names(served, "in_progress", "Sales Director")[0]
    asked = cli("terminate", target, "-r", "process_change", "--profile", "spec")
    assert asked.exit_code == 0, asked.output
    assert "awaiting approval" in asked.stdout
    approval = asked.stdout.split("interlock approvals approve ")[1].split()[0]
    pending = ok_json("approvals", "list", "--profile", "mgr")
    assert approval in {a["id"] for a in pending}
    assert approval in cli("approvals", "list", "--profile", "mgr").stdout
    decided = cli("approvals", "approve", approval, "--note", "agreed", "--profile", "mgr")
    assert decided.exit_code == 0, decided.output
    refused = cli("approvals", "approve", approval, "--profile", "mgr")
    assert refused.exit_code == 1
    assert "error: [" in refused.stderr


def test_stats_and_audit_as_text_and_json(served: Served) -> None:
    login(served, "auditor")
    stats = ok_json("stats", "--group-by", "reason,verb")
    assert stats["group_by"] == ["reason", "verb"]
    assert cli("stats").exit_code == 0
    records = ok_json("audit", "list", "--limit", "5")
    assert len(records) <= 5
    assert all("hash" in r for r in records)
    assert "record(s)" in cli("audit", "list", "--limit", "2").stdout
    bad = cli("stats", "--from", "yesterday")
    assert bad.exit_code == 1
    assert "--from: 'yesterday' is not a date or time" in bad.stderr


def test_session_names_stay_whole_at_80_columns(served: Served) -> None:
    login(served, "admin")
    listed = names(served, "in_progress")
    shown = cli(
        "sessions", "list", "--account", ACCOUNT, "--state", "in_progress", env={"COLUMNS": "80"}
    )
    assert shown.exit_code == 0
    assert all(name in shown.stdout for name in listed)


def test_a_date_alone_is_the_users_local_day(served: Served) -> None:
    login(served, "admin")
    every = ok_json("sessions", "list", "--account", ACCOUNT)
    day = min(s["scheduled_at"] for s in every)[:10]
    on_the_day = ok_json("sessions", "list", "--account", ACCOUNT, "--from", day, "--to", day)
    assert on_the_day, "sessions on the earliest day"
    assert len(on_the_day) < len(every)


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


def test_the_key_goes_to_the_keyring_when_there_is_one(served: Served) -> None:
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    result = login(served, "spec")
    assert "your keyring" in result.stdout
    assert list(ring.saved.values()) == [served.keys["spec"]]
    home = Path(os.environ["INTERLOCK_CONFIG_HOME"])
    assert not (home / "credentials.toml").exists()
    assert names(served, "in_progress")
    assert cli("logout").exit_code == 0
    assert ring.saved == {}


def test_audit_verify_and_export_through_the_gateway(served: Served, tmp_path: Path) -> None:
    login(served, "auditor")
    verified = ok_json("audit", "verify")
    assert verified["ok"] is True
    assert verified["records_checked"] > 0
    assert "audit trail OK" in cli("audit", "verify").stdout
    exported = tmp_path / "audit.jsonl"
    result = cli("audit", "export", "-o", str(exported), "--from", "2026-01-01")
    assert result.exit_code == 0, result.output
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= verified["records_checked"]  # verifying is audited too
    assert all(json.loads(line)["hash"] for line in lines)
    local = cli("audit", "verify", "--witness", "copy.jsonl")
    assert local.exit_code == 1
    assert "--public-key and --witness check a database here" in local.stderr


def test_audit_commands_read_the_database_where_the_gateway_runs(served: Served) -> None:
    Path("interlock.toml").write_text("[gateway]\n", encoding="utf-8")  # a server's folder
    login(served, "auditor")
    assert cli("db", "upgrade").exit_code == 0  # the server's own (empty) database
    result = cli("audit", "verify", "--no-witnesses", "--json")  # read directly, not the gateway
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["records_checked"] == 0
