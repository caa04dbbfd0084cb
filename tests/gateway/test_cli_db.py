"""``interlock db``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from interlock_gateway.store import Database, head_revision

from .cli_support import assert_clean_failure, invoke


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_DATABASE_URL", raising=False)
    monkeypatch.delenv("INTERLOCK_CONFIG", raising=False)


def test_upgrade_creates_the_default_sqlite_database(tmp_path: Path) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.stdout
    assert (tmp_path / ".interlock" / "interlock.db").is_file()
    current = invoke("db", "current", "--json")
    assert json.loads(current.stdout) == {"current": head_revision(), "head": head_revision()}


def test_upgrade_honours_the_flag_and_the_environment(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLOCK_DATABASE_URL", empty_database_url)
    assert invoke("db", "upgrade").exit_code == 0
    again = invoke("db", "upgrade", "--database-url", empty_database_url)
    assert again.exit_code == 0, again.output
    assert json.loads(invoke("db", "current", "--json").stdout)["current"] == head_revision()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none?connect_timeout=2",
        "mysql://localhost/x",
    ],
    ids=["garbage", "unreachable", "unknown-driver"],
)
def test_bad_urls_fail_in_one_line(url: str) -> None:
    result = invoke("db", "upgrade", "--database-url", url)
    assert_clean_failure(result)
    assert "s3cret" not in result.output + result.stderr


def test_upgrade_reports_grants_that_named_no_account(empty_database_url: str) -> None:
    """Migration 0004's report: what no longer grants anything, and the command to fix it."""
    assert invoke("db", "upgrade", "--revision", "0003", "--database-url", empty_database_url)

    async def legacy_principal() -> None:
        db = Database(empty_database_url)
        try:
            async with db.engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO principals (name, role, positions, departments, tenant, "
                        "created_at) VALUES ('wang', 'manager', '[]', '[\"sales\"]', 'default', "
                        ":now)"
                    ),
                    {"now": datetime.now(UTC).replace(tzinfo=None)},
                )
        finally:
            await db.dispose()

    asyncio.run(legacy_principal())
    result = invoke("db", "upgrade", "--database-url", empty_database_url)
    assert result.exit_code == 0, result.output
    assert "1 principal(s) hold grants that name no account" in result.stderr
    assert "interlock principals grant wang --department ACCOUNT/sales" in result.stderr
