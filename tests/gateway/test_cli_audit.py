"""``interlock audit``: verify (exit code, first broken record), export, public key."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from interlock_gateway.audit import AuditTrail, chain_hash
from interlock_gateway.audit.canonical import canonical_json
from interlock_gateway.audit.witnessing import deliver_due
from interlock_gateway.store import Database
from interlock_witnesses.file import FileOptions, FileWitness

from .audit.helpers import make_entry
from .cli_support import assert_clean_failure, invoke


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_CONFIG", raising=False)
    monkeypatch.setenv("INTERLOCK_GATEWAY_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _fill(url: str, key_file: Path, count: int) -> None:
    async def fill() -> None:
        db = Database(url)
        trail = AuditTrail.from_key_file(key_file, checkpoint_every=5)
        try:
            for i in range(count):
                async with db.write() as session:
                    await trail.append(session, make_entry(i))
        finally:
            await db.dispose()

    asyncio.run(fill())


def _tamper(url: str, seq: int) -> None:
    async def tamper() -> None:
        db = Database(url)
        try:
            async with db.engine.begin() as connection:
                if db.is_sqlite:
                    await connection.exec_driver_sql("DROP TRIGGER audit_records_no_update")
                else:
                    await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                await connection.execute(
                    text("UPDATE audit_records SET outcome = 'applied' WHERE seq = :seq"),
                    {"seq": seq},
                )
        finally:
            await db.dispose()

    asyncio.run(tamper())


def test_verify_ok_then_broken(database_url: str, data_dir: Path) -> None:
    _fill(database_url, data_dir / "audit-signing-key.pem", 12)
    ok = invoke("audit", "verify", "--database-url", database_url)
    assert ok.exit_code == 0, ok.output
    assert "OK: 12 records, 2 signed checkpoints" in ok.stdout
    _tamper(database_url, 7)
    broken = invoke("audit", "verify", "--database-url", database_url)
    assert_clean_failure(broken)
    assert "BROKEN at record 7" in broken.stderr
    as_json = invoke("audit", "verify", "--database-url", database_url, "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["first_broken_seq"] == 7


def test_verify_with_an_explicit_public_key(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    _fill(database_url, data_dir / "audit-signing-key.pem", 5)
    pem = invoke("audit", "public-key")
    assert pem.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "pub.pem").write_text(pem.stdout)
    (data_dir / "audit-signing-key.pem").unlink()  # an auditor has only the public key
    result = invoke(
        "audit", "verify", "--public-key", str(tmp_path / "pub.pem"), "--database-url", database_url
    )
    assert result.exit_code == 0, result.output
    no_key = invoke("audit", "verify", "--database-url", database_url)
    assert_clean_failure(no_key)
    assert "unknown key" in no_key.stderr


def test_export_jsonl_is_independently_verifiable(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    _fill(database_url, data_dir / "audit-signing-key.pem", 7)
    out = tmp_path / "audit.jsonl"
    result = invoke(
        "audit", "export", "--format", "jsonl", "--output", str(out), "--database-url", database_url
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, 8))
    prev = "0" * 64
    for line in lines:
        assert line["prev_hash"] == prev
        assert chain_hash(prev, canonical_json(line["record"])) == line["hash"]
        prev = line["hash"]


def test_export_csv_to_stdout_with_a_filter(database_url: str, data_dir: Path) -> None:
    _fill(database_url, data_dir / "audit-signing-key.pem", 8)
    result = invoke(
        "audit", "export", "--format", "csv", "--actor", "bob", "--database-url", database_url
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["seq"] for row in rows] == ["2", "6"]  # make_entry: actor bob for i % 4 == 1
    assert {row["actor"] for row in rows} == {"bob"}


def test_export_rejects_an_unknown_format(database_url: str, data_dir: Path) -> None:
    result = invoke("audit", "export", "--format", "xml", "--database-url", database_url)
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_verify_holds_the_chain_against_the_configured_witness(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    """Records 11-12 deleted with the head and every checkpoint: only the witness knows."""
    vault = tmp_path / "vault.jsonl"
    config = tmp_path / "gateway.toml"
    config.write_text(f'[audit.witnesses.vault]\nkind = "file"\npath = "{vault}"\n')
    _fill(database_url, data_dir / "audit-signing-key.pem", 12)
    asyncio.run(_witness_and_truncate(database_url, vault, keep=8))

    unwitnessed = invoke(
        "audit", "verify", "--no-witnesses", "--config", str(config), "--database-url", database_url
    )
    assert unwitnessed.exit_code == 0, unwitnessed.output  # the database alone is fooled
    witnessed = invoke("audit", "verify", "--config", str(config), "--database-url", database_url)
    assert_clean_failure(witnessed)
    # The first witnessed checkpoint whose row is gone is the first finding.
    assert "BROKEN at record 5: witness 'vault'" in witnessed.stderr
    assert "checkpoint at record 5 was removed" in witnessed.stderr
    # An auditor handed a copy of the witness file needs no config.
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(vault.read_bytes())
    audited = invoke("audit", "verify", "--witness", str(copy), "--database-url", database_url)
    assert_clean_failure(audited)
    assert "witness 'file:copy.jsonl'" in audited.stderr
    missing = invoke("audit", "verify", "--witness", "nope.jsonl", "--database-url", database_url)
    assert_clean_failure(missing)
    assert "no such witness file: nope.jsonl" in missing.stderr


async def _witness_and_truncate(url: str, vault: Path, *, keep: int) -> None:
    db = Database(url)
    try:
        witness = FileWitness("vault", FileOptions(path=vault))
        assert await deliver_due(db, [witness], datetime.now(UTC)) == 2  # records 5 and 10
        async with db.engine.begin() as connection:
            if db.is_sqlite:
                for trigger in ("audit_records_no_delete", "audit_checkpoints_no_delete"):
                    await connection.exec_driver_sql(f"DROP TRIGGER {trigger}")
            else:
                await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            head = await connection.execute(
                text("SELECT hash FROM audit_records WHERE seq = :seq"), {"seq": keep}
            )
            last_hash = head.scalar_one()
            await connection.execute(
                text("DELETE FROM audit_records WHERE seq > :seq"), {"seq": keep}
            )
            await connection.execute(text("DELETE FROM audit_checkpoints"))
            await connection.execute(
                text("UPDATE audit_head SET last_seq = :seq, last_hash = :hash"),
                {"seq": keep, "hash": last_hash},
            )
    finally:
        await db.dispose()
