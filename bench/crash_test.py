"""Crash recovery: a 1,000-item batch, the gateway SIGKILLed ≥ 10 times, restarted each time.

Runs on SQLite, and also on PostgreSQL when ``INTERLOCK_TEST_PG_URL`` is set (a fresh
database is created and dropped). The vendor doubles run in a process of their own that
survives every kill, so they are the truth about what was applied. Prints one line per
database::

    kills=N items=N lost=0 double_applied=0 audit=ok recovery_max_s=X

Exit status 1 when anything is lost, applied twice, or the audit chain does not verify.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from harness.crash import CrashReport, run_crash_test

ITEMS = int(os.environ.get("CRASH_TEST_ITEMS", "1000"))
KILLS = int(os.environ.get("CRASH_TEST_KILLS", "10"))


def _pg_database(base_url: str) -> tuple[str, str]:
    name = f"interlock_crash_{uuid.uuid4().hex[:8]}"
    admin = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def _drop(base_url: str, name: str) -> None:
    admin = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]


def _run(label: str, url: str, workdir: Path) -> CrashReport:
    report = asyncio.run(run_crash_test(url, workdir, items=ITEMS, kills=KILLS))
    print(f"{label}: {report.line()}", flush=True)
    return report


def main() -> int:
    reports = []
    with tempfile.TemporaryDirectory(prefix="interlock-crash-") as tmp:
        sqlite_dir = Path(tmp) / "sqlite"
        sqlite_dir.mkdir()
        reports.append(_run("sqlite", f"sqlite+aiosqlite:///{sqlite_dir / 'gw.db'}", sqlite_dir))
        pg_base = os.environ.get("INTERLOCK_TEST_PG_URL")
        if pg_base:
            pg_dir = Path(tmp) / "postgresql"
            pg_dir.mkdir()
            url, name = _pg_database(pg_base)
            try:
                reports.append(_run("postgresql", url, pg_dir))
            finally:
                _drop(pg_base, name)
    bad = [r for r in reports if r.lost or r.double_applied or not r.audit_ok]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
