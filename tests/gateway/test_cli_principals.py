"""``interlock principals``: add (key once, ``--json`` exactly three keys), link, grant, list,
revoke — ownership per account, every change audited."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from interlock_gateway.principals import authenticate
from interlock_gateway.store import Database

from .cli_support import assert_clean_failure, invoke


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_CONFIG", raising=False)
    monkeypatch.setenv("INTERLOCK_GATEWAY_DATA_DIR", str(tmp_path / "data"))


def _authenticates(url: str, key: str) -> bool:
    async def check() -> bool:
        db = Database(url)
        try:
            return await authenticate(db, key) is not None
        finally:
            await db.dispose()

    return asyncio.run(check())


def test_add_json_prints_exactly_name_role_key(database_url: str) -> None:
    result = invoke(
        "principals", "add", "zhang.wei", "--role", "specialist",
        "--position", "demo/p-1", "--position", "demo/p-2",
        "--database-url", database_url, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"name", "role", "key"}
    assert body["name"] == "zhang.wei"
    assert body["role"] == "specialist"
    assert body["key"].startswith("ilk_")
    assert _authenticates(database_url, body["key"])


def test_add_human_output_shows_the_key_on_its_own_line(database_url: str) -> None:
    result = invoke("principals", "add", "ops", "--role", "admin", "--database-url", database_url)
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("ilk_")
    assert _authenticates(database_url, key)


def test_list_shows_key_ids_never_keys(database_url: str) -> None:
    added = invoke(
        "principals", "add", "a1", "--role", "auditor", "--database-url", database_url, "--json"
    )
    key = json.loads(added.stdout)["key"]
    listed = invoke("principals", "list", "--database-url", database_url, "--json")
    assert listed.exit_code == 0, listed.output
    (entry,) = json.loads(listed.stdout)
    assert entry["name"] == "a1"
    assert entry["role"] == "auditor"
    assert [k["key_id"] for k in entry["keys"]] == [key[:12]]
    assert key[13:] not in listed.stdout
    table = invoke("principals", "list", "--database-url", database_url)
    assert table.exit_code == 0
    assert "a1" in table.stdout


def test_revoke_refuses_the_key_afterwards(database_url: str) -> None:
    added = invoke(
        "principals", "add", "bot", "--role", "specialist", "--database-url", database_url, "--json"
    )
    key = json.loads(added.stdout)["key"]
    revoked = invoke("principals", "revoke", "bot", "--database-url", database_url)
    assert revoked.exit_code == 0, revoked.output
    assert "revoked bot" in revoked.stdout
    assert not _authenticates(database_url, key)
    again = invoke("principals", "revoke", "bot", "--database-url", database_url)
    assert "already revoked" in again.stdout
    verified = invoke("audit", "verify", "--database-url", database_url, "--json")
    assert json.loads(verified.stdout)["records_checked"] == 2  # add + revoke, audited


@pytest.mark.parametrize(
    "args",
    [
        ("principals", "add", "dup", "--role", "admin"),
        ("principals", "add", "x", "--role", "root"),
        ("principals", "add", "bad name", "--role", "admin"),
        ("principals", "revoke", "nobody"),
    ],
    ids=["duplicate", "bad-role", "bad-name", "unknown"],
)
def test_errors_are_one_line_without_traceback(database_url: str, args: tuple[str, ...]) -> None:
    invoke("principals", "add", "dup", "--role", "admin", "--database-url", database_url)
    assert_clean_failure(invoke(*args, "--database-url", database_url))


def test_list_on_an_uninitialised_database_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = invoke("principals", "list", "--database-url", url)
    assert_clean_failure(result)
    assert "interlock db upgrade" in result.stderr


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """An interlock.toml naming two accounts (account names are checked against it)."""
    path = tmp_path / "interlock.toml"
    accounts = ("dingtalk-hq", "beisen-cn")
    path.write_text(
        "".join(f'[accounts.{name}]\nadapter = "sandbox"\n\n' for name in accounts),
        encoding="utf-8",
    )
    return path


def _listed(database_url: str, name: str) -> dict[str, object]:
    listed = invoke("principals", "list", "--database-url", database_url, "--json")
    entry: dict[str, object] = next(p for p in json.loads(listed.stdout) if p["name"] == name)
    return entry


def test_add_links_vendor_users_per_account(database_url: str, config: Path) -> None:
    result = invoke(
        "principals", "add", "alice", "--role", "specialist",
        "--vendor-user", "dingtalk-hq=user01", "--vendor-user", "beisen-cn=u-778",
        "--config", str(config), "--database-url", database_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "owns nothing" not in result.stderr
    assert _listed(database_url, "alice")["vendor_users"] == {
        "beisen-cn": ["u-778"],
        "dingtalk-hq": ["user01"],
    }


def test_a_specialist_without_links_is_told_it_owns_nothing(database_url: str) -> None:
    result = invoke(
        "principals", "add", "bob", "--role", "specialist", "--database-url", database_url
    )
    assert result.exit_code == 0, result.output
    assert "owns nothing" in result.stderr
    assert "--vendor-user" in result.stderr


@pytest.mark.parametrize(
    "extra",
    [
        ("--vendor-user", "dingtalk=user01"),
        ("--vendor-user", "no-equals-sign"),
        ("--position", "p-1"),
        ("--department", "sales"),
    ],
    ids=["misspelt-account", "not-account-equals-id", "position-without-account",
         "department-without-account"],
)  # fmt: skip
def test_links_and_grants_must_name_a_configured_account(
    database_url: str, config: Path, extra: tuple[str, ...]
) -> None:
    result = invoke(
        "principals", "add", "carol", "--role", "specialist", *extra,
        "--config", str(config), "--database-url", database_url,
    )  # fmt: skip
    assert_clean_failure(result)
    if extra[1] == "dingtalk=user01":
        assert "did you mean 'dingtalk-hq'" in result.stderr


def test_link_unlink_grant_are_audited_with_before_and_after(
    database_url: str, config: Path
) -> None:
    common = ("--config", str(config), "--database-url", database_url)
    assert invoke("principals", "add", "dave", "--role", "manager", *common).exit_code == 0
    linked = invoke("principals", "link", "dave", "--vendor-user", "beisen-cn=u1", *common)
    assert linked.exit_code == 0, linked.output
    granted = invoke("principals", "grant", "dave", "--department", "dingtalk-hq/sales", *common)
    assert granted.exit_code == 0, granted.output
    unlinked = invoke("principals", "unlink", "dave", "--account", "beisen-cn", *common)
    assert unlinked.exit_code == 0, unlinked.output
    entry = _listed(database_url, "dave")
    assert entry["vendor_users"] == {}
    assert entry["departments"] == ["dingtalk-hq/sales"]
    exported = invoke("audit", "export", "--database-url", database_url, "--format", "jsonl")
    records = [json.loads(line)["record"] for line in exported.stdout.splitlines()]
    changes = [(r["action"], r["details"].get("account")) for r in records]
    assert changes == [
        ("principal.add", None),
        ("principal.link", "beisen-cn"),
        ("principal.grant", None),
        ("principal.unlink", "beisen-cn"),
    ]
    link_record = records[1]["details"]
    assert link_record["before"]["vendor_users"] == {}
    assert link_record["after"]["vendor_users"] == {"beisen-cn": ["u1"]}
