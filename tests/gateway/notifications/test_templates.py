"""Notification templates: defaults per event × language, admin overrides from a directory,
a sandbox, neutral texts for candidates, and a fallback when an override fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock_gateway.operations.outbox import EVENTS
from interlock_gateway.operations.templates import DEFAULTS, LANGUAGES, Templates

PAYLOAD = {
    "event": "session.paused",
    "operation_id": "op-1",
    "batch_id": None,
    "account": "dingtalk-hq",
    "session_id": "s-1",
    "verb": "pause",
    "status": "succeeded",
    "outcome": "applied",
    "reason_code": "operator_error",
    "state_before": "in_progress",
    "state_after": "paused",
    "error_code": None,
    "requester": "spec",
    "candidate_id": "c-9",
    "candidate_masked": "张*",
    "position_title": "Backend Engineer",
    "resume_deadline": "2026-12-05T08:00:00+00:00",
    "resume_url": "https://il.example/c/abc.def",
}


def test_every_event_has_a_default_in_both_languages() -> None:
    assert set(DEFAULTS) == set(EVENTS)
    for by_language in DEFAULTS.values():
        assert set(by_language) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_candidates_never_see_internal_reason_codes(language: str) -> None:
    rendered = Templates().render("session.paused", language, "candidate", PAYLOAD)
    assert "operator_error" not in rendered.body
    assert "spec" not in rendered.body  # nor who asked
    assert "张*" in rendered.body
    assert "https://il.example/c/abc.def" in rendered.body
    hr = Templates().render("operation.finished", language, "hr", PAYLOAD)
    assert "operator_error" in hr.body  # HR does


def test_the_candidates_own_circumstances_are_named_kindly() -> None:
    payload = PAYLOAD | {"reason_code": "candidate_network"}
    assert "network" in Templates().render("session.paused", "en", "candidate", payload).body


def test_an_admin_override_is_used(tmp_path: Path) -> None:
    (tmp_path / "session.paused.en.txt").write_text(
        "Paused, {{ candidate_masked }}\n\nContinue: {{ resume_url }}", encoding="utf-8"
    )
    rendered = Templates(tmp_path).render("session.paused", "en", "candidate", PAYLOAD)
    assert rendered.subject == "Paused, 张*"
    assert rendered.body == "Continue: https://il.example/c/abc.def"
    assert rendered.failed is None


@pytest.mark.parametrize(
    "template",
    [
        "Hi\n\n{{ reason_code }}",  # not in a candidate's context: StrictUndefined
        "Hi\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}",  # the sandbox refuses
        "Hi\n\n{% if %}",  # a syntax error
    ],
)
def test_a_failing_override_falls_back_to_the_default(tmp_path: Path, template: str) -> None:
    (tmp_path / "session.paused.en.txt").write_text(template, encoding="utf-8")
    rendered = Templates(tmp_path).render("session.paused", "en", "candidate", PAYLOAD)
    assert rendered.failed is not None
    assert rendered.subject == "Your AI interview is paused"
    assert "operator_error" not in rendered.body
