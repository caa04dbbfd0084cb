"""A specialist's day in the console, in a real browser against ``interlock serve``."""

from __future__ import annotations

import re

import pytest

from .pages import confirm, new_page, open_verb, row, search, sign_in

pytestmark = pytest.mark.slow
ACCOUNT = "dingtalk-hq"


def test_filter_pause_resume_terminate_undo(gateway, browser, screenshots) -> None:
    session_id = gateway.stage(ACCOUNT, "in_progress", "Backend Engineer", name="Zed Quill")
    other = gateway.stage(ACCOUNT, "in_progress", "Backend Engineer", name="Ann Bell")
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["spec"])
    search(page, candidate="Zed Quill", position="backend", account=ACCOUNT)
    assert row(page, ACCOUNT, session_id).count() == 1
    assert row(page, ACCOUNT, other).count() == 0  # the full name filters, not the title only
    assert "Z** Q****" in row(page, ACCOUNT, session_id).inner_text()  # masked, never the name
    assert "Zed Quill" not in page.inner_text("table.sessions")

    open_verb(page, ACCOUNT, session_id, "pause")
    assert "can continue within 24 hours" in page.inner_text("#consequence")
    assert "answering right now" in page.inner_text("ul.impact")
    page.screenshot(path=screenshots / "confirm-pause-en.png")
    confirm(page, "candidate_network")
    assert "Paused" in row(page, ACCOUNT, session_id).inner_text()

    open_verb(page, ACCOUNT, session_id, "resume")
    confirm(page, "candidate_network")
    assert "In progress" in row(page, ACCOUNT, session_id).inner_text()

    open_verb(page, ACCOUNT, session_id, "terminate")
    page.select_option("#reason", "other")
    page.evaluate("document.getElementById('note').required = false")  # the server checks too
    page.click("#confirm")
    assert page.locator("#note-error").is_visible()  # the error sits next to its field
    assert page.locator("#reason").input_value() == "other"  # what was typed is kept
    confirm(page, "other", note="wrong candidate invited")

    the_row = row(page, ACCOUNT, session_id)
    assert re.search(r"terminating at \d{1,2}:\d{2}", the_row.inner_text())
    assert the_row.locator(".countdown").is_visible()
    assert page.locator(".alert.success .countdown").is_visible()
    page.screenshot(path=screenshots / "sessions-pending-stop-en.png")

    page.goto("/console/operations")
    mine = page.locator("tr", has_text=session_id).first
    assert mine.locator("button.undo").is_visible()  # undo stays here until the window closes
    page.screenshot(path=screenshots / "my-operations-en.png")
    mine.locator("button.undo").click()
    page.wait_for_load_state()
    assert "Undone" in page.inner_text("main")
    search(page, candidate="Zed Quill", account=ACCOUNT)
    assert "terminating" not in row(page, ACCOUNT, session_id).inner_text()
    assert gateway.api("spec", f"/v1/accounts/{ACCOUNT}/sessions/{session_id}")["pending"] is None


def test_unsupported_and_role_are_disabled_with_reasons(gateway, browser) -> None:
    session_id = gateway.stage("yonyou-group", "in_progress", "Backend Engineer")
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["spec"])
    search(page, account="yonyou-group", state="in_progress", position="Backend")
    the_row = row(page, "yonyou-group", session_id)
    the_row.locator("details.menu summary").click()
    pause = the_row.locator("li", has_text="Pause")
    assert pause.locator("a").count() == 0
    assert "yonyou cannot do this" in pause.inner_text()
    assert the_row.locator("a[href*='/terminate?']").count() == 1


def test_an_expired_sign_in_returns_to_the_same_page(gateway, browser) -> None:
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["spec"])
    page.context.clear_cookies()  # as if the sign-in had ended
    page.goto("/console/sessions?state=paused")
    assert "/console/signin" in page.url
    assert page.locator(".alert.info").is_visible()
    page.fill("#key", gateway.keys["spec"])
    page.locator("form[action='/console/signin'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/console/sessions?state=paused")
    assert page.locator("#f-state").input_value() == "paused"
