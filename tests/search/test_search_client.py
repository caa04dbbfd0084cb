"""The gateway client passes a search through: candidate, position, batch number, ``tz``, and
bounds given as dates, naive or aware datetimes or text (sent as ISO 8601, unchanged)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx

from interlock.client import AsyncGatewayClient, GatewayClient
from interlock.client.filters import parse_filter


class Recorder:
    """A transport that answers an empty page and remembers each request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/previews"):
            return httpx.Response(200, json={"total": 0})
        return httpx.Response(200, json={"sessions": [], "next_page_token": None})

    @property
    def last_params(self) -> dict[str, str]:
        return dict(self.requests[-1].url.params)


SEARCH: dict[str, Any] = {
    "candidate": "张伟",
    "position": "backend engineer",
    "batch_no": "B20261204-01",
    "tz": "Asia/Shanghai",
}


async def test_sessions_send_dates_and_datetimes_as_iso_text() -> None:
    recorder = Recorder()
    client = AsyncGatewayClient("http://gw.test", "key", transport=httpx.MockTransport(recorder))
    async with client:
        found = [
            s
            async for s in client.sessions(
                **SEARCH, start_from=date(2026, 12, 4), start_to=datetime(2026, 12, 4, 18, 30)
            )
        ]
        await client.sessions_page(start_from=datetime(2026, 12, 4, 1, tzinfo=UTC))
        aware = recorder.last_params["start_from"]
        await client.sessions_page(start_from="2026-12-04")
        text = recorder.last_params["start_from"]
    assert found == []
    first = dict(recorder.requests[0].url.params)
    assert first == {
        **SEARCH,
        "start_from": "2026-12-04",
        "start_to": "2026-12-04T18:30:00",  # naive stays naive: the gateway reads it in tz
        "page_size": "50",
    }
    assert aware == "2026-12-04T01:00:00+00:00"
    assert text == "2026-12-04"


def test_the_blocking_client_passes_tz_through() -> None:
    recorder = Recorder()
    with GatewayClient("http://gw.test", "key", transport=httpx.MockTransport(recorder)) as client:
        assert client.sessions(position="sales director", tz="UTC", start_to=date(2026, 1, 2)) == []
    assert recorder.last_params == {
        "position": "sales director",
        "tz": "UTC",
        "start_to": "2026-01-02",
        "page_size": "50",
    }


async def test_a_parsed_filter_and_date_objects_reach_a_preview_body() -> None:
    recorder = Recorder()
    client = AsyncGatewayClient("http://gw.test", "key", transport=httpx.MockTransport(recorder))
    spec = parse_filter("position='Backend Engineer' start_from=2026-12-04 tz=Asia/Shanghai")
    async with client:
        await client.preview("pause", "process_change", filter=spec)
        await client.preview(
            "pause", "process_change", filter={"start_to": date(2026, 12, 5), "states": ["paused"]}
        )
    bodies = [json.loads(r.content) for r in recorder.requests]
    assert bodies[0]["filter"] == {
        "position": "Backend Engineer",
        "start_from": "2026-12-04",
        "tz": "Asia/Shanghai",
    }
    assert bodies[1]["filter"] == {"start_to": "2026-12-05", "states": ["paused"]}
