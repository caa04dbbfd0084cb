"""Reasons the system owns (``pause_expired``) are refused from clients, with the codes they
may use; the schema lists exactly the client codes."""

from __future__ import annotations

import uuid

import pytest

from interlock.models import SYSTEM_REASON_CODES, ReasonCode, SessionState
from interlock_gateway.api.schemas import ClientReasonCode

from .harness import ACCOUNT, Harness

CLIENT_CODES = sorted(c.value for c in ClientReasonCode)


def test_client_codes_are_every_code_but_the_systems() -> None:
    assert set(ClientReasonCode) == {c.value for c in ReasonCode} - SYSTEM_REASON_CODES


def _assert_refused(response_json: dict[str, object], status: int) -> None:
    assert status == 422
    assert response_json["code"] == "REQUEST.VALIDATION"
    detail = str(response_json["detail"])
    assert "pause_expired" in detail
    assert "only the system" in detail
    assert all(code in detail for code in CLIENT_CODES)


@pytest.mark.parametrize("verb", ["pause", "resume", "terminate", "revoke"])
async def test_a_verb_with_a_system_reason_is_refused(harness: Harness, verb: str) -> None:
    sid = harness.session("Backend Engineer", SessionState.PAUSED)
    response = await harness.verb(verb, sid, "admin", code="pause_expired")
    _assert_refused(response.json(), response.status_code)
    assert harness.calls() == 0
    assert await harness.count_operations() == 0


@pytest.mark.parametrize("path", ["/v1/previews", "/v1/batches"])
async def test_previews_and_batches_refuse_it_too(harness: Harness, path: str) -> None:
    sid = harness.session("Backend Engineer", SessionState.PAUSED)
    body = {
        "action": "resume",
        "sessions": [f"accounts/{ACCOUNT}/sessions/{sid}"],
        "reason": {"code": "pause_expired"},
    }
    response = await harness.post(path, "admin", body, str(uuid.uuid4()))
    _assert_refused(response.json(), response.status_code)
    assert await harness.count_operations() == 0


def test_the_schema_offers_only_client_codes(harness: Harness) -> None:
    schema = harness.app.openapi()["components"]["schemas"]["ClientReasonCode"]
    assert sorted(schema["enum"]) == CLIENT_CODES
