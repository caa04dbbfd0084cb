"""Standard Webhooks signing and verification, against the specification's test vector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from interlock.webhooks import WebhookRejected, sign, signed_headers, verify

# The specification's published vector (standard-webhooks, spec/standard-webhooks.md).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = '{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
AT = datetime.fromtimestamp(TIMESTAMP, UTC)


def test_the_specification_vector_signs_as_published() -> None:
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == SIGNATURE
    assert signed_headers(SECRET, MSG_ID, TIMESTAMP, BODY.encode()) == {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": SIGNATURE,
    }


def test_the_specification_vector_verifies() -> None:
    headers = {
        "Webhook-Id": MSG_ID,
        "Webhook-Timestamp": str(TIMESTAMP),
        "Webhook-Signature": SIGNATURE,
    }
    verify(SECRET, headers, BODY.encode(), now=AT + timedelta(seconds=30))
    # several signatures while a secret rotates: any one may match
    rotated = {**headers, "Webhook-Signature": f"v1,bm90LWl0 {SIGNATURE}"}
    verify(SECRET, rotated, BODY, now=AT)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": '{"test": 2432232315}'}, "no webhook-signature matches"),
        ({"msg_id": "msg_other"}, "no webhook-signature matches"),
        ({"secret": "whsec_" + "QUJD" * 8}, "no webhook-signature matches"),
        ({"now": AT + timedelta(minutes=6)}, "outside the tolerance"),
        ({"now": AT - timedelta(minutes=6)}, "outside the tolerance"),
        ({"drop": "webhook-signature"}, "are all required"),
        ({"timestamp": "yesterday"}, "not an integer"),
    ],
)
def test_tampering_is_rejected(change: dict[str, object], message: str) -> None:
    headers = {
        "webhook-id": str(change.get("msg_id", MSG_ID)),
        "webhook-timestamp": str(change.get("timestamp", TIMESTAMP)),
        "webhook-signature": SIGNATURE,
    }
    if "drop" in change:
        del headers[str(change["drop"])]
    body = str(change.get("body", BODY))
    secret = str(change.get("secret", SECRET))
    now = change.get("now", AT)
    assert isinstance(now, datetime)
    with pytest.raises(WebhookRejected, match=message) as caught:
        verify(secret, headers, body, now=now)
    assert SIGNATURE not in str(caught.value)
    assert caught.value.code == "INTERLOCK.WEBHOOK_REJECTED"
