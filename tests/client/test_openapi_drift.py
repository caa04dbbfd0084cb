"""Every field of each client model exists in the gateway's OpenAPI schema with a compatible
type, so a renamed or retyped field fails here rather than in an internal tool."""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from interlock.client import models

from .conftest import Served

SCHEMAS: dict[type[BaseModel], str] = {
    models.Candidate: "CandidateOut",
    models.Position: "PositionOut",
    models.PendingStop: "PendingStopOut",
    models.Session: "SessionOut",
    models.SessionPage: "SessionPageOut",
    models.OperationError: "ErrorOut",
    models.Notice: "NoticeOut",
    models.ApprovalRef: "ApprovalRef",
    models.Operation: "OperationOut",
    models.Approval: "ApprovalOut",
    models.ApprovalPage: "ApprovalPage",
    models.Me: "MeOut",
}


def _json_types(annotation: Any) -> set[str]:
    """The JSON schema types a Python annotation accepts."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_json_types(a) for a in typing.get_args(annotation)))
    if annotation is type(None):
        return {"null"}
    if origin is list:
        return {"array"}
    if origin is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return {"object"}
    return {
        str: {"string"},
        datetime: {"string"},
        int: {"integer"},
        float: {"number", "integer"},
        bool: {"boolean"},
    }[annotation]


def _schema_types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _schema_types(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in schema:
        return set().union(*(_schema_types(s, components) for s in schema["anyOf"]))
    if "enum" in schema and "type" not in schema:
        return {"string"}
    if "type" in schema:
        return {schema["type"]}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    return {"string", "number", "integer", "boolean", "object", "array", "null"}


@pytest.fixture(scope="module")
def components(served: Served) -> dict[str, Any]:
    document = httpx.get(f"{served.url}/openapi.json").raise_for_status().json()
    return dict(document["components"]["schemas"])


@pytest.mark.parametrize("model", list(SCHEMAS), ids=lambda m: m.__name__)
def test_model_matches_the_openapi_schema(
    model: type[BaseModel], components: dict[str, Any]
) -> None:
    schema = components[SCHEMAS[model]]
    properties = schema["properties"]
    for name, field in model.model_fields.items():
        assert name in properties, f"{model.__name__}.{name} is not in {SCHEMAS[model]}"
        theirs = _schema_types(properties[name], components)
        ours = _json_types(field.annotation)
        assert theirs <= ours | {"null"} if not field.is_required() else theirs <= ours, (
            f"{model.__name__}.{name}: the client reads {sorted(ours)}, "
            f"the gateway sends {sorted(theirs)}"
        )
