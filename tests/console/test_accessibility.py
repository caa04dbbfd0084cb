"""axe-core on every console page, in both languages, with a screenshot of each."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .pages import new_page, sign_in

pytestmark = pytest.mark.slow
BLOCKING = {"serious", "critical"}


def _pages(gateway) -> list[tuple[str, str, str]]:
    """``(who, name, path)`` of every page, staged so that each shows content."""
    session_id = gateway.stage("dingtalk-hq", "in_progress", "Backend Engineer")
    verb = f"/console/sessions/dingtalk-hq/{session_id}/terminate"
    return [
        ("", "signin", "/console/signin"),
        ("spec", "sessions", "/console/sessions"),
        ("spec", "confirm", verb),
        ("spec", "operations", "/console/operations"),
        ("mgr", "approvals", "/console/approvals"),
        ("auditor", "audit", "/console/audit?verify=1"),
        ("mgr", "stats", "/console/stats"),
        ("spec", "error", "/console/batches/no-such-batch"),
    ]


def _check(page, axe: Axe, name: str) -> None:
    results = axe.run(page)
    assert results.response["passes"], f"{name}: axe-core did not run"
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    assert blocking == [], f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']}" for v in blocking
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_page_has_no_serious_violation(gateway, browser, screenshots, language) -> None:
    axe = Axe()
    pages = {}
    for who, name, path in _pages(gateway):
        page = pages.get(who)
        if page is None:
            page = pages[who] = new_page(browser, gateway, language)
            if who:
                sign_in(page, gateway.keys[who])
        page.goto(path)
        page.screenshot(path=screenshots / f"{name}-{language}.png", full_page=True)
        _check(page, axe, f"{name} ({language})")
    spec = pages["spec"]  # the batch preview and a batch page
    spec.goto("/console/sessions?state=in_progress&position=Backend")
    spec.locator("input.pick").first.check()
    spec.select_option("#batch-action", "pause")
    spec.locator("#batch-form button[type=submit]").click()
    spec.wait_for_load_state()
    spec.screenshot(path=screenshots / f"batch-preview-{language}.png", full_page=True)
    _check(spec, axe, f"batch preview ({language})")
    spec.select_option("#reason", "candidate_network")
    spec.click("#confirm")
    # The page reloads itself once the batch ends: check the page it settles on, or the
    # reload would pull the document away mid-screenshot on a slow machine.
    spec.wait_for_selector("#progress[data-finished='true']", timeout=60_000)
    spec.wait_for_load_state()
    spec.screenshot(path=screenshots / f"batch-{language}.png", full_page=True)
    _check(spec, axe, f"batch ({language})")
