"""Retries: 429 with Retry-After, then 200, from a tiny ASGI app served by uvicorn on loopback."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gateway.live import serving
from interlock.client import AsyncGatewayClient, RateLimited, RetryPolicy
from interlock.client._core import Call

Scope = dict[str, Any]


class Throttling:
    """Answers 429 (Retry-After: 1, a problem body) ``refusals`` times, then 200; records
    each request's Idempotency-Key and arrival time."""

    def __init__(self, refusals: int, status: int = 429) -> None:
        self.refusals = refusals
        self.status = status
        self.seen: list[tuple[str | None, float]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.seen.append((headers.get("idempotency-key"), time.monotonic()))
        if len(self.seen) <= self.refusals:
            body = b'{"code": "RATE.LIMITED", "title": "Too many requests", "status": 429}'
            status, extra = self.status, [(b"retry-after", b"1")]
        else:
            body, status, extra = b'{"ok": true}', 200, []
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/problem+json"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize("status", [429, 503])
async def test_retried_after_retry_after_with_the_same_key(status: int) -> None:
    app = Throttling(refusals=1, status=status)
    with serving(app) as url:
        async with AsyncGatewayClient(url, "key") as client:
            response = await client.send(Call("POST", "/v1/x", json={}, keyed=True))
    assert response.json() == {"ok": True}
    (first_key, first_at), (second_key, second_at) = app.seen
    assert first_key
    assert first_key == second_key
    assert second_at - first_at >= 0.95


async def test_attempts_are_bounded_and_raise_rate_limited() -> None:
    app = Throttling(refusals=10)
    with serving(app) as url:
        retry = RetryPolicy(attempts=2, max_wait=0.05)
        async with AsyncGatewayClient(url, "key", retry=retry) as client:
            started = time.monotonic()
            with pytest.raises(RateLimited) as limited:
                await client.send(Call("POST", "/v1/x", json={}, keyed=True))
    assert limited.value.retry_after == 1.0
    assert len(app.seen) == 2
    assert time.monotonic() - started < 0.9, "max_wait caps the Retry-After wait"
    assert len({key for key, _ in app.seen}) == 1


async def test_each_logical_call_has_its_own_key() -> None:
    app = Throttling(refusals=0)
    with serving(app) as url:
        async with AsyncGatewayClient(url, "key") as client:
            await client.send(Call("POST", "/v1/x", json={}, keyed=True))
            await client.send(Call("POST", "/v1/x", json={}, keyed=True))
    assert app.seen[0][0] != app.seen[1][0]
