"""``/docs`` and ``/redoc`` render in a real browser that may reach nothing but the gateway.

Debian's Chromium (``/usr/bin/chromium``, as in tests/console) opens both pages of a gateway
served on loopback; every request to another host is aborted and recorded. Each page must
render an operation's title from the gateway's own OpenAPI document — and must not even have
tried to reach another host (a CDN, Google Fonts, Swagger's validator, ReDoc's logo): the
pages' Content-Security-Policy keeps the browser from asking.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from interlock_gateway.api.reference import CSP
from interlock_gateway.app import create_app

from ..live import serving
from .harness import gateway_settings, make_interlock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
OPERATION_TITLE = "List sessions across accounts"  # GET /v1/sessions' summary
RENDER_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def base_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("reference")
    shutil.copyfile(sqlite_template, folder / "interlock.db")
    settings = gateway_settings(f"sqlite+aiosqlite:///{folder / 'interlock.db'}", str(folder))
    with serving(create_app(settings, interlock=make_interlock())) as url:
        yield url


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# started, which would break asyncio tests collected after these (see tests/console).
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize(
    ("page_path", "title_selector"),
    [
        ("/docs", ".opblock-summary-description"),  # Swagger UI: one row per operation
        ("/redoc", "h2"),  # ReDoc: one heading per operation
    ],
)
def test_the_reference_renders_offline(
    browser: Any, base_url: str, page_path: str, title_selector: str
) -> None:
    context = browser.new_context()
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    try:
        page = context.new_page()
        page.route("**/*", only_loopback)
        answer = page.goto(base_url + page_path)
        assert answer is not None
        assert answer.headers["content-security-policy"] == CSP
        title = page.locator(title_selector, has_text=OPERATION_TITLE).first
        title.wait_for(state="visible", timeout=RENDER_TIMEOUT_MS)
    finally:
        context.close()
    assert blocked == [], f"{page_path} tried to leave the machine: {blocked}"


def test_the_assets_are_the_packaged_files(base_url: str) -> None:
    """The pages load the vendored files, which the gateway serves (and nothing else)."""
    for page_path, asset in [
        ("/docs", "/docs/assets/swagger-ui/swagger-ui-bundle.js"),
        ("/docs", "/docs/assets/swagger-ui/swagger-ui.css"),
        ("/redoc", "/docs/assets/redoc/redoc.standalone.js"),
    ]:
        html = httpx.get(base_url + page_path).text
        assert f'"{asset}"' in html or f"'{asset}'" in html, (page_path, asset)
        assert "https://" not in html.replace("https://github.com", "")  # no CDN, no fonts
        served = httpx.get(base_url + asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100_000  # the real bundle, not a stub
