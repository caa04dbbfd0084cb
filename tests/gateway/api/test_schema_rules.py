"""Rules the OpenAPI document states, enforced by the server the same way (each found by
Schemathesis where the two disagreed): what the schema forbids is refused, what it allows is
accepted."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest

from interlock.models import SessionState
from interlock_gateway.api.fields import comma_separated
from interlock_gateway.app import create_app
from interlock_gateway.settings import GatewaySettings

from .harness import Harness

REASON = {"code": "system_fault", "note": "vendor outage"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(GatewaySettings()).openapi()


def _body(document: dict[str, Any], name: str) -> Any:
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(root)


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("paused", True),
        ("paused,completed", True),
        (" paused , completed ", True),
        ("", True),  # blank parts are ignored
        ("pausedcompleted", False),
        ("paused,nope", False),
    ],
)
def test_a_comma_separated_value_allows_exactly_the_listed_words(value: str, allowed: bool) -> None:
    pattern = comma_separated(["paused", "completed"])["pattern"]
    assert isinstance(pattern, str)
    assert bool(re.search(pattern, value)) is allowed


async def test_the_server_reads_comma_separated_statuses_as_the_schema_says(
    harness: Harness,
) -> None:
    session_id = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    created = await harness.post(
        "/v1/batches",
        "admin",
        {"action": "pause", "sessions": [f"accounts/demo/sessions/{session_id}"], "reason": REASON},
        key="batch-statuses",
    )
    assert created.status_code == 202, created.text
    batch = f"/v1/batches/{created.json()['id']}"
    spaced = await harness.client.get(
        batch, params={"status": " succeeded , pending "}, headers=harness.headers("admin")
    )
    assert spaced.status_code == 200, spaced.text
    unknown = await harness.client.get(
        batch, params={"status": "succeeded,nope"}, headers=harness.headers("admin")
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "REQUEST.VALIDATION"


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"action": "pause", "sessions": ["accounts/demo/sessions/s1"], "reason": REASON}, True),
        ({"action": "pause", "filter": {"account": "demo"}, "reason": REASON}, True),
        ({"action": "pause", "reason": REASON}, False),  # neither
        (
            {
                "action": "pause",
                "sessions": ["accounts/demo/sessions/s1"],
                "filter": {},
                "reason": REASON,
            },
            False,  # both
        ),
        ({"action": "pause", "sessions": ["s1"], "reason": REASON}, False),  # not a name
    ],
)
async def test_a_batch_names_exactly_one_selector(
    document: dict[str, Any], harness: Harness, body: dict[str, Any], valid: bool
) -> None:
    assert _body(document, "PreviewRequest").is_valid(body) is valid
    answer = await harness.post("/v1/previews", "admin", body)
    assert (answer.status_code == 422) is not valid, answer.text


@pytest.mark.parametrize("value", ["236128", "1700000000.5"])
async def test_an_instant_is_iso_8601_text_not_a_unix_time(harness: Harness, value: str) -> None:
    answer = await harness.client.get(
        "/v1/audit", params={"from": value}, headers=harness.headers("admin")
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["field"] == "query.from"
    assert value not in answer.text  # the rule is named, the value is not echoed
    assert "ISO 8601" in problem["detail"]
    # a search bound (a date, or a time read in tz) refuses a Unix time as well
    bound = await harness.client.get(
        "/v1/sessions", params={"start_from": value}, headers=harness.headers("admin")
    )
    assert bound.status_code == 422
    assert bound.json()["errors"][0]["field"] == "query.start_from"


async def test_an_instant_in_iso_8601_is_accepted(harness: Harness) -> None:
    answer = await harness.client.get(
        "/v1/sessions",
        params={"start_from": "2026-03-02T09:00:00+08:00"},
        headers=harness.headers("admin"),
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("name", "valid"), [("hr.east", True), ("аdmin", False), ("hr\n", False)])
async def test_principal_names_are_ascii_in_the_schema_and_the_server(
    document: dict[str, Any], harness: Harness, name: str, valid: bool
) -> None:
    body = {"name": name, "role": "auditor"}
    assert _body(document, "NewPrincipalRequest").is_valid(body) is valid
    answer = await harness.post("/v1/principals", "admin", body)
    assert (answer.status_code == 201) is valid, answer.text


async def test_verify_refuses_unknown_parameters(harness: Harness) -> None:
    answer = await harness.client.get(
        "/v1/audit/verify", params={"witness": "false"}, headers=harness.headers("admin")
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "REQUEST.UNKNOWN_PARAMETER"


@pytest.mark.parametrize(
    ("bound", "status"),
    [
        ("2028-02-29", 200),  # a leap day
        ("2026-12-04T09:00", 200),  # a time without a zone: read in tz
        ("2026-02-30", 422),  # no such day: the schema's pattern says so too
        ("2026-02-29", 422),  # a common year: the one calendar rule left to the parser
        ("1969-12-31", 422),  # before what every backend holds
        ("20261204", 422),  # ISO 8601's basic form: the schema asks for the extended one
    ],
)
async def test_a_search_bound_agrees_with_its_pattern(
    document: dict[str, Any], harness: Harness, bound: str, status: int
) -> None:
    (param,) = (
        p
        for p in document["paths"]["/v1/sessions"]["get"]["parameters"]
        if p["name"] == "start_from"
    )
    schema = next(s for s in param["schema"]["anyOf"] if s.get("type") == "string")
    matches = re.fullmatch(schema["pattern"].strip("^$"), bound) is not None
    assert matches is (bound not in ("2026-02-30", "1969-12-31", "20261204"))
    answer = await harness.client.get(
        "/v1/sessions", params={"start_from": bound}, headers=harness.headers("admin")
    )
    assert answer.status_code == status, answer.text
    if status == 422:
        assert bound not in answer.text  # the rule is named, the typed text is not repeated


def test_the_zone_names_the_gateway_accepts_are_listed(document: dict[str, Any]) -> None:
    (param,) = (
        p for p in document["paths"]["/v1/sessions"]["get"]["parameters"] if p["name"] == "tz"
    )
    zones = next(s for s in param["schema"]["anyOf"] if s.get("type") == "string")["enum"]
    assert {"Asia/Shanghai", "UTC", "America/Port-au-Prince"} <= set(zones)
    assert "Mars/Olympus" not in zones


def _listing_parameter(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The string schema of ``GET /v1/sessions``' parameter ``name``."""
    (param,) = (
        p for p in document["paths"]["/v1/sessions"]["get"]["parameters"] if p["name"] == name
    )
    return dict(next(s for s in param["schema"]["anyOf"] if s.get("type") == "string"))
