"""The audit trail against someone who can rewrite its database.

Attacks are made in the database itself (append-only triggers off), on SQLite and PostgreSQL:

* a record changed and every later hash and the head recomputed — found by a signed
  checkpoint in the database, and, once the attacker deletes the checkpoints too, only by a
  witness;
* the tail deleted and the head moved back — found by a checkpoint beyond the head, and, with
  those checkpoints deleted too, only by a witness.

Checkpoints are signed by time as well as by count (a quiet gateway leaves no record unsigned
for longer than ``checkpoint_interval``), and are delivered to witnesses in order, once,
again after a witness was down — the webhook witness over real HTTP to a receiver that
checks the Standard Webhooks signature.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select, update

from gateway.api.harness import FakeClock, gateway, gateway_settings, make_interlock
from gateway.audit.helpers import make_entry
from interlock.doubles import serve
from interlock.errors import ConfigurationError
from interlock.models import SessionState
from interlock.plugins import get_plugin_manager
from interlock.webhooks import WebhookRejected, verify
from interlock.witnesses import SignedCheckpoint
from interlock_gateway.audit import AuditTrail, CheckpointSigner, verify_chain
from interlock_gateway.audit.canonical import canonical_json
from interlock_gateway.audit.chain import chain_hash
from interlock_gateway.audit.witnessing import (
    build_witnesses,
    deliver_due,
    sign_if_due,
    verify_witnessed,
)
from interlock_gateway.settings import AuditSettings
from interlock_gateway.store import Database
from interlock_gateway.store.tables import AuditCheckpoint, AuditHead, AuditRecord
from interlock_witnesses import plugin as witness_plugin
from interlock_witnesses.file import FileOptions, FileWitness
from interlock_witnesses.webhook import WebhookOptions, WebhookWitness

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """Another system keeping checkpoints: verifies each POST's signature, answers GET with
    what it kept; ``down`` makes it answer 503 (and keep nothing)."""

    base_url = "http://witness.test"

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.down = False
        self.kept: dict[int, dict[str, Any]] = {}
        self.posts: list[int] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[self.kept[s] for s in sorted(self.kept)])
        if self.down:
            return httpx.Response(503)
        body = await request.aread()
        try:
            verify(self.secret, dict(request.headers), body)
        except WebhookRejected:
            return httpx.Response(401)
        checkpoint = json.loads(body)
        self.posts.append(checkpoint["seq"])
        self.kept[checkpoint["seq"]] = checkpoint
        return httpx.Response(204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    box = Receiver()
    async with serve(box) as url:  # type: ignore[arg-type]  # only base_url and handle are used
        yield box, url


@pytest.fixture
def signer() -> CheckpointSigner:
    return CheckpointSigner(Ed25519PrivateKey.generate())


def _trail(signer: CheckpointSigner, every: int = 10, clock: FakeClock | None = None) -> AuditTrail:
    return AuditTrail(signer, checkpoint_every=every, clock=clock or FakeClock())


async def _append(db: Database, trail: AuditTrail, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        async with db.write() as session:
            await trail.append(session, make_entry(i))


async def _tampering(db: Database) -> Any:
    """A connection in a transaction with the append-only triggers off."""
    connection = await db.engine.connect()
    await connection.begin()
    if db.is_sqlite:
        for table in ("audit_records", "audit_checkpoints"):
            for trigger in ("no_update", "no_delete"):
                await connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_{trigger}")
    else:
        await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    return connection


async def _rewrite_and_rehash(db: Database, seq: int, *, drop_checkpoints: bool) -> None:
    """Change record ``seq``'s outcome, recompute every later hash and the head."""
    connection = await _tampering(db)
    try:
        rows = (
            await connection.execute(
                select(AuditRecord.seq, AuditRecord.record, AuditRecord.prev_hash)
                .where(AuditRecord.seq >= seq)
                .order_by(AuditRecord.seq)
            )
        ).all()
        previous = rows[0].prev_hash
        for row in rows:
            record = json.loads(row.record)
            if row.seq == seq:
                record["outcome"] = "rejected"
            text = canonical_json(record)
            digest = chain_hash(previous, text)
            values: dict[str, Any] = {"record": text, "prev_hash": previous, "hash": digest}
            if row.seq == seq:
                values["outcome"] = "rejected"
            await connection.execute(
                update(AuditRecord).where(AuditRecord.seq == row.seq).values(**values)
            )
            previous = digest
        await connection.execute(update(AuditHead).values(last_hash=previous))
        if drop_checkpoints:
            await connection.execute(delete(AuditCheckpoint))
        await connection.commit()
    finally:
        await connection.close()


async def _truncate(db: Database, keep: int, *, drop_checkpoints: bool) -> None:
    """Delete every record after ``keep`` and move the head back to it."""
    connection = await _tampering(db)
    try:
        last_hash = await connection.scalar(select(AuditRecord.hash).where(AuditRecord.seq == keep))
        await connection.execute(delete(AuditRecord).where(AuditRecord.seq > keep))
        await connection.execute(update(AuditHead).values(last_seq=keep, last_hash=last_hash))
        if drop_checkpoints:
            await connection.execute(delete(AuditCheckpoint))
        await connection.commit()
    finally:
        await connection.close()


async def _witnessed(db: Database, trail: AuditTrail, witness: Any) -> Any:
    async with db.snapshot() as session:
        return await verify_witnessed(session, trail.public_keys, [witness])


async def _plain(db: Database, trail: AuditTrail) -> Any:
    async with db.snapshot() as session:
        return await verify_chain(session, trail.public_keys)


def _file_witness(tmp_path: Path) -> FileWitness:
    return FileWitness("vault", FileOptions(path=tmp_path / "witness" / "checkpoints.jsonl"))


async def test_a_rehashed_rewrite_is_found_by_a_checkpoint_then_only_by_a_witness(
    db: Database, signer: CheckpointSigner, tmp_path: Path
) -> None:
    trail = _trail(signer)
    witness = _file_witness(tmp_path)
    await _append(db, trail, 25)
    assert await deliver_due(db, [witness], datetime.now(UTC)) == 2  # records 10 and 20
    assert (await _witnessed(db, trail, witness)).ok

    await _rewrite_and_rehash(db, 5, drop_checkpoints=False)
    found = await _plain(db, trail)
    assert (found.ok, found.first_broken_seq) == (False, 10)

    await _rewrite_and_rehash(db, 5, drop_checkpoints=True)
    fooled = await _plain(db, trail)
    assert fooled.ok  # the database alone is fooled
    assert fooled.checkpoints_checked == 0
    caught = await _witnessed(db, trail, witness)
    assert (caught.ok, caught.first_broken_seq) == (False, 10)
    assert "vault" in (caught.reason or "")
    assert "rewritten" in (caught.reason or "")
    assert caught.witnesses[0].ok is False


async def test_a_truncated_tail_is_found_by_a_checkpoint_then_only_by_a_witness(
    db: Database, signer: CheckpointSigner, tmp_path: Path
) -> None:
    clock = FakeClock()
    trail = _trail(signer, every=1000, clock=clock)
    witness = _file_witness(tmp_path)
    await _append(db, trail, 30)
    clock.advance(seconds=61)
    assert await sign_if_due(db, trail, clock.now, timedelta(seconds=60)) == 30
    await deliver_due(db, [witness], clock.now)

    await _truncate(db, 25, drop_checkpoints=False)
    found = await _plain(db, trail)
    assert (found.ok, found.first_broken_seq) == (False, 26)  # the first record missing
    assert "a checkpoint signs record 30, but the chain ends at 25" in (found.reason or "")

    await _truncate(db, 25, drop_checkpoints=True)
    assert (await _plain(db, trail)).ok  # the database alone is fooled
    caught = await _witnessed(db, trail, witness)
    assert (caught.ok, caught.first_broken_seq) == (False, 30)
    assert "ends at 25" in (caught.reason or "")


async def test_a_quiet_trail_is_signed_after_the_interval(
    db: Database, signer: CheckpointSigner
) -> None:
    clock = FakeClock()
    trail = _trail(signer, every=1000, clock=clock)
    await _append(db, trail, 3)
    assert await sign_if_due(db, trail, clock.now, timedelta(seconds=60)) is None
    clock.advance(seconds=59)
    assert await sign_if_due(db, trail, clock.now, timedelta(seconds=60)) is None
    clock.advance(seconds=2)
    assert await sign_if_due(db, trail, clock.now, timedelta(seconds=60)) == 3
    assert await sign_if_due(db, trail, clock.now, timedelta(seconds=60)) is None  # tip signed
    await _append(db, trail, 2, start=3)
    clock.advance(seconds=61)
    assert await sign_if_due(db, trail, clock.now, timedelta(seconds=60)) == 5
    result = await _plain(db, trail)
    assert result.ok
    assert result.checkpoints_checked == 2


async def test_a_witness_that_was_down_gets_every_checkpoint_once_in_order(
    db: Database, signer: CheckpointSigner, receiver: tuple[Receiver, str]
) -> None:
    box, url = receiver
    trail = _trail(signer, every=5)
    witness = WebhookWitness("remote", WebhookOptions(url=url, secret=SECRET))  # type: ignore[arg-type]
    await _append(db, trail, 12)
    box.down = True
    assert await deliver_due(db, [witness], datetime.now(UTC)) == 0
    await _append(db, trail, 8, start=12)
    box.down = False
    # Two replicas deliver at once: each checkpoint is sent once.
    sent = await asyncio.gather(*(deliver_due(db, [witness], datetime.now(UTC)) for _ in "ab"))
    assert sum(sent) == 4
    assert box.posts == [5, 10, 15, 20]
    assert await deliver_due(db, [witness], datetime.now(UTC)) == 0
    assert (await _witnessed(db, trail, witness)).ok


async def test_a_receiver_with_another_secret_refuses_and_nothing_counts_as_delivered(
    db: Database, signer: CheckpointSigner, receiver: tuple[Receiver, str]
) -> None:
    box, url = receiver
    trail = _trail(signer, every=5)
    wrong = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    witness = WebhookWitness("remote", WebhookOptions(url=url, secret=wrong))  # type: ignore[arg-type]
    await _append(db, trail, 5)
    assert await deliver_due(db, [witness], datetime.now(UTC)) == 0
    assert box.kept == {}
    right = WebhookWitness("remote", WebhookOptions(url=url, secret=SECRET))  # type: ignore[arg-type]
    assert await deliver_due(db, [right], datetime.now(UTC)) == 1


async def test_a_witness_that_cannot_be_read_fails_the_verification(
    db: Database, signer: CheckpointSigner
) -> None:
    trail = _trail(signer)
    await _append(db, trail, 3)
    gone = WebhookWitness(
        "remote",
        WebhookOptions(url="http://127.0.0.1:9/witness", secret=SECRET),  # type: ignore[arg-type]
    )
    result = await _witnessed(db, trail, gone)
    assert result.ok is False
    assert "could not be read" in (result.reason or "")


async def test_a_checkpoint_forged_into_the_witness_is_refused(
    db: Database, signer: CheckpointSigner, tmp_path: Path
) -> None:
    trail = _trail(signer)
    witness = _file_witness(tmp_path)
    await _append(db, trail, 10)
    await deliver_due(db, [witness], datetime.now(UTC))
    async with db.session() as session:
        stored = await session.scalar(select(AuditRecord.hash).where(AuditRecord.seq == 10))
    intruder = CheckpointSigner(Ed25519PrivateKey.generate())
    forged = SignedCheckpoint(
        10, str(stored), intruder.sign(10, str(stored)), intruder.key_id, datetime.now(UTC)
    )
    witness.path.write_text(json.dumps(forged.as_dict()) + "\n")
    result = await _witnessed(db, trail, witness)
    assert result.ok is False
    assert "did not sign" in (result.reason or "")


def test_witness_configuration_errors_are_specific(tmp_path: Path) -> None:
    manager = get_plugin_manager().manager

    def build(table: dict[str, Any]) -> list[Any]:
        return build_witnesses(manager, AuditSettings(witnesses={"vault": table}))

    with pytest.raises(ConfigurationError, match=r"unknown witness kind 'fiel'") as unknown:
        build({"kind": "fiel", "path": str(tmp_path / "w.jsonl")})
    assert unknown.value.hint == "did you mean 'file'?"
    with pytest.raises(ConfigurationError, match=r"\[audit.witnesses.vault\] colour"):
        build({"kind": "file", "path": str(tmp_path / "w.jsonl"), "colour": "red"})
    with pytest.raises(ConfigurationError, match=r"url: .*https://"):
        build({"kind": "webhook", "url": "http://witness.example.com/in", "secret": SECRET})
    with pytest.raises(ConfigurationError, match="NO_SUCH_SECRET"):
        build({"kind": "webhook", "url": "https://w.example.com", "secret": "env:NO_SUCH_SECRET"})
    built = build({"kind": "file", "path": str(tmp_path / "w.jsonl")})
    assert [w.name for w in built] == ["vault"]


async def test_the_running_gateway_signs_on_time_and_witnesses(
    database_url: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    box, url = receiver
    config = tmp_path / "gateway.toml"
    config.write_text(
        "[audit]\ncheckpoint_every = 1000\ncheckpoint_interval = 30\n"
        f'[audit.witnesses.remote]\nkind = "webhook"\nurl = "{url}"\n'
        'secret = "env:WITNESS_SECRET"\n'
        f'[audit.witnesses.vault]\nkind = "file"\npath = "{tmp_path / "vault.jsonl"}"\n',
        encoding="utf-8",
    )
    interlock = make_interlock()
    interlock.plugins.manager.register(witness_plugin)
    clock = FakeClock()
    settings = gateway_settings(database_url, str(tmp_path / "data"), config=config)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WITNESS_SECRET", SECRET)
        async with gateway(settings, clock=clock, interlock=interlock) as harness:
            session_id = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
            response = await harness.verb("pause", session_id)
            assert response.status_code == 200, response.text
            await harness.settle()
            assert box.posts == []  # not yet a minute old
            clock.advance(seconds=31)
            await harness.settle()
            tip = await harness.last_seq()
            assert box.posts == [tip]
            verified = (
                await harness.client.get("/v1/audit/verify", headers=harness.headers("auditor"))
            ).json()
            assert verified["ok"] is True, verified
            assert sorted(w["witness"] for w in verified["witnesses"]) == ["remote", "vault"]
            assert all(w["checkpoints_checked"] == 1 for w in verified["witnesses"])
            box.kept[tip]["hash"] = "0" * 64  # the witness disagrees: the gateway says so
            disagreed = (
                await harness.client.get("/v1/audit/verify", headers=harness.headers("auditor"))
            ).json()
            assert disagreed["ok"] is False
            assert "remote" in disagreed["reason"]
            unwitnessed = await harness.client.get(
                "/v1/audit/verify",
                params={"witnesses": "false"},
                headers=harness.headers("auditor"),
            )
            assert unwitnessed.json()["ok"] is True
            assert unwitnessed.json()["witnesses"] == []
