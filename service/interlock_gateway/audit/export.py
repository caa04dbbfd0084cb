"""Streaming exports of the trail: JSONL (exact, re-verifiable) and CSV (for spreadsheets).

Both are async generators of text chunks that page through the table, so an export of any
size runs in constant memory and can be handed straight to a streaming HTTP response.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .canonical import canonical_json
from .query import AuditFilter, iter_records

__all__ = ["CSV_COLUMNS", "export_csv", "export_jsonl"]

CSV_COLUMNS = (
    "seq", "ts", "actor", "role", "key_id", "ip", "action", "account", "session_id",
    "position_id", "candidate", "reason_code", "reason_note", "approval_id", "state_before",
    "state_after", "outcome", "vendor_request_id", "idempotency_key", "operation_id",
    "batch_id", "details", "prev_hash", "hash",
)  # fmt: skip
# A cell starting with one of these is a formula in spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def export_jsonl(
    session: AsyncSession, audit_filter: AuditFilter | None = None
) -> AsyncIterator[str]:
    """One line per record: ``{"hash", "prev_hash", "record", "seq"}``, oldest first.

    ``record`` is the hashed record itself, so ``sha256(prev_hash + canonical(record))``
    recomputed from the file equals ``hash``: an unfiltered export verifies on its own.
    """
    async for row in iter_records(session, audit_filter):
        line = f'{{"hash":"{row.hash}","prev_hash":"{row.prev_hash}","record":{row.record},'
        yield line + f'"seq":{row.seq}}}\n'


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else canonical_json(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_values(record: dict[str, Any], prev_hash: str, record_hash: str) -> list[str]:
    actor = record.get("actor") or {}
    target = record.get("target") or {}
    reason = record.get("reason") or {}
    flat = {
        **{k: record.get(k) for k in CSV_COLUMNS},
        "actor": actor.get("principal"),
        "role": actor.get("role"),
        "key_id": actor.get("key_id"),
        "ip": actor.get("ip"),
        **{k: target.get(k) for k in ("account", "session_id", "position_id", "candidate")},
        "reason_code": reason.get("code"),
        "reason_note": reason.get("note"),
        "details": record.get("details") or None,
        "prev_hash": prev_hash,
        "hash": record_hash,
    }
    return [_cell(flat[column]) for column in CSV_COLUMNS]


def _csv_line(values: list[str] | tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


async def export_csv(
    session: AsyncSession, audit_filter: AuditFilter | None = None
) -> AsyncIterator[str]:
    """A header line, then one CSV line per record, oldest first (RFC 4180, CRLF)."""
    yield _csv_line(CSV_COLUMNS)
    async for row in iter_records(session, audit_filter):
        record = json.loads(row.record)
        yield _csv_line(_csv_values(record, row.prev_hash, row.hash))
