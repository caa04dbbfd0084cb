"""Diagnostics: a vendor error reaches the operator with what support needs to act on it.

The double declares the error answers its vendor documents (:meth:`VendorDouble.error_answers`:
4xx refusals, 5xx, errors inside an HTTP 200). Each is served, persistently, to a read of one
session; whatever retries the adapter makes, the error that reaches the caller must

* be the neutral error the vendor's documentation gives the answer (``means``);
* carry the vendor's code (``vendor_code``) and contain the vendor's own message;
* name the request id of the vendor's last answer, where the vendor sends one.

A code or message lost on the way is what turns a five-minute support ticket into a day.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from interlock.adapter import InterviewAdapter
from interlock.doubles import ErrorAnswer, Fault
from interlock.errors import InterlockError, VendorError
from interlock_contract.checks import attempt
from interlock_contract.harness import ContractFixtures
from interlock_contract.scenario import Scenario, Window

__all__ = ["DiagnosticsContract", "check_diagnostics"]

PERSISTENT = 10
"""How many requests the answer is served to: more than any retry policy makes."""


class DiagnosticsContract(ContractFixtures):
    """The vendor's code, message and request id survive the adapter's translation."""

    contract_concern: ClassVar[str] = "observability"

    def test_vendor_errors_reach_the_operator_intact(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        scenario: Scenario,
    ) -> None:
        session_id = scenario.session_exists()
        answers = scenario.double.error_answers(session_id)
        self.require(request, bool(answers), "the double declares no error_answers()")
        run(adapter.get_session(session_id))  # the token is fetched before the answers
        for answer in answers:
            if answer.token_request:
                scenario.token_expired_once()
            scenario.fault(
                Fault.VENDOR_ANSWER,
                times=PERSISTENT,
                answer=answer.render,
                on_token_requests=answer.token_request,
                spare_token_requests=not answer.token_request,
            )
            with scenario.watch() as window:
                outcome = attempt(run, adapter.get_session(session_id))
            scenario.clear_faults()
            to = "the token request of a read" if answer.token_request else "a read"
            where = f"the vendor's {answer.vendor_code or 'answer'} ({answer.message!r}) to {to}"
            assert outcome.error is not None, (
                f"{where}: the adapter returned a session instead of an error"
            )
            check_diagnostics(outcome.error, answer, window, scenario, where)


def check_diagnostics(
    error: InterlockError, answer: ErrorAnswer, window: Window, scenario: Scenario, where: str
) -> None:
    """``error`` is the answer's neutral error, with its code, message and request id."""
    assert error.code == answer.means, (
        f"{where}: raised {error.code} ({error.message}), but the vendor documents it as "
        f"{answer.means}; check the adapter's table of vendor codes"
    )
    if isinstance(error, VendorError):
        carried = error.vendor_code or None  # an empty code is no code
        assert carried == answer.vendor_code, (
            f"{where}: the error carries vendor_code={error.vendor_code!r}; pass the vendor's "
            f"code ({answer.vendor_code!r}) as vendor_code= so support can look it up"
        )
        text = answer.message or answer.vendor_code
        assert text is None or text in error.message, (
            f"{where}: the error says {error.message!r}, which drops the vendor's "
            f"{'message' if answer.message else 'code (it sent no message)'} {text!r}"
        )
    if answer.hinted:
        assert error.hint, (
            f"{where}: the vendor documents what to do about it, but the error gives no hint; "
            "say it (hint=...): the operator reads it, not the vendor's documentation"
        )
    carried_details = error.to_dict()
    for key, expected in answer.details.items():
        value = carried_details.get(key)
        if isinstance(value, list | tuple) and isinstance(expected, list | tuple):
            value, expected = list(value), list(expected)
        assert value == expected, (
            f"{where}: the error carries {key}={value!r}, but the vendor's answer says "
            f"{expected!r} (see the double's error_answers())"
        )
    header = scenario.double.request_id_header
    if header is None:
        return
    answered = [e.response for e in window.exchanges if e.response is not None]
    last = answered[-1].headers.get(header) if answered else None
    named = getattr(error, "vendor_request_id", None) or error.details.get("vendor_request_id")
    assert last is None or named == last, (
        f"{where}: the vendor's last answer had request id {last!r} ({header}), but the error "
        f"names {named!r}; pass request_id_header= to VendorClient and keep the id on errors"
    )
