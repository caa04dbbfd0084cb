"""Querying with filters and keyset pages; streaming JSONL and CSV exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from interlock.errors import InvalidRequest
from interlock_gateway.audit import (
    AuditEntry,
    AuditFilter,
    AuditReason,
    AuditTrail,
    chain_hash,
    export_csv,
    export_jsonl,
    query,
)
from interlock_gateway.audit.canonical import canonical_json
from interlock_gateway.audit.export import CSV_COLUMNS
from interlock_gateway.audit.query import iter_records
from interlock_gateway.store import Database

from .helpers import ACTORS, append_many


@pytest.fixture
async def filled(db: Database, trail: AuditTrail) -> Database:
    await append_many(db, trail, 30)
    return db


async def test_pages_newest_first_until_exhausted(filled: Database) -> None:
    seen: list[int] = []
    token = None
    async with filled.session() as session:
        while True:
            page = await query(session, page_size=7, page_token=token)
            seen.extend(record.seq for record in page.records)
            token = page.next_page_token
            if token is None:
                break
    assert seen == list(range(30, 0, -1))


async def test_filters_combine(filled: Database) -> None:
    audit_filter = AuditFilter(actor="bob", account="beisen-cn")
    async with filled.session() as session:
        page = await query(session, audit_filter, page_size=200)
    assert page.next_page_token is None
    assert page.records
    for record in page.records:
        assert record.record["actor"]["principal"] == "bob"
        assert record.record["target"]["account"] == "beisen-cn"


async def test_time_range(filled: Database) -> None:
    now = datetime.now(UTC)
    async with filled.session() as session:
        everything = await query(session, AuditFilter(since=now - timedelta(hours=1)), page_size=50)
        nothing = await query(session, AuditFilter(until=now - timedelta(hours=1)))
    assert len(everything.records) == 30
    assert nothing.records == []


@pytest.mark.parametrize(
    "token", ["garbage", "eyJiIjogLTF9", ""], ids=["garbage", "bad-value", "empty"]
)
async def test_bad_tokens_are_invalid_requests(filled: Database, token: str) -> None:
    async with filled.session() as session:
        if token == "":
            assert (await query(session, page_token=token)).records  # empty = first page
            return
        with pytest.raises(InvalidRequest):
            await query(session, page_token=token)


async def test_token_is_bound_to_its_filter(filled: Database) -> None:
    async with filled.session() as session:
        page = await query(session, AuditFilter(actor=ACTORS[0]), page_size=2)
        assert page.next_page_token is not None
        with pytest.raises(InvalidRequest, match="another query"):
            await query(session, AuditFilter(actor=ACTORS[1]), page_token=page.next_page_token)
        with pytest.raises(InvalidRequest):
            await query(session, page_size=0)


async def test_jsonl_export_streams_every_record_and_rechains(filled: Database) -> None:
    async with filled.session() as session:
        lines = [json.loads(chunk) async for chunk in export_jsonl(session)]
    assert [line["seq"] for line in lines] == list(range(1, 31))
    prev = "0" * 64
    for line in lines:
        assert chain_hash(prev, canonical_json(line["record"])) == line["hash"]
        prev = line["hash"]


async def test_csv_export_has_header_and_one_row_per_record(filled: Database) -> None:
    async with filled.session() as session:
        text = "".join(
            [chunk async for chunk in export_csv(session, AuditFilter(action="operation.undo"))]
        )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {row["action"] for row in rows} == {"operation.undo"}
    assert len(rows) == 7  # i % 4 == 3 for i in 0..29


async def test_csv_cells_cannot_become_formulas(db: Database, trail: AuditTrail) -> None:
    entry = AuditEntry(
        action="operation.pause", reason=AuditReason(code="other", note="=HYPERLINK()")
    )
    async with db.write() as session:
        await trail.append(session, entry)
    async with db.session() as session:
        text = "".join([chunk async for chunk in export_csv(session)])
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["reason_note"] == "'=HYPERLINK()"


@pytest.mark.parametrize("page_size", [1, 7, 30, 31])
async def test_iter_records_pages_cover_everything_once(filled: Database, page_size: int) -> None:
    async with filled.session() as session:
        seqs = [row.seq async for row in iter_records(session, page_size=page_size)]
    assert seqs == list(range(1, 31))
