"""The hookspecs are the plug-in contract: every one typed and documented (datasette-style)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import pytest

import interlock.plugins
import interlock.witnesses
from interlock import hookspecs

SPECS: list[Callable[..., Any]] = [
    obj
    for _, obj in inspect.getmembers(hookspecs, inspect.isfunction)
    if obj.__module__ == hookspecs.__name__
]


def spec_id(fn: Callable[..., Any]) -> str:
    return fn.__name__


def test_the_module_holds_the_expected_hooks() -> None:
    assert {fn.__name__ for fn in SPECS} == {
        "interlock_register_adapters",
        "interlock_operation_started",
        "interlock_operation_finished",
        "interlock_notify",
        "interlock_register_channels",
        "interlock_authorize",
        "interlock_audit_witness",
    }


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_every_function_is_a_prefixed_hookspec(spec: Callable[..., Any]) -> None:
    assert spec.__name__.startswith("interlock_")
    assert getattr(spec, f"{hookspecs.PROJECT}_spec", None) is not None, "missing @hookspec"


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_every_hookspec_documents_each_parameter_and_its_version(
    spec: Callable[..., Any],
) -> None:
    doc = inspect.getdoc(spec)
    assert doc, f"{spec.__name__} has no docstring"
    for name in inspect.signature(spec).parameters:
        assert f":param {name}:" in doc, f"{spec.__name__}: :param {name}: is undocumented"
    assert ".. versionadded::" in doc
    returns = inspect.signature(spec).return_annotation
    if returns not in ("None", None):
        assert ":returns:" in doc, f"{spec.__name__} returns {returns} but does not say what"


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_every_hookspec_is_fully_annotated(spec: Callable[..., Any]) -> None:
    signature = inspect.signature(spec)
    for name, parameter in signature.parameters.items():
        assert parameter.annotation is not inspect.Parameter.empty, f"{name} is not annotated"
        assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD  # pluggy calls by name
    assert signature.return_annotation is not inspect.Signature.empty

    # and the annotations resolve to real types (no typo hiding in a string annotation)
    namespace = {
        **vars(typing),
        **vars(interlock.plugins),
        **vars(interlock.witnesses),
        **vars(hookspecs),
    }
    hints = typing.get_type_hints(spec, globalns=namespace)
    assert set(hints) == {*signature.parameters, "return"}


def test_no_hookspec_is_firstresult_or_historic_without_saying_so() -> None:
    for spec in SPECS:
        options = getattr(spec, f"{hookspecs.PROJECT}_spec")
        doc = inspect.getdoc(spec) or ""
        if options.get("firstresult"):
            assert "firstresult" in doc
        if options.get("historic"):
            assert "historic" in doc
