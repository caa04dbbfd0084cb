"""The outbox: written with the operation, delivered by the notifier through a real SMTP server,
retried while the channel is down, nothing lost and nothing sent twice (SQLite and PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from harness.smtp_sink import SmtpSink
from interlock.models import SessionState
from interlock_gateway.store.tables import Notification, ResumeLink

from ..api.harness import FakeClock, Harness, gateway, gateway_settings
from .conftest import ADMIN_ADDRESS, eventually, mail_settings


async def _notifications(harness: Harness) -> list[Notification]:
    async with harness.runtime.db.session() as session:
        found = await session.scalars(select(Notification).order_by(Notification.event))
        return list(found)


async def test_channel_down_then_up_nothing_lost_nothing_twice(
    notified: Harness, sink: SmtpSink, clock: FakeClock
) -> None:
    session_id = notified.session("Backend Engineer", SessionState.IN_PROGRESS)

    response = await notified.verb("pause", session_id)

    assert response.status_code == 200, response.text  # the stop never waits for delivery
    op_id = response.json()["id"]
    rows = await _notifications(notified)
    assert [(n.event, n.audience) for n in rows] == [
        ("operation.finished", "hr"),
        ("session.paused", "candidate"),
    ]
    assert {n.operation_id for n in rows} == {op_id}

    async def all_retrying() -> bool:
        found = await _notifications(notified)
        return all(n.status == "pending" and n.attempts >= 1 for n in found)

    await eventually(all_retrying)  # the SMTP server is not running: connection refused
    failed = await _notifications(notified)
    assert all(n.last_error for n in failed)
    audit = [r for r in await notified.audit() if r.action.startswith("notification.")]
    assert {r.action for r in audit} == {"notification.retry"}
    assert any("a***@example.com" in r.record for r in audit)
    assert not any(ADMIN_ADDRESS in r.record for r in audit)  # the address stays masked

    sink.start()
    clock.advance(seconds=30)  # past the backoff

    async def all_delivered() -> bool:
        return all(n.status == "delivered" for n in await _notifications(notified))

    await eventually(all_delivered)
    clock.advance(minutes=30)
    assert await notified.runtime.notifier.run_once() == 0  # nothing due any more

    mail = sink.messages()
    assert sorted(m["message_id"] for m in mail) == sorted(f"<{n.id}@interlock>" for n in rows)
    by_event = {m["event"]: m for m in mail}
    assert by_event["operation.finished"]["to"] == [ADMIN_ADDRESS]
    assert "operator_error" in by_event["operation.finished"]["body"]  # HR sees the reason
    candidate = by_event["session.paused"]["body"]
    assert "operator_error" not in candidate  # the candidate gets a neutral apology
    assert "We apologise" in candidate
    assert "/c/" in candidate  # with the resume link
    async with notified.runtime.db.session() as session:
        links = list(await session.scalars(select(ResumeLink)))
    assert [(link.operation_id, link.state) for link in links] == [(op_id, "active")]

    shown = await notified.client.get(f"/v1/operations/{op_id}", headers=notified.headers("admin"))
    listed = shown.json()["notifications"]
    assert {(n["event"], n["status"], n["recipient"]) for n in listed} == {
        ("operation.finished", "delivered", "a***@example.com"),
        ("session.paused", "delivered", "c***@example.com"),
    }
    assert all(n["attempts"] >= 2 for n in listed)
    actions = [r.action for r in await notified.audit() if r.action.startswith("notification.")]
    assert actions.count("notification.delivered") == 2


async def test_no_routes_no_rows(harness_without_routes: Harness) -> None:
    session_id = harness_without_routes.session("Backend Engineer", SessionState.IN_PROGRESS)
    response = await harness_without_routes.verb("pause", session_id)
    assert response.status_code == 200
    assert await _notifications(harness_without_routes) == []


async def test_approvals_are_told_when_requested_and_when_decided(
    notified: Harness, sink: SmtpSink
) -> None:
    sink.start()
    session_id = notified.session("Sales Director", SessionState.IN_PROGRESS)  # protected
    requested = await notified.verb("terminate", session_id, who="spec")
    assert requested.status_code == 202, requested.text
    approval_id = requested.json()["approval"]["id"]
    decided = await notified.post(f"/v1/approvals/{approval_id}/reject", "mgr", {"note": "no"})
    assert decided.status_code == 200, decided.text

    async def both_sent() -> bool:
        return {m["event"] for m in sink.messages()} >= {"approval.requested", "approval.decided"}

    await eventually(both_sent)
    mail = {m["event"]: m for m in sink.messages()}
    assert mail["approval.requested"]["to"] == ["approvers@example.com"]
    assert mail["approval.decided"]["to"] == ["spec@example.com"]
    assert "rejected" in mail["approval.decided"]["subject"]


async def test_a_broken_template_falls_back_and_is_reported(
    database_url: str, tmp_path: Path, clock: FakeClock, sink: SmtpSink
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "session.paused.en.txt").write_text("Hi\n\n{{ reason_code }}", encoding="utf-8")
    settings = gateway_settings(database_url, str(tmp_path))
    notifications = mail_settings(sink.port, templates_dir=templates)
    sink.start()
    async with gateway(settings, clock=clock, notifications=notifications) as running:
        session_id = running.session("Backend Engineer", SessionState.IN_PROGRESS)
        assert (await running.verb("pause", session_id)).status_code == 200

        async def sent() -> bool:
            return any(m["event"] == "session.paused" for m in sink.messages())

        async def reported() -> bool:  # recorded just after the SMTP server accepted it
            return any(r.action == "notification.template_failed" for r in await running.audit())

        await eventually(sent)
        await eventually(reported)
        records = [r for r in await running.audit() if r.action == "notification.template_failed"]
    (mail,) = [m for m in sink.messages() if m["event"] == "session.paused"]
    assert mail["subject"] == "Your AI interview is paused"  # the default text
    assert len(records) == 1
    assert "UndefinedError" in records[0].record
    assert "operator_error" not in mail["body"]
