"""Helpers for the console's browser tests: contexts, signing in, acting through the menu."""

from __future__ import annotations

from typing import Any

LANG = {"en": "en-US", "zh": "zh-CN"}


def new_page(browser: Any, gateway: Any, language: str = "en") -> Any:
    """A fresh browser context (its own cookies) in ``language``, in Asia/Shanghai."""
    context = browser.new_context(
        locale=LANG[language],
        timezone_id="Asia/Shanghai",
        viewport={"width": 1360, "height": 900},
        base_url=gateway.url,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    return page


def sign_in(page: Any, key: str, path: str = "/console/") -> None:
    page.goto(path)
    page.fill("#key", key)
    page.locator("form[action='/console/signin'] button[type=submit]").click()
    page.wait_for_load_state()


def search(page: Any, **fields: str) -> None:
    """Fill the sessions filters (by input id suffix) and search."""
    page.goto("/console/sessions")
    for name, value in fields.items():
        locator = page.locator(f"#f-{name}")
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()


def row(page: Any, account: str, session_id: str) -> Any:
    return page.locator(f'tr[data-session="accounts/{account}/sessions/{session_id}"]')


def open_verb(page: Any, account: str, session_id: str, verb: str) -> None:
    """Open the row's "⋯" menu and the verb's confirm dialog."""
    the_row = row(page, account, session_id)
    the_row.locator("details.menu summary").click()
    the_row.locator(f"a[href*='/{verb}?']").click()
    page.wait_for_load_state()


def confirm(page: Any, reason: str, note: str = "") -> None:
    page.select_option("#reason", reason)
    if note:
        page.fill("#note", note)
    page.click("#confirm")
    page.wait_for_load_state()
