"""The candidate page in a real browser against a real gateway process: continue within the
deadline (once), after it, twice, and with a tampered token."""

from __future__ import annotations

import time
from typing import Any

import httpx

from .conftest import RESUME_WINDOW_S, Served


def test_continue_within_the_deadline_then_again(served: Served, phone: Any) -> None:
    session_id = served.stage()
    op = served.pause(session_id)
    link = op["resume_link"]
    assert link.startswith(f"{served.url}/c/")
    assert served.state(session_id) == "paused"

    phone.goto(link)
    status = phone.locator("#status")
    assert status.get_attribute("data-status") == "active"
    assert "您的 AI 面试已暂停" in status.inner_text()
    with phone.expect_navigation():
        phone.locator("#continue").tap()
    # DingTalk has no interview page of its own: the candidate goes back to the app
    assert phone.locator("#status").get_attribute("data-status") == "resumed"
    assert served.state(session_id) == "in_progress"
    ops = served.get(f"/v1/accounts/dingtalk-hq/sessions/{session_id}")
    assert ops["state"] == "in_progress"

    phone.goto(link)  # twice: the link explains that it was used
    assert phone.locator("#status").get_attribute("data-status") == "used"
    assert phone.locator("#continue").count() == 0


def test_english_and_another_time(served: Served, phone: Any) -> None:
    session_id = served.stage()
    link = served.pause(session_id)["resume_link"]

    phone.goto(f"{link}?lang=en")
    assert phone.locator("html").get_attribute("lang") == "en"
    with phone.expect_navigation():
        phone.locator("#later").tap()
    assert "We told HR" in phone.locator("#status").inner_text()
    assert served.state(session_id) == "paused"


def test_after_the_deadline(served: Served, phone: Any) -> None:
    session_id = served.stage()
    link = served.pause(session_id)["resume_link"]
    time.sleep(RESUME_WINDOW_S + 1)

    phone.goto(link)

    assert phone.locator("#status").get_attribute("data-status") == "expired"
    assert phone.locator("#continue").count() == 0


def test_a_tampered_token_gets_the_neutral_page(served: Served, phone: Any) -> None:
    session_id = served.stage()
    link = served.pause(session_id)["resume_link"]
    tampered = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")

    response = phone.goto(tampered)

    assert response.status == 404
    assert phone.locator("#status").get_attribute("data-status") == "invalid"
    assert phone.locator("#continue").count() == 0
    unknown = httpx.get(f"{served.url}/c/AAAAAAAAAAAAAAAAAAAAAA.BBBB")
    assert unknown.text == phone.content() or unknown.status_code == 404
    assert served.state(session_id) == "paused"
