"""``/v1/audit``, ``/v1/audit/export`` and ``/v1/audit/verify`` on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from interlock_gateway.audit.canonical import canonical_json
from interlock_gateway.audit.chain import chain_hash
from interlock_gateway.store import Database
from interlock_gateway.store.tables import GENESIS_HASH

from ..audit.helpers import ACTORS, append_many
from .harness import FakeClock, Harness, gateway, gateway_settings

SYNTHETIC = 30  # records appended by ``seeded``; actors cycle through helpers.ACTORS


@pytest.fixture
async def harness(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """A gateway on this test's fresh database (``sqlite`` and ``postgresql``)."""
    async with gateway(gateway_settings(database_url, str(tmp_path)), clock=clock) as running:
        yield running


@pytest.fixture
async def seeded(harness: Harness) -> Harness:
    """The harness with :data:`SYNTHETIC` varied records after the principals' creation."""
    await append_many(harness.runtime.db, harness.runtime.trail, SYNTHETIC)
    return harness


async def get(harness: Harness, path: str, who: str = "auditor", **params: Any) -> dict[str, Any]:
    response = await harness.client.get(path, params=params, headers=harness.headers(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("who", "status"),
    [("auditor", 200), ("admin", 200), ("spec", 403), ("mgr", 403)],
    ids=["auditor", "admin", "specialist", "manager"],
)
@pytest.mark.parametrize("path", ["/v1/audit", "/v1/audit/export", "/v1/audit/verify"])
async def test_only_auditors_and_admins_read_the_trail(
    harness: Harness, path: str, who: str, status: int
) -> None:
    response = await harness.client.get(path, headers=harness.headers(who))
    assert response.status_code == status
    if status == 403:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "INTERLOCK.POLICY_DENIED"


async def test_without_a_key_the_trail_is_closed(harness: Harness) -> None:
    response = await harness.client.get("/v1/audit")
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH.MISSING_KEY"


async def test_list_is_newest_first_and_pages_with_tokens(seeded: Harness) -> None:
    total = await seeded.last_seq()
    seen: list[int] = []
    token = None
    while True:
        params: dict[str, Any] = {"page_size": 7, **({"page_token": token} if token else {})}
        page = await get(seeded, "/v1/audit", **params)
        seen += [r["seq"] for r in page["records"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == list(range(total, 0, -1))


async def test_every_filter_narrows_the_list(seeded: Harness) -> None:
    page = await get(seeded, "/v1/audit", actor=ACTORS[1], page_size=200)
    assert page["records"]
    assert {r["record"]["actor"]["principal"] for r in page["records"]} == {ACTORS[1]}

    page = await get(
        seeded,
        "/v1/audit",
        action="operation.terminate",
        outcome="failed",
        account="yonyou-sh",
        page_size=200,
    )
    for record in (r["record"] for r in page["records"]):
        assert (record["action"], record["outcome"]) == ("operation.terminate", "failed")
        assert record["target"]["account"] == "yonyou-sh"

    page = await get(seeded, "/v1/audit", session="s-000004")
    assert [r["record"]["target"]["session_id"] for r in page["records"]] == ["s-000004"]


async def test_the_time_window_is_inclusive_then_exclusive(seeded: Harness) -> None:
    records = (await get(seeded, "/v1/audit", page_size=200))["records"]
    middle = records[len(records) // 2]["created_at"]
    newer = await get(seeded, "/v1/audit", page_size=200, **{"from": middle})
    older = await get(seeded, "/v1/audit", page_size=200, to=middle)
    assert len(newer["records"]) + len(older["records"]) == len(records)
    assert all(r["created_at"] >= middle for r in newer["records"])
    assert all(r["created_at"] < middle for r in older["records"])


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"page_size": 201}, 422, "REQUEST.PAGE_SIZE"),
        ({"page_size": 0}, 422, "REQUEST.VALIDATION"),
        ({"page_token": "not-a-token"}, 400, "INTERLOCK.INVALID_REQUEST"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 422, "REQUEST.VALIDATION"),
        ({"from": "2026-01-02T00:00:00"}, 422, "REQUEST.VALIDATION"),  # no zone
        ({"actr": "alice"}, 422, "REQUEST.UNKNOWN_PARAMETER"),
    ],
    ids=["page-too-large", "page-zero", "bad-token", "empty-window", "naive-time", "misspelt"],
)
async def test_bad_queries_are_problems(
    harness: Harness, params: dict[str, Any], status: int, code: str
) -> None:
    response = await harness.client.get(
        "/v1/audit", params=params, headers=harness.headers("auditor")
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_a_token_is_bound_to_its_filters(seeded: Harness) -> None:
    page = await get(seeded, "/v1/audit", page_size=2, actor=ACTORS[0])
    response = await seeded.client.get(
        "/v1/audit",
        params={"page_size": 2, "actor": ACTORS[2], "page_token": page["next_page_token"]},
        headers=seeded.headers("auditor"),
    )
    assert response.status_code == 400
    assert "another query" in response.json()["detail"]


async def test_jsonl_export_streams_a_chain_that_verifies_on_its_own(seeded: Harness) -> None:
    async with seeded.client.stream(
        "GET", "/v1/audit/export", params={"format": "jsonl"}, headers=seeded.headers("auditor")
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="interlock-audit-')
        assert disposition.endswith('.jsonl"')
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    lines = [json.loads(line) for line in body.decode().splitlines()]
    prev = GENESIS_HASH
    for number, line in enumerate(lines, start=1):
        assert line["seq"] == number
        assert line["prev_hash"] == prev
        assert chain_hash(prev, canonical_json(line["record"])) == line["hash"]
        prev = line["hash"]
    # The export audits itself before it reads, so it is its own last line.
    assert lines[-1]["record"]["action"] == "audit.export"
    assert lines[-1]["record"]["actor"]["principal"] == "auditor"


async def _asgi_get(harness: Harness, path: str, who: str) -> list[MutableMapping[str, Any]]:
    """The ASGI messages the app sends (httpx's ASGI transport joins the body parts)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {harness.keys[who]}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("gateway.test", 80),
    }
    messages: list[MutableMapping[str, Any]] = []
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)

    await harness.app(scope, receive, send)
    return messages


async def test_a_large_export_is_streamed_in_several_chunks(seeded: Harness) -> None:
    await append_many(seeded.runtime.db, seeded.runtime.trail, 200, start=SYNTHETIC)
    messages = await _asgi_get(seeded, "/v1/audit/export", "admin")
    start, *bodies = messages
    headers = dict(start["headers"])
    assert start["status"] == 200
    assert b"content-length" not in headers  # streamed, not buffered
    chunks = [m["body"] for m in bodies if m["body"]]
    assert len(chunks) > 1
    assert all(m.get("more_body") for m in bodies[:-1])
    assert sum(len(c) for c in chunks) > 64 * 1024


async def test_csv_export_has_a_header_and_one_filtered_row_per_record(seeded: Harness) -> None:
    response = await seeded.client.get(
        "/v1/audit/export",
        params={"format": "csv", "actor": ACTORS[3]},
        headers=seeded.headers("admin"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows
    assert {row["actor"] for row in rows} == {ACTORS[3]}
    assert all(row["hash"] and row["prev_hash"] for row in rows)


async def test_an_unknown_export_format_is_refused(harness: Harness) -> None:
    response = await harness.client.get(
        "/v1/audit/export", params={"format": "xml"}, headers=harness.headers("auditor")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.format"


async def test_verify_reports_an_intact_chain(seeded: Harness) -> None:
    result = await get(seeded, "/v1/audit/verify")
    last = await seeded.last_seq()
    assert result == {
        "ok": True,
        "records_checked": last,
        "checkpoints_checked": 0,
        "first_broken_seq": None,
        "reason": None,
        "last_seq": last,
        "last_hash": (await seeded.audit())[-1].hash,
        "witnesses": [],
    }


async def _rewrite_record(database_url: str, seq: int) -> None:
    """Change one stored record's text, past the append-only triggers."""
    db = Database(database_url)
    try:
        async with db.write() as session:
            if db.is_sqlite:
                await session.execute(text("DROP TRIGGER audit_records_no_update"))
            else:
                await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(
                text("UPDATE audit_records SET record = replace(record, 'applied', 'rejected') "
                     "WHERE seq = :seq"),
                {"seq": seq},
            )  # fmt: skip
    finally:
        await db.dispose()


async def test_verify_names_the_first_broken_record_and_why(
    seeded: Harness, database_url: str
) -> None:
    records = await seeded.audit()
    victim = next(r for r in records if r.outcome == "applied" and r.seq > 3)
    await _rewrite_record(database_url, victim.seq)

    result = await get(seeded, "/v1/audit/verify", who="admin")
    assert result["ok"] is False
    assert result["first_broken_seq"] == victim.seq
    assert result["reason"]
    assert result["records_checked"] == victim.seq - 1


async def test_the_export_filter_and_the_window_agree_with_the_list(
    seeded: Harness, clock: FakeClock
) -> None:
    clock.advance(hours=1)
    await append_many(seeded.runtime.db, seeded.runtime.trail, 3, start=SYNTHETIC)
    since = (clock.now - timedelta(minutes=1)).isoformat()
    listed = await get(seeded, "/v1/audit", page_size=200, **{"from": since})
    response = await seeded.client.get(
        "/v1/audit/export", params={"from": since}, headers=seeded.headers("auditor")
    )
    exported = [json.loads(line)["seq"] for line in response.text.splitlines()]
    assert len(listed["records"]) == 3
    # The export's own record is appended (at the new time) before it reads.
    assert exported == [*sorted(r["seq"] for r in listed["records"]), exported[-1]]
