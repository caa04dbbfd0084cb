"""The OpenAPI document says what the server does: a header the server demands is required,
every parameter and body property is described, every body and error has an example, and the
limits and rules the server enforces are in the schema."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from interlock.models import SessionState
from interlock_gateway.api.problem_examples import example_for
from interlock_gateway.api.schemas import ClientReason
from interlock_gateway.app import create_app, iter_api_routes
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


def test_every_body_is_required_exactly_where_the_server_requires_it() -> None:
    app = create_app(GatewaySettings())
    document = app.openapi()
    checked, wrong = 0, []
    for route in iter_api_routes(app.routes):
        if route.body_field is None or not route.include_in_schema:
            continue
        for method in route.methods:
            body = document["paths"][route.path][method.lower()]["requestBody"]
            server = route.body_field.field_info.is_required()
            checked += 1
            if body.get("required", False) is not server:
                wrong.append(f"{method} {route.path}: server {server}, document {not server}")
    assert checked >= 15  # every route with a body was looked at
    assert not wrong, "\n".join(wrong)


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


# --- every parameter and body property described ------------------------------------------

_METHODS = ("get", "put", "post", "delete", "patch")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    ]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``$ref`` followed, and an optional body's ``anyOf [X, null]`` unwrapped."""
    while True:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema:
            (schema,) = (s for s in schema["anyOf"] if s.get("type") != "null")
        else:
            return schema


def _body_schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every request body's object schema and the object schemas nested in it, by name."""
    found: dict[str, dict[str, Any]] = {}

    def visit(name: str, schema: dict[str, Any]) -> None:
        schema = _resolve(document, schema)
        if name in found or schema.get("type") != "object":
            return
        found[name] = schema
        for prop, sub in schema.get("properties", {}).items():
            visit(f"{name}.{prop}", sub.get("items", sub) if "items" in sub else sub)

    for method, path, operation in _operations(document):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            visit(f"{method} {path}", media["schema"])
    return found


def test_every_parameter_is_described(document: dict[str, Any]) -> None:
    undescribed = [
        f"{method} {path} {parameter['in']} {parameter['name']}"
        for method, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if not str(parameter.get("description", "")).strip()
    ]
    assert not undescribed, "parameters without a description:\n" + "\n".join(undescribed)


def test_every_request_body_property_is_described(document: dict[str, Any]) -> None:
    bodies = _body_schemas(document)
    assert "POST /v1/batches.filter" in bodies  # nested objects are walked too
    undescribed = [
        f"{name}.{prop}"
        for name, schema in bodies.items()
        for prop, sub in schema.get("properties", {}).items()
        if not str(
            sub.get("description") or _resolve(document, sub).get("description") or ""
        ).strip()
    ]
    assert not undescribed, "body properties without a description:\n" + "\n".join(undescribed)


# --- examples: every request body, every error ----------------------------------------------


def _examples(document: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [e["value"] for e in media["examples"].values()]
    return list(_resolve(document, media.get("schema", {})).get("examples", []))


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def test_every_request_body_has_a_valid_example(document: dict[str, Any]) -> None:
    missing, invalid = [], []
    for method, path, operation in _operations(document):
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            examples = _examples(document, media)
            if not examples:
                missing.append(f"{method} {path} ({media_type})")
            validator = _validator(document, media["schema"])
            invalid += [f"{method} {path}: {e}" for e in examples if not validator.is_valid(e)]
    assert not missing, "request bodies without an example:\n" + "\n".join(missing)
    assert not invalid, "examples their own schema refuses:\n" + "\n".join(invalid)


def test_every_error_response_has_a_problem_example(document: dict[str, Any]) -> None:
    problem = _validator(document, {"$ref": "#/components/schemas/Problem"})
    missing, wrong = [], []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status != "default" and int(status) < 400:
                continue
            for media_type, media in response.get("content", {}).items():
                examples = _examples(document, media)
                where = f"{method} {path} {status} ({media_type})"
                if not examples:
                    missing.append(where)
                elif media_type == "application/problem+json":
                    (example,) = examples
                    expected = 500 if status == "default" else int(status)
                    if not problem.is_valid(example) or example["status"] != expected:
                        wrong.append(where)
                    assert example["instance"] == path
            assert response.get("content"), f"{method} {path} {status} names no body"
    assert not missing, "error responses without an example:\n" + "\n".join(missing)
    assert not wrong, "problem examples that are not that status's problem:\n" + "\n".join(wrong)


def test_a_route_shows_the_problem_code_it_documents(document: dict[str, Any]) -> None:
    response = document["paths"]["/v1/batches/{batch_id}/cancel"]["post"]["responses"]["409"]
    assert "x-problem-code" not in response  # the marker does not leak into the document
    example = response["content"]["application/problem+json"]["example"]
    assert example["code"] == "BATCH.NOT_CANCELLABLE"
    assert example["type"] == "urn:interlock:problem:BATCH.NOT_CANCELLABLE"


def test_an_unknown_problem_code_is_refused_when_the_document_is_built() -> None:
    with pytest.raises(LookupError, match="no example problem for status 409 with code NOPE"):
        example_for(409, "/v1/things", "NOPE")


# --- limits and rules ------------------------------------------------------------------------


def _query(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    (parameter,) = (p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name)
    return dict(parameter)


@pytest.mark.parametrize(
    ("path", "minimum"),
    [("/v1/sessions", 1), ("/v1/approvals", 1), ("/v1/audit", 1), ("/v1/batches/{batch_id}", 0)],
)
def test_page_size_has_the_configured_maximum(
    document: dict[str, Any], path: str, minimum: int
) -> None:
    schema = _query(document, path, "page_size")["schema"]
    assert schema["minimum"] == minimum
    assert schema["maximum"] == GatewaySettings().max_page_size == 200


def test_a_configured_page_size_limit_is_the_documented_one() -> None:
    smaller = create_app(GatewaySettings(max_page_size=25)).openapi()
    assert _query(smaller, "/v1/sessions", "page_size")["schema"]["maximum"] == 25
    larger = create_app(GatewaySettings(max_page_size=500)).openapi()
    assert _query(larger, "/v1/sessions", "page_size")["schema"]["maximum"] == 500
    assert _query(larger, "/v1/audit", "page_size")["schema"]["maximum"] == 200  # audit's own cap


@pytest.mark.parametrize("path", ["/v1/audit", "/v1/audit/export", "/v1/stats/reasons"])
def test_a_range_says_from_comes_before_to(document: dict[str, Any], path: str) -> None:
    assert "before 'to'" in _query(document, path, "from")["description"]


@pytest.mark.parametrize(
    ("reason", "valid"),
    [
        ({"code": "other", "note": "the room was double-booked"}, True),
        ({"code": "candidate_network"}, True),
        ({"code": "other"}, False),
        ({"code": "other", "note": None}, False),
        ({"code": "other", "note": "   "}, False),
    ],
)
def test_the_schema_says_other_needs_a_note(
    document: dict[str, Any], reason: dict[str, Any], valid: bool
) -> None:
    schema = _validator(document, {"$ref": "#/components/schemas/ClientReason"})
    assert schema.is_valid(reason) is valid
    try:
        ClientReason.model_validate(reason)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted is valid  # the schema and the server agree


# The callback URL names its account unchecked on purpose: until a push is verified, every
# refusal is the same 401 (a malformed name must not answer differently from an unknown one).
UNBOUNDED_ON_PURPOSE = {"post /v1/callbacks/{account} path:account"}
_LIMITS = {"maxLength", "pattern", "enum", "const", "format"}


def _unbounded_strings(document: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    schema = _resolve_ref(document, schema)
    found = []
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        found += _unbounded_strings(document, branch, where)
    if schema.get("type") == "string" and not _LIMITS & set(schema):
        found.append(where)
    if "items" in schema:
        found += _unbounded_strings(document, schema["items"], f"{where}[]")
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded_strings(document, sub, f"{where}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded_strings(document, schema["additionalProperties"], f"{where}.*")
    return found


def _resolve_ref(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_string_the_client_sends_has_a_limit(document: dict[str, Any]) -> None:
    """A length, a pattern, an enum or a format: the document says what the server refuses."""
    unbounded = []
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            where = f"{method.lower()} {path} {parameter['in']}:{parameter['name']}"
            unbounded += _unbounded_strings(document, parameter["schema"], where)
        for media in operation.get("requestBody", {}).get("content", {}).values():
            unbounded += _unbounded_strings(document, media["schema"], f"{method} {path} body")
    assert set(unbounded) - UNBOUNDED_ON_PURPOSE == set(), "\n".join(unbounded)
    assert set(unbounded) >= UNBOUNDED_ON_PURPOSE  # the exception is still needed
