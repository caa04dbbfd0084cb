"""The OpenAPI document says what the server does: a header the server demands is required."""

from __future__ import annotations

from typing import Any

import pytest

from interlock_gateway.app import create_app
from interlock_gateway.settings import GatewaySettings

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
