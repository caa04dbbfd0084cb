"""Bad input of every kind gets a specific problem+json answer — never a 500 or a trace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interlock.models import SessionState
from interlock_sandbox.options import SandboxOptions

from .harness import ACCOUNT, Harness

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code", "hint", "instance"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_MEMBERS, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["hint"]
    assert "Traceback" not in response.text
    return body


@pytest.fixture
def sid(harness: Harness) -> str:
    return harness.session("Backend Engineer", SessionState.IN_PROGRESS)


def verb_path(session_id: str, verb: str = "pause") -> str:
    return f"/v1/accounts/{ACCOUNT}/sessions/{session_id}/{verb}"


AUTH_CASES = [
    pytest.param({}, "AUTH.MISSING_KEY", id="no-header"),
    pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, "AUTH.MALFORMED", id="basic-scheme"),
    pytest.param({"Authorization": "Bearer"}, "AUTH.MALFORMED", id="bearer-without-key"),
    pytest.param({"Authorization": "Bearer nonsense"}, "AUTH.INVALID_KEY", id="not-a-key"),
    pytest.param(
        {"Authorization": "Bearer ilk_abcdefgh_" + "A" * 43}, "AUTH.INVALID_KEY", id="unknown-key"
    ),
    pytest.param({"Authorization": "Bearer " + "x" * 5000}, "AUTH.INVALID_KEY", id="huge-key"),
]


@pytest.mark.parametrize(("headers", "code"), AUTH_CASES)
async def test_bad_keys_are_401(harness: Harness, headers: dict[str, str], code: str) -> None:
    response = await harness.client.get("/v1/sessions", headers=headers)
    body = assert_problem(response, 401, code)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "ilk_" not in body["detail"]


async def test_revoked_key_is_401(harness: Harness) -> None:
    from interlock_gateway.principals import revoke_principal

    async with harness.runtime.db.write() as session:
        await revoke_principal(session, "spec")
    response = await harness.client.get("/v1/sessions", headers=harness.headers("spec"))
    assert_problem(response, 401, "AUTH.INVALID_KEY")


BODY_CASES = [
    pytest.param(b"{not json", "application/json", 400, "REQUEST.MALFORMED_JSON", id="broken-json"),
    pytest.param(b"[1, 2]", "application/json", 422, "REQUEST.VALIDATION", id="array-body"),
    pytest.param(b"", "application/json", 422, "REQUEST.VALIDATION", id="empty-body"),
    pytest.param(
        b'{"reason": {"code": "vibes"}}',
        "application/json",
        422,
        "REQUEST.VALIDATION",
        id="unknown-reason-code",
    ),
    pytest.param(
        b'{"reason": {"code": "other"}}',
        "application/json",
        422,
        "REQUEST.VALIDATION",
        id="other-without-note",
    ),
    pytest.param(
        b'{"reason": {"code": "operator_error"}, "force": true}',
        "application/json",
        422,
        "REQUEST.VALIDATION",
        id="unknown-field",
    ),
    pytest.param(
        b'{"reason": {"code": "operator_error", "notes": "x"}}',
        "application/json",
        422,
        "REQUEST.VALIDATION",
        id="unknown-nested-field",
    ),
    pytest.param(
        b"reason=operator_error",
        "application/x-www-form-urlencoded",
        422,
        "REQUEST.VALIDATION",
        id="form-body",
    ),
]


@pytest.mark.parametrize(("content", "content_type", "status", "code"), BODY_CASES)
async def test_malformed_bodies(
    harness: Harness, sid: str, content: bytes, content_type: str, status: int, code: str
) -> None:
    headers = {**harness.headers("admin", "k1"), "Content-Type": content_type}
    response = await harness.client.post(verb_path(sid), content=content, headers=headers)
    body = assert_problem(response, status, code)
    if status == 422:
        assert body["errors"]
        assert all({"field", "message", "type"} <= set(e) for e in body["errors"])
    assert harness.mutations() == 0
    assert await harness.idempotency_rows() == 0


async def test_validation_errors_do_not_echo_input(harness: Harness, sid: str) -> None:
    secret_note = "call 13812345678"
    body = {"reason": {"code": "operator_error", "note": secret_note}, "extra": secret_note}
    response = await harness.post(verb_path(sid), "admin", body, "k1")
    assert_problem(response, 422, "REQUEST.VALIDATION")
    assert "13812345678" not in response.text


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


OVERSIZE_CASES = [
    pytest.param("declared", id="content-length"),
    pytest.param("streamed", id="chunked-without-length"),
]


@pytest.mark.parametrize("how", OVERSIZE_CASES)
async def test_oversized_body_is_413(harness: Harness, sid: str, how: str) -> None:
    limit = harness.runtime.settings.max_body_bytes
    headers = {**harness.headers("admin", "k1"), "Content-Type": "application/json"}
    content: Any = b" " * (limit + 1) if how == "declared" else _chunks(limit + 1)
    response = await harness.client.post(verb_path(sid), content=content, headers=headers)
    assert_problem(response, 413, "REQUEST.TOO_LARGE")
    assert harness.calls() == 0


async def test_bad_content_length_is_400(harness: Harness, sid: str) -> None:
    headers = {
        **harness.headers("admin"),
        "Content-Length": "lots",
        "Content-Type": "application/json",
    }
    request = harness.client.build_request("POST", verb_path(sid), headers=headers, content=b"{}")
    request.headers["Content-Length"] = "lots"
    response = await harness.client.send(request)
    assert_problem(response, 400, "REQUEST.BAD_CONTENT_LENGTH")


QUERY_CASES = [
    pytest.param({"page_size": 201}, 422, "REQUEST.PAGE_SIZE", id="page-size-over-200"),
    pytest.param({"page_size": 0}, 422, "REQUEST.VALIDATION", id="page-size-zero"),
    pytest.param({"page_size": "many"}, 422, "REQUEST.VALIDATION", id="page-size-text"),
    pytest.param({"page_token": "%%%"}, 400, "REQUEST.INVALID_PAGE_TOKEN", id="garbage-cursor"),
    pytest.param(
        {"page_token": "eyJxIjoiMTIzIiwidCI6IjAifQ"},
        400,
        "REQUEST.INVALID_PAGE_TOKEN",
        id="cursor-of-another-query",
    ),
    pytest.param({"state": "sleeping"}, 422, "REQUEST.VALIDATION", id="unknown-state"),
    pytest.param({"stat": "paused"}, 422, "REQUEST.UNKNOWN_PARAMETER", id="misspelt-filter"),
    pytest.param({"tz": "Mars/Olympus_Mons"}, 422, "REQUEST.VALIDATION", id="unknown-zone"),
    pytest.param({"start_to": "yesterday"}, 422, "REQUEST.VALIDATION", id="not-a-datetime"),
    pytest.param({"account": "nope"}, 404, "ACCOUNT.NOT_FOUND", id="unknown-account"),
    pytest.param({"account": "../etc"}, 422, "REQUEST.VALIDATION", id="malformed-account"),
    pytest.param({"vendor": "acme"}, 400, "REQUEST.UNKNOWN_VENDOR", id="unknown-vendor"),
]


@pytest.mark.parametrize(("params", "status", "code"), QUERY_CASES)
async def test_bad_list_queries(
    harness: Harness, params: dict[str, Any], status: int, code: str
) -> None:
    response = await harness.client.get(
        "/v1/sessions", params=params, headers=harness.headers("admin")
    )
    assert_problem(response, status, code)


async def test_cursor_from_one_query_is_refused_for_another(harness: Harness) -> None:
    first = await harness.client.get(
        "/v1/sessions", params={"page_size": 5}, headers=harness.headers("admin")
    )
    token = first.json()["next_page_token"]
    assert token
    other = await harness.client.get(
        "/v1/sessions",
        params={"page_size": 5, "page_token": token, "state": "paused"},
        headers=harness.headers("admin"),
    )
    assert_problem(other, 400, "REQUEST.INVALID_PAGE_TOKEN")
    mine = await harness.client.get(
        "/v1/sessions", params={"page_size": 5, "page_token": token}, headers=harness.headers("mgr")
    )
    assert_problem(mine, 400, "REQUEST.INVALID_PAGE_TOKEN")


PATH_CASES = [
    pytest.param(
        "GET", "/v1/accounts/nope/sessions/x", 404, "ACCOUNT.NOT_FOUND", id="unknown-account"
    ),
    pytest.param(
        "GET",
        "/v1/accounts/demo/sessions/sbx-0000000000",
        404,
        "SESSION.NOT_FOUND",
        id="unknown-session",
    ),
    pytest.param(
        "GET",
        "/v1/accounts/demo/sessions/bad%20id",
        422,
        "REQUEST.VALIDATION",
        id="malformed-session-id",
    ),
    pytest.param("GET", "/v1/operations/nope", 404, "OPERATION.NOT_FOUND", id="unknown-operation"),
    pytest.param("GET", "/v1/nothing-here", 404, "REQUEST.NOT_FOUND", id="unknown-route"),
    pytest.param("DELETE", "/v1/sessions", 405, "REQUEST.METHOD_NOT_ALLOWED", id="wrong-method"),
    pytest.param(
        "POST", "/v1/approvals/nope/approve", 404, "APPROVAL.NOT_FOUND", id="unknown-approval"
    ),
]


@pytest.mark.parametrize(("method", "path", "status", "code"), PATH_CASES)
async def test_unknown_things(
    harness: Harness, method: str, path: str, status: int, code: str
) -> None:
    body: dict[str, Any] | None = {} if method == "POST" else None
    response = await harness.client.request(
        method, path, headers=harness.headers("admin"), json=body
    )
    assert_problem(response, status, code)


async def test_unknown_session_verb_is_404_without_writes(harness: Harness) -> None:
    response = await harness.verb("pause", "sbx-0000000000", "admin")
    assert_problem(response, 404, "SESSION.NOT_FOUND")
    assert harness.calls(mutating=True) == 0
    assert await harness.operations() == []
    assert [r.outcome for r in await harness.audit()] == ["not_found"]  # attempts are audited


KEY_CASES = [
    pytest.param("sp ace", id="space"),
    pytest.param("ключ", id="non-ascii"),
    pytest.param("k" * 256, id="too-long"),
]


@pytest.mark.parametrize("key", KEY_CASES)
async def test_malformed_idempotency_keys(harness: Harness, sid: str, key: str) -> None:
    headers: dict[str, Any] = {**harness.headers("admin"), "Idempotency-Key": key.encode()}
    response = await harness.client.post(
        verb_path(sid, "terminate"), headers=headers, json={"reason": {"code": "operator_error"}}
    )
    body = assert_problem(response, 422, "REQUEST.VALIDATION")
    assert body["errors"][0]["field"] == "header.Idempotency-Key"


@pytest.mark.parametrize("verb", ["terminate", "revoke"])
async def test_final_verbs_require_an_idempotency_key(
    harness: Harness, sid: str, verb: str
) -> None:
    response = await harness.verb(verb, sid, "admin", key=None)
    assert_problem(response, 428, "IDEMPOTENCY.KEY_REQUIRED")
    assert harness.calls() == 0
    assert await harness.operations() == []


async def test_invalid_transition_is_409_with_the_operation(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.COMPLETED)
    response = await harness.verb("terminate", sid, "admin")
    body = assert_problem(response, 409, "SESSION.INVALID_TRANSITION")
    assert body["operation"]["outcome"] == "rejected"
    assert harness.calls(mutating=True) == 0


async def test_vendor_credential_failure_is_502_with_request_id(harness: Harness) -> None:
    from interlock.adapter import AccountContext
    from interlock_sandbox.adapter import SandboxAdapter

    broken = SandboxAdapter(
        AccountContext(account="broken", options=SandboxOptions(client_secret="wrong"))
    )
    harness.interlock.accounts["broken"] = broken
    response = await harness.client.get(
        "/v1/accounts/broken/sessions/anything", headers=harness.headers("admin")
    )
    body = assert_problem(response, 502, "VENDOR.AUTH_FAILED")
    assert body["vendor_request_id"]
    assert "wrong" not in response.text
    await broken.aclose()


async def test_mutation_rate_limit_is_429(harness: Harness, sid: str) -> None:
    from interlock_gateway.api.ratelimit import MutationRateLimiter

    harness.app.state.limiter = MutationRateLimiter(rate=1, burst=1)
    first = await harness.verb("pause", sid, "admin", key=None)
    second = await harness.verb("resume", sid, "admin", key=None)
    assert first.status_code == 200
    assert_problem(second, 429, "INTERLOCK.RATE_LIMITED")
    assert int(second.headers["retry-after"]) >= 1
