"""``interlock vendors serve dingtalk`` serves the double over loopback HTTP with the settings
it is given (seed, qps), and prints the adapter options that point at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

INTERLOCK = Path(sys.executable).with_name("interlock")


@pytest.fixture
def served() -> Iterator[dict[str, Any]]:
    command = [str(INTERLOCK), "vendors", "serve", "dingtalk", "--port", "0", "--print-options"]
    command += ["--seed", "3", "--qps", "2", "--latency-ms", "1"]
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


@pytest.mark.skipif(not INTERLOCK.exists(), reason="the interlock console script is not installed")
def test_vendors_serve_dingtalk_honours_seed_and_qps(served: dict[str, Any]) -> None:
    assert served["adapter"] == "dingtalk"
    assert served["vendor_qps"] == 2.0
    with httpx.Client(base_url=served["base_url"], timeout=5) as http:
        creds = {"appKey": served["app_key"], "appSecret": served["app_secret"]}
        token = http.post("/v1.0/oauth2/accessToken", json=creds).json()["accessToken"]
        headers = {"x-acs-dingtalk-access-token": token}
        query = "/v1.0/ats/ai/interview/sessions/query"
        replies = [
            http.post(query, params={"bizCode": "ddats"}, json={}, headers=headers)
            for _ in range(3)
        ]
    assert [r.status_code for r in replies] == [200, 200, 403]
    assert replies[2].json()["code"] == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
    assert replies[0].json()["totalCount"] == 48
