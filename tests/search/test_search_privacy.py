"""The full name a search matches on stays in memory: never serialized, echoed, logged, stored
or shown — not by the model, not by the gateway's answers, audit records, batches or logs."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from gateway.api.harness import ACCOUNT, Harness
from interlock.models import Candidate, Position, Session, SessionRef, SessionState
from interlock_gateway.store.tables import AuditRecord, Batch

FULL_NAME = "欧阳娜娜"


def a_session(full_name: str = FULL_NAME) -> Session:
    return Session(
        ref=SessionRef(account="acct", session_id="s1"),
        state=SessionState.IN_PROGRESS,
        vendor_state="RUNNING",
        candidate=Candidate(id="c1", masked_name="欧***", full_name=full_name),
        position=Position(id="p1", title="Backend Engineer"),
    )


def test_the_model_keeps_the_full_name_for_matching_only() -> None:
    session = a_session()
    assert session.candidate.full_name == FULL_NAME
    shown = [
        session.model_dump_json(),
        json.dumps(session.model_dump(mode="json"), ensure_ascii=False),
        str(session.model_dump()),
        repr(session),
        str(session),
        repr(session.candidate),
    ]
    for text in shown:
        assert FULL_NAME not in text
    assert "full_name" not in session.model_dump()["candidate"]


def test_a_validation_error_does_not_quote_the_name() -> None:
    with pytest.raises(ValidationError) as caught:
        Candidate(id="c1", masked_name="欧***", full_name=[FULL_NAME])  # type: ignore[arg-type]
    assert FULL_NAME not in str(caught.value)
    assert "full_name" in str(caught.value)  # the field is still named


def _text_of(record: Any) -> str:
    columns = {c.name: getattr(record, c.name) for c in record.__table__.columns}
    return json.dumps(columns, default=str, ensure_ascii=False)


async def test_the_gateway_never_echoes_stores_or_logs_a_searched_full_name(
    harness: Harness, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    sessions = harness.double().world.sessions.values()
    named = [s for s in sessions if s.candidate_name == FULL_NAME]
    # Of this name, the in-progress interviews for a position that needs no approval.
    wanted = [
        s
        for s in named
        if s.state is SessionState.IN_PROGRESS and s.position.title == "Frontend Engineer"
    ]
    assert named
    assert wanted
    headers = harness.headers("admin")

    listing = await harness.client.get(
        "/v1/sessions", params={"account": ACCOUNT, "candidate": FULL_NAME}, headers=headers
    )
    assert listing.status_code == 200
    found = {s["name"].rsplit("/", 1)[1] for s in listing.json()["sessions"]}
    assert found == {s.id for s in named}
    single = await harness.client.get(
        f"/v1/accounts/{ACCOUNT}/sessions/{wanted[0].id}", headers=headers
    )
    assert single.status_code == 200

    # Act on them by the full name: a preview, then a batch (stored, audited, run).
    body: dict[str, Any] = {
        "action": "pause",
        "filter": {
            "account": ACCOUNT,
            "candidate": FULL_NAME,
            "position": "frontend engineer",
            "states": ["in_progress"],
        },
        "reason": {"code": "process_change"},
    }
    preview = await harness.post("/v1/previews", "admin", body)
    assert preview.status_code == 200, preview.text
    assert preview.json()["total"] == len(wanted)
    body["confirm_token"] = preview.json()["confirm_token"]
    batch = await harness.post("/v1/batches", "admin", body, str(uuid.uuid4()))
    assert batch.status_code == 202, batch.text
    await harness.settle()
    assert all(harness.state(s.id) is SessionState.PAUSED for s in wanted)

    for response in (listing, single, preview, batch):
        assert FULL_NAME not in response.text
    audit = await harness.audit()
    assert audit, "the batch left no audit records to check"
    assert not [r.seq for r in audit if FULL_NAME in _text_of(r)]
    async with harness.runtime.db.session() as db:
        batches = list(await db.scalars(select(Batch)))
    assert [b.filter["candidate"] for b in batches if b.filter] == ["欧***"]
    assert not [b.id for b in batches if FULL_NAME in _text_of(b)]
    out, err = capfd.readouterr()
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    assert FULL_NAME not in caplog.text + out + err
    assert AuditRecord.__tablename__  # the table checked above is the audit trail
