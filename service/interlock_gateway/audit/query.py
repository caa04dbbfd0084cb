"""Reading the trail: filters, keyset pagination with opaque page tokens, and row views."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlock.errors import InvalidRequest

from ..store.tables import AuditRecord
from .canonical import canonical_json

__all__ = ["MAX_PAGE_SIZE", "AuditFilter", "AuditPage", "AuditView", "iter_records", "query"]

MAX_PAGE_SIZE = 200
# Plain column rows, not ORM entities: nothing lands in the caller's identity map, so paging
# through millions of records keeps memory flat and the caller's session untouched.
_COLUMNS = tuple(AuditRecord.__table__.c)


class _StoredRow(Protocol):
    seq: int
    created_at: datetime
    prev_hash: str
    hash: str
    record: str


class AuditFilter(BaseModel):
    """Filters of ``GET /v1/audit``; ``since`` is inclusive, ``until`` exclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str | None = None
    account: str | None = None
    session_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, statement: Select[Any]) -> Select[Any]:
        """Add this filter's WHERE clauses to ``statement``."""
        equal = {
            AuditRecord.actor: self.actor,
            AuditRecord.account: self.account,
            AuditRecord.session_id: self.session_id,
            AuditRecord.action: self.action,
            AuditRecord.outcome: self.outcome,
        }
        for column, value in equal.items():
            if value is not None:
                statement = statement.where(column == value)
        if self.since is not None:
            statement = statement.where(AuditRecord.created_at >= self.since)
        if self.until is not None:
            statement = statement.where(AuditRecord.created_at < self.until)
        return statement

    def digest(self) -> str:
        """A short fingerprint, bound into page tokens so a token is used with its own filter."""
        return hashlib.sha256(canonical_json(self.model_dump(mode="json")).encode()).hexdigest()[
            :16
        ]


class AuditView(BaseModel):
    """One record as the API returns it: the chain fields and the parsed record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    created_at: datetime
    prev_hash: str
    hash: str
    record: dict[str, Any]

    @classmethod
    def of(cls, row: _StoredRow) -> AuditView:
        """The view of a stored row."""
        return cls(
            seq=row.seq,
            created_at=row.created_at,
            prev_hash=row.prev_hash,
            hash=row.hash,
            record=json.loads(row.record),
        )


class AuditPage(BaseModel):
    """One page, newest first, and the token for the next (older) page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    records: list[AuditView]
    next_page_token: str | None = None


def _encode_token(before_seq: int, audit_filter: AuditFilter) -> str:
    raw = json.dumps({"b": before_seq, "f": audit_filter.digest()}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: str, audit_filter: AuditFilter) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        before, digest = data["b"], data["f"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest(
            "page_token is not a token this API issued", hint="omit it to start again"
        ) from exc
    if not isinstance(before, int) or before < 1 or digest != audit_filter.digest():
        raise InvalidRequest(
            "page_token belongs to another query", hint="repeat the same filters, or omit it"
        )
    return before


async def query(
    session: AsyncSession,
    audit_filter: AuditFilter | None = None,
    *,
    page_size: int = 50,
    page_token: str | None = None,
) -> AuditPage:
    """One page of records matching ``audit_filter``, newest first (keyset on ``seq``)."""
    audit_filter = audit_filter or AuditFilter()
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    statement = audit_filter.apply(select(*_COLUMNS))
    if page_token:
        statement = statement.where(AuditRecord.seq < _decode_token(page_token, audit_filter))
    rows = (
        await session.execute(statement.order_by(AuditRecord.seq.desc()).limit(page_size + 1))
    ).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    token = _encode_token(rows[-1].seq, audit_filter) if more else None
    return AuditPage(records=[AuditView.of(row) for row in rows], next_page_token=token)


async def iter_records(
    session: AsyncSession, audit_filter: AuditFilter | None = None, *, page_size: int = 500
) -> AsyncIterator[Row[Any]]:
    """Every matching record (a row with the table's columns), oldest first, page by page."""
    audit_filter = audit_filter or AuditFilter()
    after = 0
    while True:
        statement = audit_filter.apply(select(*_COLUMNS)).where(AuditRecord.seq > after)
        rows = (await session.execute(statement.order_by(AuditRecord.seq).limit(page_size))).all()
        for row in rows:
            yield row
        if len(rows) < page_size:
            return
        after = rows[-1].seq
