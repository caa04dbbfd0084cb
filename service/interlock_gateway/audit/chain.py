"""The hash chain: building records, hashing them, and checking a chain row by row.

``hash = sha256(prev_hash + canonical_json(record))`` where ``record`` holds the entry plus
``v`` (format version), ``seq`` and ``ts``. Everything here is pure (no database), so the
same code hashes on append, verifies stored rows, and verifies an exported file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any, NamedTuple

from .canonical import canonical_json, format_timestamp
from .entry import AuditEntry

__all__ = [
    "RECORD_VERSION",
    "ChainBreak",
    "ChainRow",
    "RowFacts",
    "build_record",
    "chain_hash",
    "inspect_row",
    "row_for",
]

RECORD_VERSION = 1


class ChainRow(NamedTuple):
    """One stored audit row, as the verifier sees it (a tuple, so it hashes cheaply)."""

    seq: int
    created_at: datetime
    actor: str | None
    action: str
    account: str | None
    session_id: str | None
    outcome: str | None
    operation_id: str | None
    batch_id: str | None
    record: str
    prev_hash: str
    hash: str


class RowFacts(NamedTuple):
    """What can be said about a row on its own: the seq it claims and what is wrong with it."""

    claimed_seq: int | None
    problem: str | None


class ChainBreak(NamedTuple):
    """The first broken record and why."""

    seq: int
    reason: str


def chain_hash(prev_hash: str, record_text: str) -> str:
    """SHA-256 (hex) over the previous hash followed by the record's canonical JSON."""
    return hashlib.sha256((prev_hash + record_text).encode("utf-8")).hexdigest()


def build_record(seq: int, created_at: datetime, entry: AuditEntry) -> dict[str, Any]:
    """The dict that is canonicalised and hashed for record ``seq``."""
    return {
        "v": RECORD_VERSION,
        "seq": seq,
        "ts": format_timestamp(created_at),
        **entry.to_record(),
    }


def _columns(record: dict[str, Any]) -> tuple[Any, ...]:
    actor = record.get("actor") or {}
    target = record.get("target") or {}
    return (
        record.get("ts"),
        actor.get("principal"),
        record.get("action"),
        target.get("account"),
        target.get("session_id"),
        record.get("outcome"),
        record.get("operation_id"),
        record.get("batch_id"),
    )


def row_for(seq: int, created_at: datetime, entry: AuditEntry, prev_hash: str) -> ChainRow:
    """The complete row for ``entry`` at ``seq`` (the filter columns copied from the record)."""
    text = canonical_json(build_record(seq, created_at, entry))
    target = entry.target
    return ChainRow(
        seq=seq,
        created_at=created_at,
        actor=entry.actor.principal,
        action=entry.action,
        account=target.account,
        session_id=target.session_id,
        outcome=entry.outcome,
        operation_id=entry.operation_id,
        batch_id=entry.batch_id,
        record=text,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, text),
    )


def _inspect(row: ChainRow) -> RowFacts:
    try:
        record = json.loads(row.record)
    except ValueError:
        return RowFacts(None, "record is not valid JSON")
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
        return RowFacts(None, "record has no sequence number")
    claimed = record["seq"]
    # No separate canonical-form check: a matching hash already proves the text is the one
    # appended (and append only writes canonical JSON).
    if chain_hash(row.prev_hash, row.record) != row.hash:
        return RowFacts(claimed, "hash mismatch: the record or its prev_hash was altered")
    stored = (
        format_timestamp(row.created_at),
        row.actor,
        row.action,
        row.account,
        row.session_id,
        row.outcome,
        row.operation_id,
        row.batch_id,
    )
    if stored != _columns(record):
        return RowFacts(claimed, "columns disagree with the hashed record")
    return RowFacts(claimed, None)


def inspect_row(row: ChainRow, memo: MutableMapping[ChainRow, RowFacts] | None = None) -> RowFacts:
    """Check one row on its own (its hash, and its filter columns against the record).

    The result depends on the row alone, so ``memo`` may cache it across verifications of
    a chain that is mostly unchanged.
    """
    if memo is None:
        return _inspect(row)
    facts = memo.get(row)
    if facts is None:
        facts = memo[row] = _inspect(row)
    return facts
