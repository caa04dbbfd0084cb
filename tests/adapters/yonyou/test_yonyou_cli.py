"""``interlock vendors serve yonyou`` serves the double on loopback with the given settings, and
the options it prints are enough for the adapter to discover, sign in and call it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from yonyou_helpers import SHANGHAI

from interlock.adapter import AccountContext
from interlock.models import SessionFilter
from interlock_yonyou.adapter import YonyouAdapter
from interlock_yonyou.options import YonyouOptions

INTERLOCK = Path(sys.executable).with_name("interlock")
pytestmark = pytest.mark.skipif(
    not INTERLOCK.exists(), reason="the interlock console script is not installed"
)


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    command = [str(INTERLOCK), "vendors", "serve", "yonyou", "--port", "0", "--print-options"]
    command += ["--seed", "3", "--qps", "2"]
    with subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    ) as process:
        try:
            yield _read_options(process)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _read_options(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON object the command prints first (``--print-options``)."""
    assert process.stdout is not None
    text = ""
    while True:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"the server exited before printing its options: {text!r}")
        text += line
        if line.startswith("}"):
            options: dict[str, Any] = json.loads(text)
            return options


def test_the_served_double_speaks_yonbip_and_throttles_at_the_given_qps(
    served: dict[str, Any],
) -> None:
    assert served["adapter"] == "yonyou"
    with httpx.Client(base_url=served["data_center_url"], timeout=5) as http:
        hosts = http.get(
            "/open-auth/dataCenter/getGatewayAddress", params={"tenantId": served["tenant_id"]}
        ).json()["data"]
        ts = str(int(time.time() * 1000))
        message = f"appKey{served['app_key']}timestamp{ts}".encode()
        digest = hmac.new(served["app_secret"].encode(), message, hashlib.sha256).digest()
        params = {"appKey": served["app_key"], "timestamp": ts}
        params["signature"] = base64.b64encode(digest).decode()
        token_url = hosts["tokenUrl"] + "/open-auth/selfAppAuth/base/v1/getAccessToken"
        token = http.get(token_url, params=params).json()["data"]["access_token"]
        api = hosts["gatewayUrl"] + "/yonbip/hrcloud/aiinterview/session"
        page = http.post(f"{api}/list", params={"access_token": token}, json={"pageSize": 1})
        first = page.json()["data"]["recordList"][0]["id"]
        # The detail API has its own 2/s window (the list API is left for the next test).
        query = {"access_token": token, "id": first}
        replies = [http.get(f"{api}/detail", params=query).json() for _ in range(3)]
    assert page.json()["data"]["recordCount"] == 48
    assert [r["code"] for r in replies] == ["200", "200", "310046"]


def test_the_adapter_runs_on_the_printed_options(served: dict[str, Any]) -> None:
    options = YonyouOptions.model_validate({k: v for k, v in served.items() if k != "adapter"})

    async def first_page() -> int:
        context = AccountContext(account="yy-served", options=options, timezone=SHANGHAI)
        async with YonyouAdapter(context) as adapter:
            page = await adapter.list_sessions(SessionFilter(), page_size=2)
        return len(page.sessions)

    assert asyncio.run(first_page()) == 2
