"""Hostile input: authentication before validation on every route, times no backend can hold,
control characters, and callers probing which accounts exist. None is a 5xx."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.api.harness import ACCOUNT, FakeClock, Harness, gateway, gateway_settings
from interlock.models import SessionState
from interlock_gateway.app import iter_api_routes


@pytest.fixture
async def harness(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with gateway(gateway_settings(sqlite_url, str(tmp_path)), clock=FakeClock()) as running:
        yield running


def _concrete(path: str) -> str:
    """A route template with every parameter filled with junk that would fail validation."""
    return re.sub(r"\{[^}]+\}", "%20bad%00value", path)


def _v1_routes(harness: Harness) -> list[tuple[str, str]]:
    routes = []
    for route in iter_api_routes(harness.app.routes):
        if route.path.startswith("/v1") and not route.path.startswith("/v1/callbacks"):
            routes.extend((method, route.path) for method in sorted(route.methods or ()))
    return routes


async def test_every_route_authenticates_before_it_validates(harness: Harness) -> None:
    routes = _v1_routes(harness)
    assert len(routes) > 20
    headers_cases: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer ilk_nosuchkey_" + "x" * 43},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ]
    for (method, path), headers in itertools.product(routes, headers_cases):
        response = await harness.client.request(
            method,
            _concrete(path) + "?page_size=-1&unknown=1&from=yesterday",
            headers={**headers, "Content-Type": "application/json"},
            content=b"{not json" if method in ("POST", "PUT") else None,
        )
        assert response.status_code == 401, (method, path, headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"].startswith("AUTH.")


async def test_unknown_routes_are_401_without_a_key_and_404_with_one(harness: Harness) -> None:
    anonymous = await harness.client.get("/v1/nothing/here")
    known = await harness.client.get("/v1/nothing/here", headers=harness.headers("admin"))
    assert anonymous.status_code == 401  # the API's shape is not told to anonymous callers
    assert known.status_code == 404


TIMES = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "1969-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
]


def _query_routes() -> list[tuple[str, str]]:
    return [
        ("/v1/sessions", "start_from"),
        ("/v1/sessions", "start_to"),
        ("/v1/audit", "from"),
        ("/v1/audit", "to"),
        ("/v1/audit/export", "from"),
        ("/v1/stats/reasons", "from"),
        ("/v1/stats/reasons", "to"),
    ]


@pytest.mark.parametrize("value", TIMES)
@pytest.mark.parametrize(("path", "field"), _query_routes())
async def test_times_no_backend_can_hold_are_422_naming_the_field(
    harness: Harness, path: str, field: str, value: str
) -> None:
    response = await harness.client.get(
        path, params={field: value}, headers=harness.headers("admin")
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "REQUEST.VALIDATION"
    assert f"query.{field}" in problem["detail"]
    assert response.headers["content-type"] == "application/problem+json"  # not a stream


@pytest.mark.parametrize("value", TIMES)
@pytest.mark.parametrize("path", ["/v1/previews", "/v1/batches"])
async def test_times_in_a_batch_filter_are_422_naming_the_field(
    harness: Harness, path: str, value: str
) -> None:
    body = {
        "action": "pause",
        "filter": {"start_from": value},
        "reason": {"code": "system_fault"},
    }
    response = await harness.post(path, "admin", body, str(uuid.uuid4()))
    assert response.status_code == 422, response.text
    assert "body.filter.start_from" in response.json()["detail"]


CONTROL = ["\x00", "\x1b[31m", "\x07", "\x7f"]


def _bodies(harness: Harness, note: str) -> list[tuple[str, dict[str, Any]]]:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    return [
        (
            f"/v1/accounts/{ACCOUNT}/sessions/{sid}/pause",
            {"reason": {"code": "other", "note": note}},
        ),
        ("/v1/operations/x/undo", {"note": note}),
        ("/v1/approvals/x/approve", {"note": note}),
        ("/v1/batches/x/undo", {"note": note}),
        (
            "/v1/previews",
            {
                "action": "pause",
                "filter": {"candidate": f"张{note}"},
                "reason": {"code": "system_fault"},
            },
        ),
    ]


@pytest.mark.parametrize("char", CONTROL, ids=["nul", "esc", "bel", "del"])
async def test_control_characters_in_free_text_are_422(harness: Harness, char: str) -> None:
    for path, body in _bodies(harness, f"before{char}after"):
        response = await harness.post(path, "admin", body, str(uuid.uuid4()))
        assert response.status_code == 422, (path, response.text)
        assert "control characters" in response.json()["detail"]
    assert harness.calls(mutating=True) == 0


async def test_tab_and_newline_are_fine_in_a_note(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    body = {"reason": {"code": "other", "note": "line one\n\tline two"}}
    response = await harness.post(f"/v1/accounts/{ACCOUNT}/sessions/{sid}/pause", "admin", body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("char", CONTROL, ids=["nul", "esc", "bel", "del"])
async def test_control_characters_in_search_filters_are_422(harness: Harness, char: str) -> None:
    for field in ("candidate", "position", "batch_no"):
        response = await harness.client.get(
            "/v1/sessions", params={field: f"a{char}b"}, headers=harness.headers("admin")
        )
        assert response.status_code == 422, response.text
    audit = await harness.client.get(
        "/v1/audit", params={"actor": f"x{char}"}, headers=harness.headers("auditor")
    )
    assert audit.status_code == 422


@pytest.mark.parametrize("account", ["demo", "nosuch", "bad name!", "a" * 500])
async def test_the_callback_route_tells_anonymous_callers_nothing_about_accounts(
    harness: Harness, account: str
) -> None:
    answers = []
    for name in (account, "nobody-at-all"):
        response = await harness.client.post(f"/v1/callbacks/{name}", json={"any": "thing"})
        body = response.json()
        answers.append((response.status_code, body["code"], body["detail"], body["hint"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
