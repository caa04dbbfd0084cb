"""Engine set-up: SQLite pragmas, the default URL, aware UTC datetimes on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from interlock_gateway.store import Database, create_engine, default_database_url
from interlock_gateway.store.engine import resolve_database_url
from interlock_gateway.store.tables import VendorQuota


def test_default_url_is_sqlite_under_dot_interlock() -> None:
    assert default_database_url() == "sqlite+aiosqlite:///.interlock/interlock.db"


def test_url_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERLOCK_DATABASE_URL", raising=False)
    assert resolve_database_url(None).endswith(".interlock/interlock.db")
    monkeypatch.setenv("INTERLOCK_DATABASE_URL", "sqlite+aiosqlite:///env.db")
    assert resolve_database_url(None) == "sqlite+aiosqlite:///env.db"
    assert resolve_database_url("sqlite+aiosqlite:///flag.db") == "sqlite+aiosqlite:///flag.db"


async def test_sqlite_pragmas_and_directory(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'x.db'}")
    try:
        async with engine.connect() as connection:
            pragmas = [
                (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, 30000]
        assert (tmp_path / "nested" / "dir").is_dir()
    finally:
        await engine.dispose()


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 1, 20, 30, 15, 123456, tzinfo=shanghai)
    async with db.write() as session:
        session.add(VendorQuota(account="probe", api="x", window_start=moment, count=1))
    async with db.session() as session:
        stored = await session.scalar(select(VendorQuota.window_start))
    assert stored == moment
    assert stored is not None
    assert stored.tzinfo is UTC


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.write() as session:
            session.add(VendorQuota(account="probe", api="x", window_start=datetime(2026, 1, 1)))


async def _write_then_fail(db: Database) -> None:
    async with db.write() as session:
        session.add(VendorQuota(account="probe", api="x", window_start=datetime.now(UTC)))
        await session.flush()
        raise RuntimeError("boom")


async def test_write_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        await _write_then_fail(db)
    async with db.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM vendor_quota"))).scalar() == 0


async def test_a_snapshot_does_not_see_later_commits(db: Database, database_url: str) -> None:
    async def add(name: str) -> None:
        async with db.write() as session:
            moment = datetime(2026, 1, 1, tzinfo=UTC)
            session.add(VendorQuota(account="probe", api=name, window_start=moment, count=1))

    await add("before")
    async with db.snapshot() as snapshot:
        first = (await snapshot.scalars(select(VendorQuota.api))).all()
        await add("during")  # committed by another connection meanwhile
        again = (await snapshot.scalars(select(VendorQuota.api))).all()
    async with db.session() as fresh:
        after = (await fresh.scalars(select(VendorQuota.api))).all()
    assert first == again == ["before"]
    assert sorted(after) == ["before", "during"]
