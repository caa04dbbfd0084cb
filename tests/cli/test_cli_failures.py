"""Failures a person meets at the command line: one line (and a hint), a non-zero exit, no
traceback, and brackets shown as typed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from client.conftest import Served
from interlock_gateway.cli import app

runner = CliRunner()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_the_gateway_down_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLOCK_API_KEY", "ilk_test")
    url = f"http://127.0.0.1:{_closed_port()}"
    args = ["batch", "pause", "--reason", "system_fault", "--yes", "--gateway", url]
    result = runner.invoke(app, [*args, "--session", "accounts/a/sessions/b"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: POST {url}/v1/previews: gateway unreachable (ConnectError)"
    assert [line for line in lines[1:] if not line.startswith("hint:")] == []


def test_bracketed_names_in_errors_are_shown(tmp_path: Path) -> None:
    config = tmp_path / "interlock.toml"
    config.write_text("[accounts.demo]\n", encoding="utf-8")  # no adapter named
    result = runner.invoke(app, ["direct", "sessions", "list", "-c", str(config)])
    assert result.exit_code != 0
    assert "interlock.toml: [accounts.demo]: key 'adapter' is missing" in result.stderr
    assert "Traceback" not in result.output


def test_tls_to_a_plain_server_is_one_line(served: Served) -> None:
    port = served.url.rsplit(":", 1)[1]
    url = f"https://127.0.0.1:{port}"  # a TLS handshake with a plain-HTTP server fails
    env = {"INTERLOCK_GATEWAY": url, "INTERLOCK_API_KEY": served.keys["spec"]}
    result = runner.invoke(app, ["sessions", "list"], env=env)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    first, *rest = result.stderr.splitlines()
    assert first == f"error: GET {url}/v1/sessions: gateway unreachable (ConnectError)"
    assert all(line.startswith("hint:") for line in rest)


def test_shell_completion_is_offered() -> None:
    # As the console script runs it: the program name comes from argv[0] otherwise, which a
    # test run does not control (an earlier test may have left it empty).
    result = runner.invoke(app, ["--show-completion", "bash"], prog_name="interlock")
    assert result.exit_code == 0, result.output
    assert "_INTERLOCK_COMPLETE=complete_bash" in result.stdout
