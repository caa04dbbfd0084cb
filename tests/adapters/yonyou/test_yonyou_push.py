"""Event push: the double's delivery schedule (injected clock) and the adapter's verification."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from yonyou_helpers import REASON, AdapterFactory, load

from interlock import errors
from interlock.events import CallbackRequest, CallbackResult
from interlock.models import SessionState
from interlock_yonyou._crypto import PushCrypto
from interlock_yonyou._push import ACKNOWLEDGEMENT
from interlock_yonyou.adapter import YonyouAdapter
from interlock_yonyou.double import APP_KEY, APP_SECRET, TENANT_ID, YonyouDouble
from interlock_yonyou.double._crypto import encrypt_message, push_signature
from interlock_yonyou.double._push import (
    CHECK_URL,
    STATUS_CHANGE,
    Delivery,
    PushOutbox,
    redelivery_delay,
)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Clock:
    """A settable wall clock for the adapter (pushes are checked against it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Receiver:
    """A push sender that hands each push to the adapter, like the gateway's callback route."""

    def __init__(self, adapter: YonyouAdapter, *, seconds: float = 0.05) -> None:
        self.adapter = adapter
        self.seconds = seconds
        self.results: list[CallbackResult] = []
        self.refusals: list[errors.InterlockError] = []

    async def __call__(self, url: str, body: dict[str, Any]) -> tuple[int, str, float]:
        try:
            result = self.adapter.parse_callback(CallbackRequest(body=json.dumps(body).encode()))
        except errors.InterlockError as error:
            self.refusals.append(error)
            return 401, error.code, self.seconds
        self.results.append(result)
        return result.reply.status_code, result.reply.body.decode(), self.seconds


def request_for(envelope: dict[str, Any]) -> CallbackRequest:
    return CallbackRequest(body=json.dumps(envelope).encode())


# -- the redelivery schedule (pure data, injected time) ---------------------------------------


def test_the_redelivery_schedule_is_1_min_5_min_then_hourly() -> None:
    assert [redelivery_delay(n) for n in (1, 2, 3, 4, 10)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def test_an_unacknowledged_event_is_retried_for_24_hours_then_abandoned() -> None:
    outbox = PushOutbox(app_key=APP_KEY, app_secret=APP_SECRET, tenant_id=TENANT_ID)
    outbox.url = "https://hr.example/callbacks/yonyou"
    delivery = outbox.enqueue({"type": STATUS_CHANGE}, at=T0)
    assert delivery is not None
    attempts: list[timedelta] = []
    while delivery.next_due is not None:
        due = delivery.next_due
        assert outbox.due(due - timedelta(seconds=1)) == []
        assert outbox.due(due) == [delivery]
        delivery.record(due, acknowledged=False)
        attempts.append(due - T0)
    offsets = [timedelta(0), timedelta(minutes=1), timedelta(minutes=6)]
    offsets += [timedelta(minutes=6) + timedelta(hours=h) for h in range(1, 24)]
    assert attempts == offsets
    assert attempts[-1] <= timedelta(hours=24)
    assert delivery.abandoned
    assert outbox.due(T0 + timedelta(days=2)) == []


def test_an_acknowledged_event_is_never_sent_again() -> None:
    delivery = Delivery(event={}, first_due=T0, next_due=T0)
    delivery.record(T0, acknowledged=False)
    delivery.record(T0 + timedelta(minutes=1), acknowledged=True)
    assert delivery.delivered
    assert delivery.next_due is None


@pytest.mark.parametrize(
    ("status", "text", "seconds", "acknowledged"),
    [
        (200, "success", 0.2, True),
        (200, "success\n", 4.9, True),
        (200, "success", 5.5, False),  # too slow: the platform gave up after 5 s
        (200, '{"ok":true}', 0.1, False),
        (500, "success", 0.1, False),
        (0, "", 5.0, False),  # connection failed
    ],
)
async def test_only_success_within_5_seconds_acknowledges(
    status: int, text: str, seconds: float, acknowledged: bool
) -> None:
    outbox = PushOutbox(app_key=APP_KEY, app_secret=APP_SECRET, tenant_id=TENANT_ID)
    outbox.url = "https://hr.example/callbacks/yonyou"
    delivery = outbox.enqueue({"type": STATUS_CHANGE}, at=T0)
    assert delivery is not None

    async def send(url: str, body: dict[str, Any]) -> tuple[int, str, float]:
        return status, text, seconds

    assert await outbox.deliver_due(at=T0, send=send) == int(acknowledged)
    assert delivery.delivered is acknowledged
    assert delivery.next_due == (None if acknowledged else T0 + timedelta(minutes=1))


# -- subscription and delivery end to end -----------------------------------------------------


async def test_check_url_comes_first_and_keeps_the_subscription(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    receiver = Receiver(make_adapter())
    assert await double.subscribe("https://hr.example/cb", send=receiver)
    assert double.outbox.url == "https://hr.example/cb"
    [result] = receiver.results
    assert [e.kind for e in result.events] == ["url_verification"]
    assert result.reply == ACKNOWLEDGEMENT
    assert result.reply.body == b"success"


async def test_a_url_that_does_not_acknowledge_is_not_subscribed(double: YonyouDouble) -> None:
    async def refuse(url: str, body: dict[str, Any]) -> tuple[int, str, float]:
        return 200, "nope", 0.1

    assert not await double.subscribe("https://hr.example/cb", send=refuse)
    assert double.outbox.url is None


async def test_a_terminate_is_pushed_and_redelivered_until_acknowledged(
    make_adapter: AdapterFactory, double: YonyouDouble
) -> None:
    clock = Clock(T0)
    adapter = make_adapter(clock=clock)
    double.push_clock = clock
    receiver = Receiver(adapter)
    await double.subscribe("https://hr.example/cb", send=receiver)
    session_id = double.put_session(SessionState.IN_PROGRESS)
    # The adapter's own token request is signed with its (fake) clock; let the double agree.
    double.auth._wall_clock = lambda: clock.now.timestamp()
    await adapter.terminate(session_id, REASON, idempotency_key="k")
    [delivery] = double.outbox.deliveries

    async def down(url: str, body: dict[str, Any]) -> tuple[int, str, float]:
        return 502, "", 0.1

    assert await double.deliver_due(T0, send=down) == 0
    clock.now = T0 + timedelta(minutes=1)
    assert await double.deliver_due(clock.now, send=receiver) == 1

    assert delivery.delivered
    assert [ok for _, ok in delivery.attempts] == [False, True]
    event = receiver.results[-1].events[0]
    assert event.kind == "state_changed"
    assert event.ref is not None
    assert event.ref.session_id == session_id
    assert event.ref.account == "yonyou-test"
    assert event.state is SessionState.TERMINATED
    assert event.occurred_at == T0


# -- parse_callback ---------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def receiving(make_adapter: AdapterFactory, clock: Clock) -> YonyouAdapter:
    return make_adapter(clock=clock)


def test_a_status_change_event_becomes_a_neutral_event(
    receiving: YonyouAdapter, double: YonyouDouble
) -> None:
    envelope = double.push_envelope(
        STATUS_CHANGE, at=T0, sessionId=["5341482064376770"], status="5"
    )
    result = receiving.parse_callback(request_for(envelope))
    [event] = result.events
    assert (event.kind, event.state) == ("state_changed", SessionState.REVOKED)
    assert event.ref is not None
    assert event.ref.name == "accounts/yonyou-test/sessions/5341482064376770"


def test_several_ids_in_one_event_get_distinct_event_ids(
    receiving: YonyouAdapter, double: YonyouDouble
) -> None:
    envelope = double.push_envelope(STATUS_CHANGE, at=T0, sessionId=["11", "12"])
    events = receiving.parse_callback(request_for(envelope)).events
    assert len({e.event_id for e in events}) == 2
    assert {e.state for e in events} == {None}  # no status: the gateway reads the session back


def test_other_event_types_are_acknowledged_without_events(
    receiving: YonyouAdapter, double: YonyouDouble
) -> None:
    result = receiving.parse_callback(request_for(double.push_envelope("STAFF_ADD", at=T0)))
    assert result.events == ()
    assert result.reply.body == b"success"


def test_a_bad_signature_is_refused(receiving: YonyouAdapter, double: YonyouDouble) -> None:
    envelope = double.push_envelope(CHECK_URL, at=T0)
    envelope["msgSignature"] = "0" * 40
    with pytest.raises(errors.VendorAuthFailed):
        receiving.parse_callback(request_for(envelope))


def test_a_tampered_ciphertext_is_refused(receiving: YonyouAdapter, double: YonyouDouble) -> None:
    envelope = double.push_envelope(CHECK_URL, at=T0)
    envelope["encrypt"] = envelope["encrypt"][::-1]
    with pytest.raises(errors.VendorAuthFailed):
        receiving.parse_callback(request_for(envelope))


def test_the_same_push_twice_is_a_replay(receiving: YonyouAdapter, double: YonyouDouble) -> None:
    envelope = double.push_envelope(STATUS_CHANGE, at=T0, sessionId=["11"], status="4")
    receiving.parse_callback(request_for(envelope))
    with pytest.raises(errors.VendorAuthFailed) as caught:
        receiving.parse_callback(request_for(envelope))
    assert "replay" in caught.value.message


def test_a_stale_push_is_refused_but_a_fresh_redelivery_passes(
    receiving: YonyouAdapter, double: YonyouDouble, clock: Clock
) -> None:
    event = double.outbox.event(STATUS_CHANGE, T0, sessionId=["11"], status="4")
    clock.now = T0 + timedelta(hours=1)
    with pytest.raises(errors.VendorAuthFailed) as caught:
        receiving.parse_callback(request_for(double.outbox.envelope(event, T0)))
    assert "clock" in caught.value.message
    redelivered = receiving.parse_callback(request_for(double.outbox.envelope(event, clock.now)))
    assert redelivered.events[0].event_id == event["eventId"]


def test_a_push_for_another_app_is_refused(make_adapter: AdapterFactory, clock: Clock) -> None:
    other_app = YonyouDouble()
    message = json.dumps({"type": CHECK_URL, "eventId": "e1", "tenantId": TENANT_ID}).encode()
    encrypt = encrypt_message(message, app_key="another-app", app_secret=APP_SECRET)
    timestamp = str(int(T0.timestamp() * 1000))
    envelope = {
        "msgSignature": push_signature(APP_SECRET, timestamp, "n0nce", encrypt),
        "timestamp": int(timestamp),
        "nonce": "n0nce",
        "encrypt": encrypt,
    }
    with pytest.raises(errors.VendorAuthFailed) as caught:
        make_adapter(clock=clock).parse_callback(request_for(envelope))
    assert "app_key" in caught.value.message
    assert other_app.outbox.url is None


def test_a_push_for_another_tenant_is_refused(make_adapter: AdapterFactory, clock: Clock) -> None:
    outbox = PushOutbox(app_key=APP_KEY, app_secret=APP_SECRET, tenant_id="othertenant")
    envelope = outbox.envelope(outbox.event(CHECK_URL, T0), T0)
    with pytest.raises(errors.VendorAuthFailed):
        make_adapter(clock=clock).parse_callback(request_for(envelope))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b'{"msgSignature":"x","timestamp":1,"nonce":"n"}', "encrypt"),
        (b'{"msgSignature":"x","timestamp":[1],"nonce":"n","encrypt":"e"}', "timestamp"),
    ],
)
def test_a_malformed_push_is_a_protocol_error_naming_the_field(
    receiving: YonyouAdapter, body: bytes, field: str
) -> None:
    with pytest.raises(errors.VendorProtocolError) as caught:
        receiving.parse_callback(CallbackRequest(body=body))
    assert caught.value.field == field


def test_the_recorded_event_decrypts_with_the_official_scheme() -> None:
    event = load("push__status_change_event.json")
    message = json.dumps(event, ensure_ascii=False).encode()
    encrypt = encrypt_message(message, app_key=APP_KEY, app_secret=APP_SECRET)
    crypto = PushCrypto(app_key=APP_KEY, app_secret=APP_SECRET)
    assert json.loads(crypto.decrypt(encrypt)) == event
    # msgSignature = sha1 of the four values sorted and joined, lowercase hex (official README)
    parts = sorted([APP_SECRET, "1780000000000", "uM48M4qajlEtVCz4", encrypt])
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()  # noqa: S324 - vendor scheme
    assert push_signature(APP_SECRET, "1780000000000", "uM48M4qajlEtVCz4", encrypt) == expected
    assert crypto.signature_ok(
        timestamp="1780000000000", nonce="uM48M4qajlEtVCz4", encrypt=encrypt, signature=expected
    )


def test_an_app_secret_without_an_aes_key_is_a_configuration_error() -> None:
    with pytest.raises(errors.ConfigurationError):
        PushCrypto(app_key=APP_KEY, app_secret="短")
