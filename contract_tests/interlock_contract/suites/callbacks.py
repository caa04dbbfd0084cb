"""Vendor push: verified before it is trusted, or refused as unsupported when there is none.

An adapter that declares ``push_events=True`` gives its double one extra method, so that the
suite can ask for pushes without knowing the vendor's signature scheme::

    def signed_callback(
        self, session_id: str, *, secret: str | None = None, age_s: float = 0.0,
        foreign: bool = False,
    ) -> CallbackRequest:
        '''A state-change push about ``session_id``, signed the vendor's way — with ``secret``
        instead of the real signing secret when given (a forgery); signed ``age_s`` seconds
        ago (negative: in the future); with ``foreign``, correctly signed but for another app
        or tenant of the vendor.'''

    def callback_reply_error(self, reply: CallbackReply) -> str | None:
        '''Why the vendor would not take ``reply`` as an acknowledgement (None: it would).'''

    def bad_callbacks(self, session_id: str) -> list[tuple[str, CallbackRequest, str, str | None]]:
        '''Pushes that verify but are wrong inside — ``(what, request, neutral code, field)``:
        the adapter must refuse each with that code, naming that field.'''

``age_s``, ``foreign``, ``callback_reply_error`` and ``bad_callbacks`` are optional: a double
without them skips the checks that need them, visibly. A push that passes verification must be
refused when it arrives again (a captured push replayed), when it is older or newer than the
adapter's window, or when it is for another app; the events it carries must agree with the
vendor.
"""

from __future__ import annotations

import contextlib
import inspect
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities, ChangeObservation
from interlock.errors import InterlockError, UnsupportedOperation, VendorAuthFailed
from interlock.events import CallbackRequest, SessionEvent
from interlock_contract.checks import assert_well_told
from interlock_contract.harness import ContractFixtures
from interlock_contract.scenario import Scenario

__all__ = ["CallbacksContract"]

FORGED_SECRET = "forged-by-the-contract-suite"  # noqa: S105 - a deliberately wrong secret
OUT_OF_WINDOW_S = 2 * 86_400.0
"""Further from now than any push window an adapter may configure (a stale or future push)."""
CLOCK_SLACK = timedelta(seconds=2)
"""How far an event's time may lie outside [the vendor's change, now] (vendors round times)."""


def _signed(
    scenario: Scenario, session_id: str, secret: str | None = None, **variant: Any
) -> CallbackRequest:
    make = getattr(scenario.double, "signed_callback", None)
    if make is None:
        pytest.fail(
            "the adapter declares push_events=True, so its double needs "
            "`signed_callback(session_id, *, secret=None) -> CallbackRequest`: a state-change "
            "push about the session signed the vendor's way (with `secret` when given)",
            pytrace=False,
        )
    request = make(session_id, secret=secret, **variant)
    assert isinstance(request, CallbackRequest), "signed_callback must return a CallbackRequest"
    return request


_LONGEST_BLOCK = 32
"""Bytes in the longest padding block a push scheme uses (DingTalk's and WeChat's PKCS#7)."""


def _assert_refused(adapter: InterviewAdapter, push: CallbackRequest, what: str, fix: str) -> None:
    """``push`` is refused with ``VENDOR.AUTH_FAILED`` (and nothing of it is trusted)."""
    try:
        result = adapter.parse_callback(push)
    except VendorAuthFailed as error:
        check_refusal(adapter, error, what)
        return
    pytest.fail(f"{what} was accepted ({len(result.events)} events): {fix}", pytrace=False)


def _refusal(adapter: InterviewAdapter, push: CallbackRequest) -> InterlockError | None:
    """The error ``push`` is refused with, or None when it was accepted."""
    try:
        adapter.parse_callback(push)
    except InterlockError as error:
        check_refusal(adapter, error, "a refused push")
        return error
    return None


def check_refusal(adapter: InterviewAdapter, error: InterlockError, what: str) -> None:
    """A refused push is told well, names the account it reached and, when it is refused as
    not the vendor's (``VENDOR.AUTH_FAILED``), says what to check (a hint)."""
    assert_well_told(error, what)
    named = error.details.get("account")
    assert named == adapter.account, (
        f"{what}: the refusal names account {named!r}, not {adapter.account!r}; pass "
        "account= to the error (the gateway logs refusals per account)"
    )
    if isinstance(error, VendorAuthFailed):
        assert error.hint, f"{what}: the refusal gives no hint of what to check (hint=...)"


def _double_takes(scenario: Scenario, keyword: str) -> bool:
    """Whether the double's ``signed_callback`` takes ``keyword`` (an optional refinement)."""
    make = getattr(scenario.double, "signed_callback", None)
    return make is not None and keyword in inspect.signature(make).parameters


def _state_changes(
    adapter: InterviewAdapter, events: tuple[SessionEvent, ...], session_id: str
) -> list[SessionEvent]:
    return [e for e in events if e.ref == adapter.ref(session_id)]


def check_event_agrees(event: SessionEvent, scenario: Scenario, session_id: str) -> None:
    """A pushed state change says what the vendor holds: its state and when it changed."""
    truth = scenario.truth(session_id)
    assert event.kind == "state_changed", f"a status push became a {event.kind!r} event"
    assert event.event_id, "the event has no event_id (the gateway dedupes pushes by it)"
    assert event.state is truth.state, (
        f"the push says {event.state} but the vendor holds {truth.state}: map the pushed "
        "status with the same table as reads"
    )
    assert event.occurred_at is not None, "the event has no occurred_at (the push carries it)"
    now = datetime.now(UTC)
    assert truth.updated_at - CLOCK_SLACK <= event.occurred_at <= now + CLOCK_SLACK, (
        f"the event occurred_at {event.occurred_at.isoformat()}, but the vendor changed the "
        f"session at {truth.updated_at.isoformat()} and it is now {now.isoformat()}: read the "
        "pushed time in the vendor's unit and zone"
    )


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
        about = _state_changes(adapter, result.events, session_id)
        assert about, f"the push about {session_id} produced no event for it: {result.events}"
        for event in about:
            check_event_agrees(event, scenario, session_id)
        assert 200 <= result.reply.status_code < 300, "the vendor expects a 2xx acknowledgement"
        judge = getattr(scenario.double, "callback_reply_error", None)
        if judge is not None:
            why = judge(result.reply)
            assert why is None, f"the vendor would not take the reply as an acknowledgement: {why}"
        other = scenario.session_exists()
        pushed = adapter.parse_callback(_signed(scenario, other))
        again = _state_changes(adapter, pushed.events, other)
        assert again, f"the push about {other} produced no event for it: {pushed.events}"
        assert again[0].event_id != about[0].event_id, (
            "two pushes about two sessions carry the same event_id: the gateway would drop one"
        )

    def test_pushes_of_every_length_are_parsed(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        """Pushes whose plaintexts end at every offset of a cipher block (the double's
        ``signed_callback(padding=n)``) decrypt and parse: a padding check off by one refuses
        one push in every block's worth of lengths."""
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        self.require(
            request, _double_takes(scenario, "padding"), "signed_callback takes no padding"
        )
        for padding in range(_LONGEST_BLOCK + 1):
            session_id = scenario.session_exists()
            try:
                result = adapter.parse_callback(_signed(scenario, session_id, padding=padding))
            except InterlockError as error:
                pytest.fail(
                    f"a push {padding} bytes longer was refused: {error.code} {error}; check "
                    "the cipher's padding (every pad length from 1 to the block size is valid)",
                    pytrace=False,
                )
            assert _state_changes(adapter, result.events, session_id), (
                f"a push {padding} bytes longer carried no event for {session_id}"
            )

    def test_pushes_in_the_vendors_other_shapes_are_parsed(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        """Good pushes in the other shapes the vendor documents (the double's
        ``other_callbacks(session_id)``: older parameter names...) parse like the usual one."""
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        make = getattr(scenario.double, "other_callbacks", None)
        self.require(request, make is not None, "the double declares no other_callbacks()")
        assert make is not None
        session_id = scenario.session_exists()
        for what, push in make(session_id):
            try:
                result = adapter.parse_callback(push)
            except InterlockError as error:
                pytest.fail(f"{what} was refused: {error.code} {error}", pytrace=False)
            about = _state_changes(adapter, result.events, session_id)
            assert about, f"{what} produced no event for {session_id}: {result.events}"
            check_event_agrees(about[0], scenario, session_id)

    def test_the_vendors_url_check_is_answered(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        """The push a vendor sends to check a new callback URL (the double's
        ``verification_callback()``) is one ``url_verification`` event, acknowledged the way the
        vendor wants, and two such checks are two events (the gateway keeps event ids once)."""
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        make = getattr(scenario.double, "verification_callback", None)
        self.require(request, make is not None, "the double declares no verification_callback()")
        assert make is not None
        ids = []
        for _ in range(2):
            result = adapter.parse_callback(make())
            kinds = [e.kind for e in result.events]
            assert kinds == ["url_verification"], (
                f"the vendor's URL check became events {kinds}; answer it with one "
                "SessionEvent(kind='url_verification') and the vendor's acknowledgement"
            )
            ids.append(result.events[0].event_id)
            judge = getattr(scenario.double, "callback_reply_error", None)
            why = judge(result.reply) if judge is not None else None
            assert why is None, f"the vendor would not take the URL check's reply: {why}"
        assert ids[0] != ids[1], f"two URL checks carry one event id {ids[0]!r}"

    def test_replayed_push_is_refused(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        """A captured push sent again is refused, however valid its signature."""
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        push = _signed(scenario, scenario.session_exists())
        adapter.parse_callback(push)
        _assert_refused(
            adapter,
            push,
            "the same push, sent a second time,",
            "remember the pushes taken within the push window and refuse a replay with "
            "VendorAuthFailed",
        )

    @pytest.mark.parametrize("when", ["stale", "future"])
    def test_push_outside_the_window_is_refused(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        when: str,
    ) -> None:
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        takes = _double_takes(scenario, "age_s")
        self.require(request, takes, "the double's signed_callback takes no age_s")
        age_s = OUT_OF_WINDOW_S if when == "stale" else -OUT_OF_WINDOW_S
        push = _signed(scenario, scenario.session_exists(), age_s=age_s)
        _assert_refused(
            adapter,
            push,
            f"a {when} push ({age_s:+.0f} s)",
            "refuse a push whose signed timestamp is outside the window (callback_max_age_s)",
        )
        # a push a little off, well inside any window, still passes (clocks differ)
        fresh = scenario.session_exists()
        pushed = adapter.parse_callback(_signed(scenario, fresh, age_s=age_s / 10_000))
        assert _state_changes(adapter, pushed.events, fresh), (
            f"a push {age_s / 10_000:+.0f} s off was refused or carried no event: {pushed.events}"
        )

    def test_a_push_wrong_inside_is_refused_naming_what(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        """A push the vendor signed but whose content is wrong (no session id, a status
        missing, a ciphertext that does not decrypt): refused with the error the double says,
        naming the wrong field, never turned into an event."""
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        make = getattr(scenario.double, "bad_callbacks", None)
        self.require(request, make is not None, "the double declares no bad_callbacks()")
        assert make is not None
        for what, push, means, field in make(scenario.session_exists()):
            error = _refusal(adapter, push)
            assert error is not None, f"{what} was accepted; refuse it with {means}"
            assert error.code == means, f"{what}: raised {error.code} ({error}), not {means}"
            named = error.details.get("field")
            assert field is None or named == field, (
                f"{what}: the error names field={named!r}; name the wrong part ({field!r})"
            )

    def test_push_for_another_app_is_refused(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        takes = _double_takes(scenario, "foreign")
        self.require(request, takes, "the double's signed_callback takes no foreign")
        foreign = _signed(scenario, scenario.session_exists(), foreign=True)
        _assert_refused(
            adapter,
            foreign,
            "a correctly signed push for another app or tenant",
            "check the app key or tenant the decrypted push names against the account's",
        )

    def test_forged_or_garbled_push_is_refused(
        self,
        request: pytest.FixtureRequest,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
    ) -> None:
        self.require(request, capabilities.push_events, "callbacks: capability push_events=False")
        session_id = scenario.session_exists()
        with pytest.raises(VendorAuthFailed) as forged:
            adapter.parse_callback(_signed(scenario, session_id, secret=FORGED_SECRET))
        check_refusal(adapter, forged.value, "a forged push")
        signed = _signed(scenario, session_id)
        for what, garbled in (
            ("a garbled push", CallbackRequest(body=b"\x00 not a push")),
            ("a push whose body is garbled", signed.model_copy(update={"body": b"\x00 nothing"})),
        ):
            with pytest.raises(InterlockError) as caught:
                adapter.parse_callback(garbled)
            check_refusal(adapter, caught.value, what)
            assert caught.value.code in ("VENDOR.AUTH_FAILED", "VENDOR.PROTOCOL_ERROR"), (
                f"{what} raised {caught.value.code}; raise VendorAuthFailed or VendorProtocolError"
            )

    def test_callback_parsing_needs_no_vendor_call(
        self, adapter: InterviewAdapter, scenario: Scenario, reads_work: None
    ) -> None:
        with scenario.watch() as watched, contextlib.suppress(InterlockError):
            adapter.parse_callback(CallbackRequest(body=b"{}"))
        assert not watched.requests, "parse_callback must decide without calling the vendor"
