"""Single-record tamperings of a chain, and where each must be detected.

Each :class:`Tamper` rewrites an in-memory list of rows; :func:`apply_to_database` replays
the same change on stored rows (delete-then-insert of exactly the rows that differ).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from interlock_gateway.audit.canonical import canonical_json
from interlock_gateway.audit.chain import ChainRow, chain_hash
from interlock_gateway.store.tables import AuditRecord

Rows = list[ChainRow]
TamperedRows = Iterable[ChainRow]


@dataclass(frozen=True)
class Tamper:
    """One tampering: what it does, and the record verify must name.

    ``shift_from`` marks an insertion: rows from that seq on move up by one, which the
    database does with two UPDATEs instead of rewriting thousands of rows.
    """

    kind: str
    expected_seq: int
    apply: Callable[[Rows], TamperedRows]
    shift_from: int | None = None


def _edit_record(row: ChainRow, rng: random.Random) -> str:
    record = json.loads(row.record)
    field = rng.choice(["outcome", "state_after", "action", "details", "reason"])
    if field == "details":
        record["details"] = {**record["details"], "attempt": 99}
    elif field == "reason":
        record["reason"] = {"code": "system_fault", "note": "edited"}
    else:
        record[field] = f"{record[field]}-x"
    return canonical_json(record)


def _replace(rows: Rows, index: int, row: ChainRow) -> Rows:
    return [*rows[:index], row, *rows[index + 1 :]]


def change(rng: random.Random, size: int) -> Tamper:
    """Change one field of record k (record text, a column, a hash), sometimes re-hashing."""
    k = rng.randint(1, size)
    how = rng.choice(["record", "record+rehash", "column", "created_at", "prev_hash", "hash"])

    def apply(rows: Rows) -> TamperedRows:
        row = rows[k - 1]
        if how.startswith("record"):
            text = _edit_record(row, rng)
            digest = chain_hash(row.prev_hash, text) if how.endswith("rehash") else row.hash
            row = row._replace(record=text, hash=digest)
        elif how == "column":
            row = row._replace(actor="mallory")
        elif how == "created_at":
            row = row._replace(created_at=row.created_at + timedelta(hours=1))
        elif how == "prev_hash":
            row = row._replace(prev_hash="f" * 64)
        else:
            row = row._replace(hash="e" * 64)
        return _replace(rows, k - 1, row)

    return Tamper(f"change:{how}", k, apply)


def remove(rng: random.Random, size: int) -> Tamper:
    """Delete record k."""
    k = rng.randint(1, size)
    return Tamper("delete", k, lambda rows: rows[: k - 1] + rows[k:])


def reorder(rng: random.Random, size: int) -> Tamper:
    """Swap the contents of records i < j (each keeps its position's seq)."""
    i, j = sorted(rng.sample(range(1, size + 1), 2))
    if rng.random() < 0.3:
        j = min(i + 1, size) if i < size else i
        i = j - 1

    def apply(rows: Rows) -> TamperedRows:
        out = list(rows)
        out[i - 1] = rows[j - 1]._replace(seq=i)
        out[j - 1] = rows[i - 1]._replace(seq=j)
        return out

    return Tamper("reorder", i, apply)


def insert_forged(rng: random.Random, size: int) -> Tamper:
    """Insert a forged record at k, shifting later rows up (hash computed correctly or not)."""
    k = rng.randint(1, size + 1)
    rehash = rng.random() < 0.7

    def apply(rows: Rows) -> TamperedRows:
        prev = rows[k - 2].hash if k > 1 else "0" * 64
        template = rows[k - 1] if k <= len(rows) else rows[-1]
        record = json.loads(template.record)
        record.update(seq=k, outcome="applied", action="operation.revoke")
        text = canonical_json(record)
        forged = template._replace(
            seq=k,
            outcome="applied",
            action="operation.revoke",
            record=text,
            prev_hash=prev,
            hash=chain_hash(prev, text) if rehash else "d" * 64,
        )
        # Lazily: the verifier stops right after the forged row, so most are never built.
        shifted = (row._replace(seq=row.seq + 1) for row in itertools.islice(rows, k - 1, None))
        return itertools.chain(itertools.islice(rows, k - 1), [forged], shifted)

    return Tamper("insert", k, apply, shift_from=k)


KINDS = (change, remove, reorder, insert_forged)


def random_tamper(rng: random.Random, size: int) -> Tamper:
    """A random tampering of one of the four kinds."""
    return rng.choice(KINDS)(rng, size)


async def apply_to_database(connection: AsyncConnection, before: Rows, tamper: Tamper) -> None:
    """Make the stored rows equal ``tamper.apply(before)`` (append-only triggers must be off)."""
    after = list(tamper.apply(before))
    if tamper.shift_from is not None:
        # Two steps because the primary key is checked row by row while it shifts.
        seq = AuditRecord.seq
        moving = seq >= tamper.shift_from
        await connection.execute(update(AuditRecord).where(moving).values(seq=-seq - 1))
        await connection.execute(update(AuditRecord).where(seq < 0).values(seq=-seq))
        before = [
            *before[: tamper.shift_from - 1],
            *(r._replace(seq=r.seq + 1) for r in before[tamper.shift_from - 1 :]),
        ]
    old = {row.seq: row for row in before}
    new = {row.seq: row for row in after}
    stale = [seq for seq, row in old.items() if new.get(seq) != row]
    fresh = [row._asdict() for seq, row in new.items() if old.get(seq) != row]
    if stale:
        await connection.execute(delete(AuditRecord).where(AuditRecord.seq.in_(stale)))
    if fresh:
        await connection.execute(insert(AuditRecord), fresh)
