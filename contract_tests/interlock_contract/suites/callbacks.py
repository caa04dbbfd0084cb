"""Vendor push: verified before it is trusted, or refused as unsupported when there is none.

An adapter that declares ``push_events=True`` gives its double one extra method, so that the
suite can ask for pushes without knowing the vendor's signature scheme::

    def signed_callback(self, session_id: str, *, secret: str | None = None) -> CallbackRequest:
        '''A state-change push about ``session_id``, signed the vendor's way — with ``secret``
        instead of the real signing secret when given (a forgery).'''
"""

from __future__ import annotations

import contextlib
from typing import ClassVar

import pytest

from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities, ChangeObservation
from interlock.errors import InterlockError, UnsupportedOperation, VendorAuthFailed
from interlock.events import CallbackRequest
from interlock_contract.harness import ContractFixtures
from interlock_contract.scenario import Scenario

__all__ = ["CallbacksContract"]

FORGED_SECRET = "forged-by-the-contract-suite"  # noqa: S105 - a deliberately wrong secret


def _signed(scenario: Scenario, session_id: str, secret: str | None = None) -> CallbackRequest:
    make = getattr(scenario.double, "signed_callback", None)
    if make is None:
        pytest.fail(
            "the adapter declares push_events=True, so its double needs "
            "`signed_callback(session_id, *, secret=None) -> CallbackRequest`: a state-change "
            "push about the session signed the vendor's way (with `secret` when given)",
            pytrace=False,
        )
    request = make(session_id, secret=secret)
    assert isinstance(request, CallbackRequest), "signed_callback must return a CallbackRequest"
    return request


class CallbacksContract(ContractFixtures):
    """``parse_callback`` verifies pushes, or refuses when the vendor pushes nothing."""

    contract_concern: ClassVar[str] = "callbacks"

    def test_capabilities_agree_about_push(
        self, capabilities: Capabilities, reads_work: None
    ) -> None:
        if capabilities.push_events:
            assert capabilities.change_observation is ChangeObservation.PUSH, (
                "push_events=True needs change_observation=push"
            )
        else:
            assert capabilities.change_observation is ChangeObservation.POLLING, (
                "without push_events the gateway must poll: change_observation=polling"
            )

    def test_without_push_a_callback_is_unsupported(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        reads_work: None,
    ) -> None:
        self.require(request, not capabilities.push_events, "callbacks: the vendor pushes events")
        with scenario.watch() as watched, pytest.raises(UnsupportedOperation):
            adapter.parse_callback(CallbackRequest(body=b'{"event": "state_changed"}'))
        assert not watched.requests, "parse_callback must not call the vendor"

    def test_signed_push_is_parsed(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        session_id = scenario.session_exists()
        result = adapter.parse_callback(_signed(scenario, session_id))
        about = [e for e in result.events if e.ref == adapter.ref(session_id)]
        assert about, f"the push about {session_id} produced no event for it: {result.events}"
        assert all(e.state in (None, scenario.state_of(session_id)) for e in about), about
        assert 200 <= result.reply.status_code < 300, "the vendor expects a 2xx acknowledgement"

    def test_forged_or_garbled_push_is_refused(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        session_id = scenario.session_exists()
        with pytest.raises(VendorAuthFailed):
            adapter.parse_callback(_signed(scenario, session_id, secret=FORGED_SECRET))
        garbled = CallbackRequest(body=b"\x00 not a push")
        with pytest.raises(InterlockError) as caught:
            adapter.parse_callback(garbled)
        assert caught.value.code in ("VENDOR.AUTH_FAILED", "VENDOR.PROTOCOL_ERROR"), (
            f"a garbled push raised {caught.value.code}; raise VendorAuthFailed or "
            "VendorProtocolError"
        )

    def test_callback_parsing_needs_no_vendor_call(
        self, adapter: InterviewAdapter, scenario: Scenario, reads_work: None
    ) -> None:
        with scenario.watch() as watched, contextlib.suppress(InterlockError):
            adapter.parse_callback(CallbackRequest(body=b"{}"))
        assert not watched.requests, "parse_callback must decide without calling the vendor"
