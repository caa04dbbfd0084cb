"""``parse_callback``: verified DingTalk pushes become neutral events; forged, replayed, stale
or foreign pushes are refused; the reply is DingTalk's encrypted ``success``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from dingtalk_support import AdapterFactory, FakeClock, load_fixture

from interlock import errors
from interlock.events import CallbackRequest
from interlock.models import SessionState, Verb
from interlock_dingtalk._crypto import CallbackCipher, sign
from interlock_dingtalk.adapter import DingTalkAdapter
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.double._auth import CALLBACK_AES_KEY, CALLBACK_TOKEN, SUITE_KEY
from interlock_dingtalk.double._push import PushSender

VECTOR = load_fixture("callback__check_url_vector")
URL = "https://gateway.example/v1/callbacks/dingtalk-hq"
CHANGE = "ats_ai_interview_session_change"


def received(request: httpx.Request) -> CallbackRequest:
    """What the gateway hands the adapter for an HTTP push."""
    return CallbackRequest(
        method=request.method,
        query=dict(request.url.params),
        headers=dict(request.headers),
        body=request.content,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def adapter(make_adapter: AdapterFactory, clock: FakeClock) -> DingTalkAdapter:
    return make_adapter(clock=clock)


def test_the_published_check_url_vector_is_accepted_and_answered(
    make_adapter: AdapterFactory,
) -> None:
    sent_at = datetime.fromtimestamp(int(VECTOR["query"]["timestamp"]) / 1000, UTC)
    adapter = make_adapter(
        app_key=VECTOR["ownerKey"],
        callback_token=VECTOR["token"],
        callback_aes_key=VECTOR["encodingAesKey"],
        clock=FakeClock(sent_at),
    )
    request = CallbackRequest(query=VECTOR["query"], body=json.dumps(VECTOR["body"]).encode())
    result = adapter.parse_callback(request)
    assert [e.kind for e in result.events] == ["url_verification"]
    reply = json.loads(result.reply.body)
    assert set(reply) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert result.reply.status_code == 200
    sender = PushSender(VECTOR["token"], VECTOR["encodingAesKey"], FakeClock(sent_at))
    assert sender.read_reply(result.reply.body, owner_key=VECTOR["ownerKey"]) == "success"


def test_the_doubles_check_url_push_is_accepted(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    result = adapter.parse_callback(received(double.push_check_url(URL)))
    assert [e.kind for e in result.events] == ["url_verification"]
    assert double.pushes.read_reply(result.reply.body, owner_key=adapter.options.owner_key) == (
        "success"
    )


def test_a_session_change_becomes_a_neutral_event(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    session_id = double.put_session(SessionState.IN_PROGRESS)
    double.world.apply(session_id, Verb.PAUSE)
    push = double.push_session_change(session_id, URL)
    assert set(push.url.params) == {"msg_signature", "timestamp", "nonce"}
    assert set(json.loads(push.content)) == {"encrypt"}
    (event,) = adapter.parse_callback(received(push)).events
    assert event.kind == "state_changed"
    assert event.ref is not None
    assert event.ref.name == f"accounts/dingtalk-hq/sessions/{session_id}"
    assert event.state is SessionState.PAUSED
    assert event.occurred_at is not None
    assert abs((event.occurred_at - double.world.get(session_id).updated_at).total_seconds()) < 1
    assert event.event_id.startswith("evt-")


def test_an_isv_account_accepts_pushes_for_its_suite_key(
    make_adapter: AdapterFactory, double: DingTalkDouble
) -> None:
    adapter = make_adapter(isv=True)
    push = double.push_check_url(URL, owner_key=SUITE_KEY)
    assert adapter.parse_callback(received(push)).events[0].kind == "url_verification"
    with pytest.raises(errors.VendorAuthFailed, match="another application"):
        adapter.parse_callback(received(double.push_check_url(URL)))  # the appKey's push


def test_a_push_for_another_app_is_refused(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    with pytest.raises(errors.VendorAuthFailed, match="another application"):
        adapter.parse_callback(received(double.push_check_url(URL, owner_key="dingOtherApp")))


def test_a_bad_signature_is_refused(adapter: DingTalkAdapter, double: DingTalkDouble) -> None:
    push = received(double.push_check_url(URL))
    forged = push.model_copy(update={"query": {**push.query, "msg_signature": "0" * 40}})
    with pytest.raises(errors.VendorAuthFailed, match="signature"):
        adapter.parse_callback(forged)


def test_a_tampered_ciphertext_is_refused(adapter: DingTalkAdapter, double: DingTalkDouble) -> None:
    push = received(double.push_check_url(URL))
    other = CallbackCipher(CALLBACK_AES_KEY).encrypt('{"EventType":"check_url"}', "x")
    tampered = push.model_copy(update={"body": json.dumps({"encrypt": other}).encode()})
    with pytest.raises(errors.VendorAuthFailed, match="signature"):
        adapter.parse_callback(tampered)


def test_a_push_signed_with_another_token_is_refused(
    adapter: DingTalkAdapter, clock: FakeClock
) -> None:
    sender = PushSender("not-our-token", CALLBACK_AES_KEY, clock)
    request = sender.request(URL, {"EventType": "check_url"}, owner_key=adapter.options.owner_key)
    with pytest.raises(errors.VendorAuthFailed, match="signature"):
        adapter.parse_callback(received(request))


def test_a_replayed_push_is_refused(adapter: DingTalkAdapter, double: DingTalkDouble) -> None:
    push = received(double.push_check_url(URL))
    adapter.parse_callback(push)
    with pytest.raises(errors.VendorAuthFailed, match="already received"):
        adapter.parse_callback(push)


@pytest.mark.parametrize("offset_s", [301, -301], ids=["stale", "future"])
def test_a_push_outside_the_time_window_is_refused(
    adapter: DingTalkAdapter, double: DingTalkDouble, clock: FakeClock, offset_s: float
) -> None:
    push = received(double.push_check_url(URL))
    clock.advance(offset_s)
    with pytest.raises(errors.VendorAuthFailed, match="stale or in the future"):
        adapter.parse_callback(push)


def test_the_replay_memory_forgets_pushes_that_are_stale_anyway(
    adapter: DingTalkAdapter, clock: FakeClock
) -> None:
    sender = PushSender(CALLBACK_TOKEN, CALLBACK_AES_KEY, clock)
    for _ in range(3):
        push = sender.request(URL, {"EventType": "check_url"}, owner_key=adapter.options.owner_key)
        adapter.parse_callback(received(push))
        clock.advance(200)
    seen = adapter._push._seen  # type: ignore[union-attr]
    assert len(seen) <= 2


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"timestamp": "1", "nonce": "n"},
        {"msg_signature": "s", "nonce": "n"},
        {"msg_signature": "s", "timestamp": "1"},
    ],
    ids=["nothing", "no-signature", "no-timestamp", "no-nonce"],
)
def test_an_unsigned_push_is_refused(adapter: DingTalkAdapter, query: dict[str, str]) -> None:
    with pytest.raises(errors.VendorAuthFailed, match="unsigned"):
        adapter.parse_callback(CallbackRequest(query=query, body=b'{"encrypt":"abc"}'))


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"other":1}'])
def test_a_body_without_encrypt_is_refused(
    adapter: DingTalkAdapter, double: DingTalkDouble, body: bytes
) -> None:
    push = received(double.push_check_url(URL))
    with pytest.raises(errors.VendorAuthFailed, match="encrypt"):
        adapter.parse_callback(push.model_copy(update={"body": body}))


def test_older_parameter_names_are_accepted(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    push = received(double.push_check_url(URL))
    query = {
        "signature": push.query["msg_signature"],
        "timeStamp": push.query["timestamp"],
        "nonce": push.query["nonce"],
    }
    result = adapter.parse_callback(push.model_copy(update={"query": query}))
    assert result.events[0].kind == "url_verification"


def signed(adapter: DingTalkAdapter, clock: FakeClock, message: str) -> CallbackRequest:
    """A correctly signed push carrying any plaintext (for malformed-content cases)."""
    timestamp = str(int(clock().timestamp() * 1000))
    encrypt = CallbackCipher(CALLBACK_AES_KEY).encrypt(message, adapter.options.owner_key)
    query = {
        "msg_signature": sign(CALLBACK_TOKEN, timestamp, "n0nce", encrypt),
        "timestamp": timestamp,
        "nonce": "n0nce",
    }
    return CallbackRequest(query=query, body=json.dumps({"encrypt": encrypt}).encode())


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"EventType": CHANGE, "status": "PAUSED"}, "sessionId"),
        ({"EventType": CHANGE, "sessionId": "1"}, "status"),
        ({"EventType": CHANGE, "sessionId": "a/b", "status": "X"}, "sessionId"),
        ({"eventId": "no type"}, "EventType"),
    ],
    ids=["no-session", "no-status", "bad-session-id", "no-type"],
)  # fmt: skip
def test_a_verified_but_malformed_event_is_a_protocol_error_naming_the_field(
    adapter: DingTalkAdapter, clock: FakeClock, event: dict[str, str], field: str
) -> None:
    with pytest.raises(errors.VendorProtocolError) as caught:
        adapter.parse_callback(signed(adapter, clock, json.dumps(event)))
    assert caught.value.field == field


def test_an_unknown_event_type_is_acknowledged_without_events(
    adapter: DingTalkAdapter, clock: FakeClock
) -> None:
    result = adapter.parse_callback(signed(adapter, clock, '{"EventType":"user_add_org"}'))
    assert result.events == ()
    assert json.loads(result.reply.body)["encrypt"]


def test_an_unknown_vendor_status_in_a_push_is_unknown(
    adapter: DingTalkAdapter, clock: FakeClock
) -> None:
    event = {"EventType": CHANGE, "sessionId": "1", "status": "ARCHIVED"}
    (parsed,) = adapter.parse_callback(signed(adapter, clock, json.dumps(event))).events
    assert parsed.state is SessionState.UNKNOWN


def test_a_signed_push_that_does_not_decrypt_is_a_protocol_error(
    make_adapter: AdapterFactory, double: DingTalkDouble
) -> None:
    wrong_key = make_adapter(callback_aes_key="INkIWpf6XNveEFzuldhEqyN6dx7j06BhxeZuJu9DFpA")
    with pytest.raises(errors.VendorProtocolError) as caught:
        wrong_key.parse_callback(received(double.push_check_url(URL)))
    assert caught.value.field == "encrypt"


def test_without_push_options_callbacks_are_unsupported(
    make_adapter: AdapterFactory, double: DingTalkDouble
) -> None:
    adapter = make_adapter(callback_token=None, callback_aes_key=None)
    with pytest.raises(errors.UnsupportedOperation):
        adapter.parse_callback(received(double.push_check_url(URL)))


def test_refusals_never_contain_the_push_secrets(
    adapter: DingTalkAdapter, double: DingTalkDouble
) -> None:
    push = received(double.push_check_url(URL))
    forged = push.model_copy(update={"query": {**push.query, "msg_signature": "0" * 40}})
    with pytest.raises(errors.VendorAuthFailed) as caught:
        adapter.parse_callback(forged)
    text = f"{caught.value} {caught.value!r} {caught.value.to_dict()} {adapter._push!r}"
    assert CALLBACK_TOKEN not in text
    assert CALLBACK_AES_KEY not in text
