"""Invariants the suite checks again and again, each with a message that says what to fix."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

from interlock.adapter import InterviewAdapter
from interlock.errors import InterlockError
from interlock.models import OperationResult, Reason, SessionRef
from interlock_contract.harness import HookRecorder
from interlock_contract.scenario import Scenario

__all__ = [
    "A_DAY_S",
    "Attempt",
    "assert_hooks_once",
    "assert_no_secrets",
    "assert_reason_recorded",
    "assert_timeouts",
    "assert_well_told",
    "attempt",
    "secrets_of",
]

_MIN_SECRET_LENGTH = 6  # shorter values would match innocent text by chance
A_DAY_S = 86_400.0
"""A day of virtual time: past any token's lifetime, any cache's, any vendor's replay window."""

_MISSING_VALUE = re.compile(r"\bNone\b|^\s*$")
"""Text that shows a value was missing where a message was built: ``None``, or nothing."""


@dataclass
class Attempt:
    """What one call produced: a result or an Interlock error (anything else propagates)."""

    result: OperationResult | None = None
    error: InterlockError | None = None

    @property
    def succeeded(self) -> bool:
        """A result came back and it is ``applied`` or ``already_in_state``."""
        return self.result is not None and self.result.ok

    @property
    def code(self) -> str | None:
        if self.error is not None:
            return self.error.code
        if self.result is not None and not self.result.ok:
            return self.result.error_code
        return None

    def describe(self) -> str:
        if self.error is not None:
            return f"raised {self.error.code}: {self.error}"
        assert self.result is not None
        return f"returned outcome={self.result.outcome} ({self.result.error_code or 'no error'})"


def secrets_of(adapter: InterviewAdapter, scenario: Scenario) -> list[str]:
    """Every secret in play: the double's credentials and tokens and the options' secrets."""
    found = set(scenario.secrets())
    for options in (getattr(adapter.context, "options", None), getattr(adapter, "options", None)):
        found.update(_secret_values(options))
    return sorted(s for s in found if isinstance(s, str) and len(s) >= _MIN_SECRET_LENGTH)


def _secret_values(value: Any, depth: int = 0) -> Iterable[str]:
    if depth > 4 or value is None:
        return
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, SecretBytes):
        yield value.get_secret_value().decode("utf-8", "replace")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_values(getattr(value, name, None), depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_values(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item, depth + 1)


def texts_of_error(error: BaseException) -> list[str]:
    """str, repr and details of an error and of every error in its cause/context chain."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current)]
        if isinstance(current, InterlockError):
            texts.append(json.dumps(current.to_dict(), default=str, ensure_ascii=False))
        current = current.__cause__ or current.__context__
    return texts


def texts_of_records(records: Sequence[logging.LogRecord]) -> list[str]:
    """Every log record's message and every attribute value (structured extras included)."""
    texts: list[str] = []
    for record in records:
        try:
            texts.append(record.getMessage())
        except (TypeError, ValueError):
            texts.append(str(record.msg))
        for key, value in vars(record).items():
            texts.append(f"{key}={value!r}")
            if record.exc_info and key == "exc_info" and record.exc_info[1] is not None:
                texts += texts_of_error(record.exc_info[1])
    return texts


def assert_no_secrets(secrets: Sequence[str], texts: Iterable[str], *, where: str) -> None:
    """No secret appears in any of ``texts`` (log lines, error texts, reprs)."""
    for text in texts:
        for secret in secrets:
            if secret in text:
                shown = text.replace(secret, "<SECRET>")
                raise AssertionError(
                    f"a secret leaked into {where}: {shown[:300]!r}; keep credentials in "
                    "SecretStr options, pass secrets= to VendorClient, never format them into "
                    "messages"
                )


def assert_timeouts(scenario: Scenario) -> None:
    """Every request the double saw carried a timeout (connect, read, write and pool)."""
    for request in scenario.requests:
        timeout = request.timeout
        missing = timeout is None or any(v is None for v in timeout.values())
        assert not missing, (
            f"{request.method} {request.path} was sent without a complete timeout ({timeout}); "
            "send every call through VendorClient (it applies timeout_s to each request)"
        )


def assert_hooks_once(hooks: HookRecorder, refs: Sequence[SessionRef]) -> None:
    """``interlock_operation_started``/``finished`` fired exactly once per operation."""
    started = [e.ref for e in hooks.started]
    finished = [e.ref for e in hooks.finished]
    for ref in refs:
        assert started.count(ref) == 1, (
            f"interlock_operation_started fired {started.count(ref)} times for {ref}"
        )
        assert finished.count(ref) == 1, (
            f"interlock_operation_finished fired {finished.count(ref)} times for {ref}"
        )
    assert len(started) == len(refs) == len(finished), (
        f"{len(started)} started / {len(finished)} finished events for {len(refs)} operations"
    )
    ids = {e.operation_id for e in hooks.started}
    assert ids == {e.operation_id for e in hooks.finished}, "finished events name other operations"


def assert_reason_recorded(scenario: Scenario, session_id: str, reason: Reason, what: str) -> None:
    """The vendor recorded ``reason``'s code and note with its last change of the session
    (checked when the double records reasons: ``VendorDouble.records_reasons``)."""
    if not scenario.double.records_reasons:
        return
    recorded = scenario.truth(session_id).last_reason or ""
    for part, name in ((str(reason.code), "code"), (reason.note, "note")):
        assert not part or part in recorded, (
            f"{what}: the vendor recorded the reason {recorded!r}, without its {name} {part!r}; "
            "send the operator's reason code and note in the vendor's reason fields (a labour "
            "dispute reads them at the vendor)"
        )


def assert_well_told(told: InterlockError | OperationResult, where: str = "") -> None:
    """An error (or a failed result) says something: its message and hint are text, never
    empty, and show no ``None`` where a value was missing when they were built."""
    if isinstance(told, OperationResult):
        texts = {"error_message": told.error_message} if not told.ok else {}
    else:
        texts = {"message": told.message, "hint": told.hint or "-"}
    for name, text in texts.items():
        readable = isinstance(text, str) and not _MISSING_VALUE.search(text)
        assert readable, (
            f"{where or 'an error'}: its {name} is {text!r}, which shows a missing value; "
            "build messages from values that are there (the vendor's message, the field, the "
            "state) and say what went wrong"
        )


def attempt(run: Any, coroutine: Any) -> Attempt:
    """Run ``coroutine`` on the check's loop; an Interlock error becomes part of the answer
    (after :func:`assert_well_told`: whatever the adapter says must be readable)."""
    try:
        result = run(coroutine)
    except InterlockError as error:
        assert_well_told(error)
        return Attempt(error=error)
    for told in result if isinstance(result, list) else [result]:
        if isinstance(told, OperationResult):
            assert_well_told(told, f"the result for {told.ref.session_id}")
    return Attempt(result=result)
