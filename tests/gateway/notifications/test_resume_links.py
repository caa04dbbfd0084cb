"""Resume links through the gateway (SQLite and PostgreSQL): issued with an applied pause,
continue once as ``candidate`` within the deadline, explained after it, after use and after a
terminate; forged and altered tokens get one neutral page; QR codes in SVG and PNG."""

from __future__ import annotations

import json

from sqlalchemy import select

from interlock.models import SessionState
from interlock_gateway.store.tables import Operation, ResumeLink

from ..api.harness import FakeClock, Harness


async def _paused_link(harness: Harness) -> tuple[str, str, str]:
    session_id = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    response = await harness.verb("pause", session_id)
    assert response.status_code == 200, response.text
    async with harness.runtime.db.session() as session:
        link = await session.scalar(select(ResumeLink).where(ResumeLink.session_id == session_id))
    assert link is not None
    links = harness.runtime.context.links
    assert links is not None
    return session_id, link.id, links.token(link.id)


async def test_continue_once_within_the_deadline(notified: Harness) -> None:
    session_id, _, token = await _paused_link(notified)

    page = await notified.client.get(f"/c/{token}?lang=en")
    assert page.status_code == 200
    assert 'data-status="active"' in page.text
    assert "Continue the interview" in page.text
    assert "content-security-policy" in page.headers
    masked = notified.double().world.get(session_id).candidate_name
    assert masked not in page.text  # only the masked name is shown
    svg = await notified.client.get(f"/c/{token}/qr.svg")
    png = await notified.client.get(f"/c/{token}/qr.png")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.lstrip().startswith("<?xml") or "<svg" in svg.text
    assert png.content.startswith(b"\x89PNG")

    resumed = await notified.client.post(f"/c/{token}/continue", data={"lang": "en"})
    assert resumed.status_code == 303
    assert resumed.headers["location"].endswith(f"/interview/{session_id}")
    assert notified.state(session_id) is SessionState.IN_PROGRESS
    async with notified.runtime.db.session() as session:
        resume = await session.scalar(
            select(Operation).where(Operation.session_id == session_id, Operation.verb == "resume")
        )
    assert resume is not None
    assert resume.actor == "candidate"
    assert resume.status == "succeeded"
    records = [r for r in await notified.audit() if r.operation_id == resume.id]
    assert json.loads(records[0].record)["actor"]["role"] == "candidate"

    again = await notified.client.post(f"/c/{token}/continue", data={"lang": "en"})
    assert again.status_code == 200
    assert 'data-status="used"' in again.text
    assert (await notified.client.get(f"/c/{token}/qr.svg")).status_code == 404


async def test_after_the_deadline_the_link_explains_itself(
    notified: Harness, clock: FakeClock
) -> None:
    session_id, _, token = await _paused_link(notified)
    clock.advance(seconds=301)  # resume_window is 300 s in the harness

    page = await notified.client.post(f"/c/{token}/continue", data={"lang": "en"})

    assert 'data-status="expired"' in page.text
    operations = await notified.operations()
    assert not [op for op in operations if op.verb == "resume"]  # nothing was resumed
    assert notified.state(session_id) is not SessionState.IN_PROGRESS


async def test_a_terminated_session_ends_the_link(notified: Harness, clock: FakeClock) -> None:
    session_id, _, token = await _paused_link(notified)
    assert (await notified.verb("terminate", session_id)).status_code == 200
    clock.advance(seconds=61)  # past the undo window: the terminate commits
    await notified.settle()

    page = await notified.client.get(f"/c/{token}")

    assert 'data-status="ended"' in page.text


async def test_forged_and_altered_tokens_get_one_neutral_page(notified: Harness) -> None:
    _, link_id, token = await _paused_link(notified)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = f"{link_id}.not-the-mac"
    unknown = "x" * 22 + ".y"

    pages = [await notified.client.get(f"/c/{t}") for t in (altered, forged, unknown)]

    assert {p.status_code for p in pages} == {404}
    assert len({p.text for p in pages}) == 1  # nothing tells them apart
    assert link_id not in pages[0].text
    posted = await notified.client.post(f"/c/{forged}/continue")
    assert posted.status_code == 404
    assert (await notified.client.get(f"/c/{forged}/qr.png")).status_code == 404


async def test_i_need_another_time_tells_the_owner(notified: Harness) -> None:
    _, _, token = await _paused_link(notified)

    page = await notified.client.post(f"/c/{token}/later", data={"lang": "zh-CN"})

    assert "我们已通知 HR" in page.text
    actions = [r.action for r in await notified.audit()]
    assert "candidate.needs_time" in actions


async def test_the_page_is_rate_limited(notified: Harness) -> None:
    codes = [(await notified.client.get("/c/x.y")).status_code for _ in range(30)]
    assert codes[0] == 404
    assert codes[-1] == 429  # burst of 20, then one a second


async def test_hr_revokes_a_link(notified: Harness) -> None:
    session_id, _, token = await _paused_link(notified)
    async with notified.runtime.db.session() as session:
        link = await session.scalar(select(ResumeLink).where(ResumeLink.session_id == session_id))
    assert link is not None
    path = f"/v1/operations/{link.operation_id}/resume-link/revoke"

    revoked = await notified.post(path, "admin", None)
    again = await notified.post(path, "admin", None)

    assert revoked.status_code == 204
    assert again.status_code == 404
    page = await notified.client.get(f"/c/{token}")
    assert 'data-status="revoked"' in page.text
    assert "resume_link.revoke" in [r.action for r in await notified.audit()]
