"""The OpenAPI document says what errors look like: ``application/problem+json`` everywhere.

Routes describe their error statuses in words (``responses={404: {"description": ...}}``);
this post-processor gives each of them the :data:`PROBLEM_SCHEMA` body, replaces FastAPI's
built-in ``HTTPValidationError`` (the gateway answers 422 with a problem instead), and adds a
``default`` problem response, so a client — or Schemathesis — can validate every error the
gateway sends. Entries that already name their own content (``/readyz``'s 503) are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .problems import PROBLEM_JSON

__all__ = ["PROBLEM_SCHEMA", "install_openapi"]

_REF = "#/components/schemas/Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with Interlock's machine code and a hint.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:interlock:problem:SESSION.NOT_FOUND"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": ["string", "null"]},
        "code": {"type": "string", "examples": ["SESSION.NOT_FOUND"]},
        "hint": {"type": ["string", "null"], "description": "what to do about it"},
        "instance": {"type": "string", "description": "the request path"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "the fields that failed validation (never their values)",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": _REF}}}
_BUILTIN_422 = "#/components/schemas/HTTPValidationError"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _is_error(status: str) -> bool:
    return status == "default" or (status.isdigit() and int(status) >= 400)


def _require_key(operation: dict[str, Any]) -> None:
    """The ``Idempotency-Key`` header is required where the route says so (deps.KEY_REQUIRED)."""
    if operation.pop("x-idempotency-key", None) != "required":
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key":
            parameter["required"] = True
            schema = parameter.get("schema", {})
            if "anyOf" in schema:  # ``str | None`` at run time; a string in the document
                string = next(s for s in schema.pop("anyOf") if s.get("type") == "string")
                schema.update(string)


def _document(operation: dict[str, Any]) -> None:
    _require_key(operation)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, response in responses.items():
        if not _is_error(status):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if "content" not in response or schema.get("$ref") == _BUILTIN_422:
            response["content"] = dict(_PROBLEM_CONTENT)
    default = {"description": "an error (RFC 9457 problem details)", "content": _PROBLEM_CONTENT}
    responses.setdefault("default", default)


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem schema and problem responses to ``schema`` (in place; returned)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for method in _METHODS:
            if method in path_item:
                _document(path_item[method])
    still_used = _BUILTIN_422 in str(schema.get("paths", {}))
    if not still_used:  # FastAPI's validation schemas are no longer referenced
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) document problem responses."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
