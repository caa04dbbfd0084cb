"""Helpers for batch tests: sessions in bulk, requests, and waiting for a batch to finish."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from interlock.models import SessionState
from interlock_gateway.operations.batches import advance

from ..api.harness import ACCOUNT, Harness

REASON = {"code": "system_fault", "note": "vendor outage"}


def names(
    harness: Harness, count: int, state: SessionState, title: str = "Backend Engineer"
) -> list[str]:
    """``count`` fresh sessions of ``title`` in ``state``, as session names."""
    return [f"accounts/{ACCOUNT}/sessions/{harness.session(title, state)}" for _ in range(count)]


async def preview(harness: Harness, body: dict[str, Any], who: str = "admin") -> httpx.Response:
    return await harness.post("/v1/previews", who, body)


async def submit(
    harness: Harness, body: dict[str, Any], who: str = "admin", key: str | None = None
) -> httpx.Response:
    return await harness.post("/v1/batches", who, body, key or str(uuid.uuid4()))


async def run_to_end(harness: Harness, batch_id: str, who: str = "admin") -> dict[str, Any]:
    """Let the worker finish, then the batch with all its items."""
    await harness.settle()
    await advance(harness.runtime.context, harness.clock())
    response = await harness.client.get(
        f"/v1/batches/{batch_id}?page_size=200", headers=harness.headers(who)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
