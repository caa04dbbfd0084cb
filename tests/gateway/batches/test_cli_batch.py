"""``interlock batch`` against a running gateway (a real ``interlock serve`` process)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from harness.loopback import DoubleSpec
from interlock_gateway.cli import app
from interlock_gateway.cli.batch import parse_filter

from .test_loopback import Stack

runner = CliRunner()


def test_filter_expressions_become_the_api_filter() -> None:
    spec = parse_filter("account=dingtalk state=in_progress,paused batch_no=B7")
    assert spec == {"account": "dingtalk", "states": ["in_progress", "paused"], "batch_no": "B7"}


def test_no_key_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("INTERLOCK_API_KEY", raising=False)
    monkeypatch.setenv("INTERLOCK_CONFIG_HOME", str(tmp_path))  # no profile either
    url = "http://127.0.0.1:9"
    args = ["batch", "pause", "--session", "x", "--reason", "other", "--gateway", url]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: no API key for {url}"
    assert "hint: interlock login --gateway" in result.stderr


def test_a_date_alone_in_a_filter_is_the_users_local_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        spec = parse_filter("start_from=2026-12-04 start_to=2026-12-04")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert spec == {
        "start_from": "2026-12-04T00:00:00+08:00",
        "start_to": "2026-12-05T00:00:00+08:00",
    }
    assert parse_filter("start_from=2026-12-04 tz=UTC")["start_from"] == "2026-12-04"  # as typed


def test_quoted_filter_values_and_unbalanced_quotes() -> None:
    spec = parse_filter("position='Backend Engineer' candidate=\"张 伟\" state=paused")
    assert spec == {"position": "Backend Engineer", "candidate": "张 伟", "states": ["paused"]}
    result = runner.invoke(
        app, ["batch", "pause", "--filter", "position='QA", "-r", "other", "--gateway", "x"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --filter: the filter has an unbalanced quote")


async def test_preview_progress_and_summary(tmp_path: Path, stack_factory: list[Stack]) -> None:
    # The CLI only talks HTTP: one database (SQLite) is enough.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    stack = Stack(tmp_path, database_url, [DoubleSpec("dingtalk", "dingtalk", 50.0, 1.0, 25)])
    stack_factory.append(stack)
    await stack.start(1)
    env = {"INTERLOCK_API_KEY": stack.key}
    base = ["batch", "terminate", "--reason", "system_fault", "--gateway", stack.urls[0]]
    text = await asyncio.to_thread(
        runner.invoke,
        app,
        [*base, "--filter", "account=dingtalk state=in_progress", "--yes"],
        env=env,
    )
    assert text.exit_code == 0, text.output
    assert "Preview: terminate 25 session(s)" in text.output
    assert "succeeded 25, failed 0, skipped 0" in text.output
    async with httpx.AsyncClient() as client:
        names = (await stack.names(client))[:2]
    as_json = await asyncio.to_thread(
        runner.invoke,
        app,
        [*base, "--session", names[0], "--session", names[1], "--yes", "--json"],
        env=env,
    )
    assert as_json.exit_code == 0, as_json.output
    result = json.loads(as_json.output)
    assert result["counts"]["succeeded"] == 2  # already terminated: already_in_state
    assert [item["session"] for item in result["items"]] == names
