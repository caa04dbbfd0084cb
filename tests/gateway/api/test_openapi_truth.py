"""The OpenAPI document says what the server does: a header the server demands is required."""

from __future__ import annotations

from typing import Any

import pytest

from interlock.models import SessionState
from interlock_gateway.app import create_app
from interlock_gateway.settings import GatewaySettings

from .harness import Harness

SESSION = "/v1/accounts/{account}/sessions/{session_id}"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(GatewaySettings()).openapi()


def _key(document: dict[str, Any], path: str) -> dict[str, Any]:
    operation = document["paths"][path]["post"]
    assert "x-idempotency-key" not in operation  # the marker does not leak into the document
    (header,) = (p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    return dict(header)


@pytest.mark.parametrize("path", [f"{SESSION}/terminate", f"{SESSION}/revoke", "/v1/batches"])
def test_the_key_is_required_where_a_missing_key_is_a_428(
    document: dict[str, Any], path: str
) -> None:
    header = _key(document, path)
    assert header["required"] is True
    assert header["schema"]["type"] == "string"  # never null where it is required
    assert "428" in document["paths"][path]["post"]["responses"]


@pytest.mark.parametrize("path", [f"{SESSION}/pause", f"{SESSION}/resume"])
def test_the_key_is_optional_where_the_server_does_without(
    document: dict[str, Any], path: str
) -> None:
    assert _key(document, path).get("required", False) is False


@pytest.mark.parametrize(
    "path",
    [
        "/v1/operations/{op_id}/undo",
        "/v1/approvals/{approval_id}/approve",
        "/v1/approvals/{approval_id}/reject",
        "/v1/batches/{batch_id}/undo",
    ],
)
def test_bodies_whose_fields_are_all_optional_are_optional(
    document: dict[str, Any], path: str
) -> None:
    body = document["paths"][path]["post"]["requestBody"]
    assert body.get("required", False) is False


async def test_undo_without_a_body(harness: Harness) -> None:
    session_id = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    terminated = await harness.verb("terminate", session_id, "admin")
    assert terminated.json()["outcome"] == "grace"
    undone = await harness.client.post(
        f"/v1/operations/{terminated.json()['id']}/undo",
        headers={**harness.headers("admin"), "Idempotency-Key": "undo-without-body"},
    )
    assert undone.status_code == 200, undone.text
    assert harness.state(session_id) is SessionState.IN_PROGRESS
