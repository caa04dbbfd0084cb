"""The error tree: codes, flags, the drawing in the module docstring, and serialisation."""

from __future__ import annotations

import copy
import json
import pickle
import re
from typing import Any

import pytest

from interlock import errors
from interlock.errors import (
    InterlockError,
    InvalidTransition,
    VendorError,
    VendorPermissionDenied,
    VendorRateLimited,
    VendorTimeout,
    VendorTokenExpired,
    VendorUnavailable,
    all_error_classes,
)

CLASSES = all_error_classes()
NAMESPACES = ("INTERLOCK", "VENDOR", "SESSION", "OPERATION")
BASES = {
    errors.InterlockError,
    errors.VendorError,
    errors.SessionError,
    errors.OperationError,
}
# Refinements that keep their parent's code on purpose: the code is the contract, the class
# carries extra meaning for the toolkit (replay the token; was the request sent?).
REFINEMENTS = {errors.VendorTokenExpired, errors.VendorTimeout}
REQUIRED_KWARGS: dict[type[InterlockError], dict[str, Any]] = {
    errors.VendorTimeout: {"ambiguous": True},
    errors.InvalidTransition: {"from_state": "paused", "verb": "pause"},
}


def make(cls: type[InterlockError]) -> InterlockError:
    return cls("something failed", **REQUIRED_KWARGS.get(cls, {}))


def cls_id(cls: type[InterlockError]) -> str:
    return cls.__name__


def drawn_tree() -> dict[str, tuple[str | None, str]]:
    """name -> (parent name, the rest of its line), read from the module docstring."""
    doc = errors.__doc__ or ""
    drawing = doc.split("::", 1)[1]
    tree: dict[str, tuple[str | None, str]] = {}
    stack: list[tuple[int, str]] = []
    for line in drawing.splitlines():
        match = re.match(r"^(?P<prefix>[\s│├└─]*)(?P<name>[A-Z][A-Za-z]+)\b(?P<rest>.*)$", line)
        if match is None:
            continue
        column = len(match["prefix"])
        while stack and stack[-1][0] >= column:
            stack.pop()
        tree[match["name"]] = (stack[-1][1] if stack else None, match["rest"].strip())
        stack.append((column, match["name"]))
    return tree


def test_the_docstring_draws_every_class() -> None:
    assert set(drawn_tree()) == {cls.__name__ for cls in CLASSES}


@pytest.mark.parametrize("cls", CLASSES, ids=cls_id)
def test_the_drawing_matches_the_class(cls: type[InterlockError]) -> None:
    parent, rest = drawn_tree()[cls.__name__]
    base = cls.__bases__[0]
    assert parent == (None if cls is InterlockError else base.__name__)
    drawn_code = rest.split()[0] if rest and rest[0].isupper() else None
    if cls in REFINEMENTS:
        assert drawn_code is None  # drawn without a code of its own
    elif drawn_code is not None and drawn_code.endswith(".*"):
        assert cls.code.startswith(drawn_code[:-1])
    elif cls is not InterlockError:
        assert drawn_code == cls.code
    assert ("retryable" in rest.split("(")[0]) == (cls.retryable and cls not in REFINEMENTS)


@pytest.mark.parametrize("cls", CLASSES, ids=cls_id)
def test_every_code_is_in_a_known_namespace(cls: type[InterlockError]) -> None:
    assert re.fullmatch(r"[A-Z]+\.[A-Z_]+", cls.code)
    assert cls.code.split(".")[0] in NAMESPACES
    if cls in BASES:
        assert cls.code.endswith(".ERROR")
    else:
        assert not cls.code.endswith(".ERROR")


def test_codes_are_unique_except_for_refinements() -> None:
    owners: dict[str, list[str]] = {}
    for cls in CLASSES:
        if cls not in REFINEMENTS:
            owners.setdefault(cls.code, []).append(cls.__name__)
    assert {code: names for code, names in owners.items() if len(names) > 1} == {}
    for cls in REFINEMENTS:
        assert cls.code == cls.__bases__[0].code


def test_the_design_codes_exist() -> None:
    codes = {cls.code for cls in CLASSES}
    assert {
        "INTERLOCK.CONFIGURATION",
        "INTERLOCK.ADAPTER_NOT_FOUND",
        "INTERLOCK.POLICY_DENIED",
        "VENDOR.AUTH_FAILED",
        "VENDOR.PERMISSION_DENIED",
        "VENDOR.RATE_LIMITED",
        "VENDOR.UNAVAILABLE",
        "VENDOR.PROTOCOL_ERROR",
        "VENDOR.QUOTA_EXHAUSTED",
        "SESSION.NOT_FOUND",
        "SESSION.INVALID_TRANSITION",
        "OPERATION.UNSUPPORTED",
    } <= codes


def test_only_throttling_and_unavailability_are_retryable() -> None:
    retryable = {cls.__name__ for cls in CLASSES if cls.retryable}
    assert retryable == {"VendorRateLimited", "VendorUnavailable", "VendorTimeout"}


@pytest.mark.parametrize("cls", CLASSES, ids=cls_id)
def test_every_class_is_public_documented_and_titled(cls: type[InterlockError]) -> None:
    assert cls.__name__ in errors.__all__
    assert cls.__doc__
    assert cls.title
    if cls is not InterlockError:
        assert cls.title != cls.__bases__[0].title or cls in REFINEMENTS


def test_subclasses_defined_elsewhere_are_not_part_of_the_tree() -> None:
    class DingTalkQuirk(VendorUnavailable):
        pass

    assert DingTalkQuirk not in all_error_classes()
    assert len(all_error_classes()) == len(CLASSES)


@pytest.mark.parametrize("cls", CLASSES, ids=cls_id)
def test_every_error_survives_pickle_and_copy(cls: type[InterlockError]) -> None:
    error = make(cls)
    error.hint = "try again later"

    pickled = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    for clone in (pickled, copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is cls
        assert str(clone) == str(error)
        assert clone.to_dict() == error.to_dict()
        assert vars(clone) == vars(error)


def test_to_dict_is_json_safe_and_drops_empty_details() -> None:
    error = VendorPermissionDenied(
        "no grant", account="acme", required_scopes=("interview.write",), hint="ask the admin"
    )

    described = json.loads(json.dumps(error.to_dict()))

    assert described == {
        "code": "VENDOR.PERMISSION_DENIED",
        "title": "Vendor permission denied",
        "message": "no grant",
        "hint": "ask the admin",
        "retryable": False,
        "account": "acme",
        "required_scopes": ["interview.write"],
    }


def test_str_carries_the_hint_and_repr_the_code() -> None:
    error = VendorRateLimited("slow down", retry_after=3.0, hint="wait 3 s")

    assert str(error) == "slow down (wait 3 s)"
    assert repr(error) == "VendorRateLimited(code='VENDOR.RATE_LIMITED', message='slow down')"
    assert error.retry_after == 3.0
    assert error.to_dict()["retry_after"] == 3.0


def test_vendor_errors_carry_account_and_request_id() -> None:
    error = VendorError("x", account="acme", vendor_request_id="r-1", vendor_code="40014")

    assert (error.account, error.vendor_request_id, error.vendor_code) == ("acme", "r-1", "40014")


def test_an_ambiguous_timeout_can_be_marked_not_retryable_per_instance() -> None:
    final = VendorTimeout("outcome unknown", ambiguous=True, retryable=False)
    plain = VendorTimeout("connect timeout", ambiguous=False)

    assert not final.retryable
    assert final.to_dict()["retryable"] is False
    assert plain.retryable
    assert VendorTimeout.retryable  # the classes are untouched
    assert VendorUnavailable.retryable


def test_token_expired_is_an_auth_failure() -> None:
    assert issubclass(VendorTokenExpired, errors.VendorAuthFailed)
    assert VendorTokenExpired("x").code == "VENDOR.AUTH_FAILED"


def test_invalid_transition_records_state_and_verb() -> None:
    error = InvalidTransition("no", from_state="completed", verb="pause")

    assert error.to_dict()["from_state"] == "completed"
    assert error.to_dict()["verb"] == "pause"
