"""The OpenAPI document says what the server does; this post-processor adds what FastAPI
cannot derive from the routes.

* Errors are ``application/problem+json`` everywhere. Routes describe their error statuses in
  words (``responses={404: {"description": ...}}``); each gets the :data:`PROBLEM_SCHEMA` body
  and an example built from a problem the gateway really raises (``problem_examples.py``).
  FastAPI's built-in ``HTTPValidationError`` is replaced (the gateway answers 422 with a
  problem instead) and a ``default`` problem response added, so a client — or Schemathesis —
  can validate every error the gateway sends. Entries that already name their own content
  (``/readyz``'s 503) keep it, and get an example only where they have none.
* ``Idempotency-Key`` is required where the route answers 428 without it (``deps.KEY_REQUIRED``).
* ``page_size`` has the gateway's configured ``max_page_size`` as its maximum: the limit is a
  setting, so no route can declare it statically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .problem_examples import CODE_KEY, example_for
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


def _fold_items(operation: dict[str, Any]) -> None:
    """Move a parameter's ``items`` (``json_schema_extra`` of an optional list, which FastAPI
    puts beside ``anyOf [array, null]``) into the array branch, where viewers look for it."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if "items" in schema and "anyOf" in schema:
            items = schema.pop("items")
            for branch in schema["anyOf"]:
                if branch.get("type") == "array":
                    branch["items"] = items


def _limit_page_size(operation: dict[str, Any], max_page_size: int) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") == "page_size":
            schema = parameter.setdefault("schema", {})
            schema["maximum"] = min(schema.get("maximum", max_page_size), max_page_size)


def _problem_content(status: int, path: str, code: str | None) -> dict[str, Any]:
    example = example_for(status, path, code)
    return {PROBLEM_JSON: {"schema": {"$ref": _REF}, "example": example}}


def _give_example(response: dict[str, Any], status: int, path: str, code: str | None) -> None:
    """An example for problem content the route declared itself; a body of its own shape
    (``/readyz``'s 503) needs the route's own example."""
    media = response["content"].get(PROBLEM_JSON)
    if media is not None and "example" not in media and "examples" not in media:
        media["example"] = example_for(status, path, code)


def _document(path: str, operation: dict[str, Any], max_page_size: int | None) -> None:
    _require_key(operation)
    _fold_items(operation)
    if max_page_size is not None:
        _limit_page_size(operation, max_page_size)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.setdefault("default", {"description": "an error (RFC 9457 problem details)"})
    for status, response in responses.items():
        if not _is_error(status):
            continue
        code = response.pop(CODE_KEY, None)
        number = 500 if status == "default" else int(status)
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if "content" not in response or schema.get("$ref") == _BUILTIN_422:
            response["content"] = _problem_content(number, path, code)
        else:
            _give_example(response, number, path, code)


def document_problems(schema: dict[str, Any], max_page_size: int | None = None) -> dict[str, Any]:
    """Add the problem schema and problem responses to ``schema`` (in place; returned), and
    ``max_page_size`` as every ``page_size``'s maximum when given."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for path, path_item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method in path_item:
                _document(path, path_item[method], max_page_size)
    still_used = _BUILTIN_422 in str(schema.get("paths", {}))
    if not still_used:  # FastAPI's validation schemas are no longer referenced
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def install_openapi(app: FastAPI, *, max_page_size: int | None = None) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) document problem responses and the
    page size limit."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build(), max_page_size)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
