"""Batches, maker-checker, the auditor, both languages, the keyboard, hostile input, CSRF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .pages import confirm, new_page, open_verb, row, search, sign_in

pytestmark = pytest.mark.slow


def test_batch_with_live_progress_a_failure_and_batch_undo(gateway, browser, screenshots) -> None:
    ids = [gateway.stage("beisen-cn", "in_progress", "Backend Engineer") for _ in range(3)]
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["spec"])
    search(page, account="beisen-cn", state="in_progress", position="Backend")
    for session_id in ids:
        row(page, "beisen-cn", session_id).locator("input.pick").check()
    page.select_option("#batch-action", "terminate")
    page.locator("#batch-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "beisen-cn" in page.inner_text("table")
    assert "Candidates answering right now: 3" in page.inner_text("ul.impact")
    page.screenshot(path=screenshots / "batch-preview-en.png")
    gateway.remove("beisen-cn", ids[1])  # deleted at the vendor after the preview
    confirm(page, "process_change")
    assert re.search(r"/console/batches/[\w-]+$", page.url)
    page.locator("#progress[data-finished='true']").wait_for(timeout=30_000)  # SSE, then reload
    failures = page.locator("table.failures tbody tr")
    assert failures.count() == 1
    assert ids[1] in failures.first.inner_text()
    assert failures.first.locator(".code").inner_text().strip()  # the error code
    assert failures.first.locator("td").nth(3).inner_text().strip()  # the vendor's message
    page.screenshot(path=screenshots / "batch-en.png")
    page.locator("form.undo-batch button").click()
    page.wait_for_load_state()
    assert "Undone: 2 sessions were given back." in page.inner_text("main")


def test_maker_checker_in_two_browsers(gateway, browser, screenshots) -> None:
    session_id = gateway.stage("dingtalk-hq", "in_progress", "Sales Director")
    maker = new_page(browser, gateway)
    sign_in(maker, gateway.keys["spec"])
    search(maker, account="dingtalk-hq", position="Sales Director", state="in_progress")
    open_verb(maker, "dingtalk-hq", session_id, "terminate")
    assert "approval is needed from a manager of department sales" in maker.inner_text("main")
    confirm(maker, "process_change")
    assert "waits for an approver" in maker.inner_text(".alert.success")

    checker = new_page(browser, gateway)
    sign_in(checker, gateway.keys["mgr"])
    checker.goto("/console/approvals")
    card = checker.locator("article.approval", has_text=session_id)
    assert "spec" in card.inner_text()
    checker.screenshot(path=screenshots / "approvals-en.png")
    card.locator("input[name=note]").fill("confirmed with the hiring manager")
    card.locator("button", has_text="Approve").click()
    checker.wait_for_load_state()
    assert "Approved" in checker.inner_text("main")

    search(maker, account="dingtalk-hq", position="Sales Director", state="paused")
    assert "terminating at" in row(maker, "dingtalk-hq", session_id).inner_text()


def test_auditor_filters_verifies_and_exports(gateway, browser, screenshots) -> None:
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["auditor"])
    assert page.url.endswith("/console/audit")
    assert page.locator("nav a", has_text="Sessions").count() == 0  # not the auditor's page
    page.fill("#a-action", "console.signin")
    page.locator("form.filters button[name=verify]").click()
    page.wait_for_load_state()
    assert "The chain is intact" in page.inner_text("#verify-result")
    assert "console.signin" in page.inner_text("table.audit")
    page.screenshot(path=screenshots / "audit-en.png")
    with page.expect_download() as csv_download:
        page.click("a[href*='export.csv']")
    raw = Path(csv_download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese correctly
    assert b"console.signin" in raw
    with page.expect_download() as jsonl_download:
        page.click("a[href*='export.jsonl']")
    lines = Path(jsonl_download.value.path()).read_bytes().splitlines()
    assert lines
    assert all(line.startswith(b"{") for line in lines)


def test_chinese_from_accept_language_switch_and_remembered(gateway, browser, screenshots) -> None:
    page = new_page(browser, gateway, "zh")
    page.goto("/console/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "登录 Interlock 控制台" in page.inner_text("h1")
    sign_in(page, gateway.keys["spec"])
    assert "面试" in page.inner_text("h1")
    page.screenshot(path=screenshots / "sessions-zh.png")
    page.select_option("#pref-language", "en")
    page.locator("form[action='/console/preferences'] button").click()
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Sessions"
    page.goto("/console/operations")  # remembered on the next page, whatever the browser asks
    assert page.inner_text("h1") == "My operations"


def test_keyboard_only_terminate(gateway, browser) -> None:
    session_id = gateway.stage("dingtalk-hq", "in_progress", "Backend Engineer", name="Kay Board")
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["spec"])
    search(page, candidate="Kay Board", account="dingtalk-hq")
    summary = row(page, "dingtalk-hq", session_id).locator("details.menu summary")
    for _ in range(80):  # Tab from the top of the page to the row's "⋯"
        page.keyboard.press("Tab")
        if summary.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail("the row's menu cannot be reached with Tab")
    page.keyboard.press("Enter")
    terminate = row(page, "dingtalk-hq", session_id).locator("a[href*='/terminate?']")
    for _ in range(6):
        page.keyboard.press("Tab")
        if terminate.evaluate("e => e === document.activeElement"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/terminate\?"))
    page.locator("#reason").focus()  # the first field of the dialog's form
    page.keyboard.press("ArrowDown")  # "Operator error"
    page.keyboard.press("Tab")  # note
    page.keyboard.press("Tab")  # confirm
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "terminating at" in row(page, "dingtalk-hq", session_id).inner_text()


def test_xss_in_a_candidate_name_and_a_note_is_shown_as_text(gateway, browser) -> None:
    hostile = '<img src=x onerror="window.__xss=1">'
    session_id = gateway.stage("dingtalk-hq", "in_progress", "Backend Engineer", name=hostile)
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["spec"])
    search(page, account="dingtalk-hq", position="Backend", state="in_progress")
    the_row = row(page, "dingtalk-hq", session_id)
    assert the_row.locator("img").count() == 0
    assert "<*** s****" in the_row.inner_text()  # the masked name, as text
    open_verb(page, "dingtalk-hq", session_id, "pause")
    confirm(page, "other", note="<script>window.__xss=2</script>")
    page.goto("/console/operations")
    assert "<script>window.__xss=2</script>" in page.inner_text("main")
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []


def test_csrf_is_refused(gateway, browser) -> None:
    session_id = gateway.stage("dingtalk-hq", "in_progress", "Backend Engineer")
    page = new_page(browser, gateway)
    sign_in(page, gateway.keys["spec"])
    url = f"/console/sessions/dingtalk-hq/{session_id}/pause"
    forged = page.request.post(url, form={"csrf_token": "forged", "reason": "other", "note": "x"})
    assert forged.status == 403
    missing = page.request.post(url, form={"reason": "operator_error"})
    assert missing.status == 403
    assert "CONSOLE.CSRF" in missing.text()
    state = gateway.api("spec", f"/v1/accounts/dingtalk-hq/sessions/{session_id}")["state"]
    assert state == "in_progress"  # nothing was done


_WATCH_PROGRESS = """account => {
  const cell = document.querySelector(
    `#progress tr[data-account="${account}"] [data-count="succeeded"]`);
  sessionStorage.setItem("seen", "[]");
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.getItem("seen"));
    seen.push(cell.textContent.trim());
    sessionStorage.setItem("seen", JSON.stringify(seen));  // kept across the final reload
  }).observe(cell, {subtree: true, childList: true, characterData: true});
}"""


def test_batch_over_all_that_match_the_filter_with_progress_seen_live(gateway, browser) -> None:
    name = "Zed Qxfilter Batchmatch"  # masked Z** Q******* B*********: no seeded name is
    protected = [gateway.stage("dingtalk-hq", "in_progress", "Sales Director", name=name)]
    protected.append(gateway.stage("dingtalk-hq", "in_progress", "Sales Director", name=name))
    other = gateway.stage("beisen-cn", "in_progress", "Backend Engineer", name=name)
    maker = new_page(browser, gateway)
    streams: list[str] = []
    maker.on("request", lambda r: streams.append(r.url) if r.url.endswith("/events") else None)
    sign_in(maker, gateway.keys["admin"])
    search(maker, candidate=name)
    assert maker.locator("table.sessions tbody tr").count() == 3
    maker.check("#all-matching")  # no row ticked: the filter is the selection
    maker.select_option("#batch-action", "terminate")
    maker.locator("#batch-form button[type=submit]").click()
    maker.wait_for_load_state()
    preview = maker.inner_text("main")
    assert "dingtalk-hq" in preview
    assert "beisen-cn" in preview
    confirm(maker, "process_change")
    assert re.search(r"/console/batches/[\w-]+$", maker.url)
    batch_id = maker.url.rsplit("/", 1)[1]
    assert maker.get_attribute("#progress", "data-finished") == "false"  # awaiting approval
    maker.evaluate(_WATCH_PROGRESS, "dingtalk-hq")
    maker.wait_for_function("() => sessionStorage.getItem('seen') !== null")

    checker = new_page(browser, gateway)
    sign_in(checker, gateway.keys["mgr"])
    checker.goto("/console/approvals")
    card = checker.locator("article.approval", has_text=batch_id)
    card.locator("input[name=note]").fill("all three, as agreed")
    card.locator("button", has_text="Approve").click()
    checker.wait_for_load_state()

    maker.locator("#progress[data-finished='true']").wait_for(timeout=30_000)
    seen = maker.evaluate("() => JSON.parse(sessionStorage.getItem('seen'))")
    assert "2" in seen, seen  # the count changed in the open page, before its reload
    assert any(batch_id in url for url in streams)  # over the console's event stream
    cells = maker.locator('#progress tr[data-account="dingtalk-hq"] [data-count="succeeded"]')
    assert cells.inner_text().strip() == "2"
    for session_id in protected:
        state = gateway.api("admin", f"/v1/accounts/dingtalk-hq/sessions/{session_id}")
        assert state["state"] == "paused", state  # held: terminating at the window's end
    state = gateway.api("admin", f"/v1/accounts/beisen-cn/sessions/{other}")
    assert state["state"] != "in_progress", state
