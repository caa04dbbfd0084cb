"""The channel plug-ins against real receivers: a webhook endpoint that verifies with the SDK's
helper, an SMTP server process; misconfigured channels are refused at start-up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.loopback import free_port
from harness.smtp_sink import SmtpSink
from interlock import Interlock
from interlock.errors import ConfigurationError
from interlock.plugins import ChannelContext, ChannelMessage
from interlock.webhooks import WebhookRejected, verify
from interlock_gateway.settings import NotificationSettings
from interlock_gateway.worker.notifier import build_channels
from interlock_notify_channels.smtp import EmailChannel, EmailOptions
from interlock_notify_channels.webhook import WebhookChannel, WebhookDelivery, WebhookOptions

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _message(**overrides: Any) -> ChannelMessage:
    values: dict[str, Any] = {
        "id": "n-1",
        "event": "operation.finished",
        "audience": "hr",
        "recipient": "ops",
        "language": "zh-CN",
        "subject": "Interlock：会话 s-1 的 pause 操作已succeeded",
        "body": "正文",
        "data": {"operation_id": "op-1", "session_id": "s-1"},
    }
    return ChannelMessage(**(values | overrides))


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012 - one test's state
    answer = 204

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).received.append((dict(self.headers.items()), body))
        self.send_response(type(self).answer)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"received": [], "answer": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


async def test_webhook_is_signed_and_verifies(receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    options = WebhookOptions(url=url, secret=SECRET)  # type: ignore[arg-type]
    channel = WebhookChannel(ChannelContext(name="ops", options=options))
    try:
        assert await channel.send(_message()) == "n-1"
        assert await channel.send(_message()) == "n-1"  # a retry keeps its webhook-id
    finally:
        await channel.aclose()

    (headers, body), (again, _) = handler.received
    verify(SECRET, headers, body, now=datetime.now(UTC))
    assert headers["webhook-id"] == again["webhook-id"] == "n-1"
    envelope = json.loads(body)
    assert envelope["type"] == "operation.finished"
    assert envelope["data"]["session_id"] == "s-1"
    assert envelope["data"]["subject"].startswith("Interlock：")
    with pytest.raises(WebhookRejected):
        verify(SECRET, headers, body.replace(b"s-1", b"s-2"), now=datetime.now(UTC))


async def test_webhook_refusal_is_a_failed_attempt(receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    handler.answer = 503
    options = WebhookOptions(url=url, secret=SECRET)  # type: ignore[arg-type]
    channel = WebhookChannel(ChannelContext(name="ops", options=options))
    try:
        with pytest.raises(WebhookDelivery, match="HTTP 503"):
            await channel.send(_message())
    finally:
        await channel.aclose()


async def test_email_reaches_a_real_smtp_server(tmp_path: Path) -> None:
    sink = SmtpSink(free_port(), tmp_path / "mail").start()
    try:
        options = EmailOptions(host="127.0.0.1", port=sink.port, sender="il@example.com")
        channel = EmailChannel(ChannelContext(name="mail", options=options))
        await channel.send(_message(recipient="hr@example.com"))
    finally:
        sink.stop()
    (mail,) = sink.messages()
    assert mail["to"] == ["hr@example.com"]
    assert mail["message_id"] == "<n-1@interlock>"
    assert mail["subject"] == "Interlock：会话 s-1 的 pause 操作已succeeded"
    assert mail["body"].strip() == "正文"


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ({"x": {"type": "pigeon"}}, "not a known channel type"),
        ({"x": {"host": "h"}}, "not a known channel type"),
        ({"x": {"type": "email", "host": "h"}}, "sender"),
        ({"x": {"type": "webhook", "url": "ftp://x", "secret": SECRET}}, "url"),
        ({"x": {"type": "dingtalk", "account": "nowhere", "agent_id": 1}}, "not a configured"),
    ],
)
def test_misconfigured_channels_are_refused(channels: dict[str, Any], message: str) -> None:
    settings = NotificationSettings(channels=channels)
    with pytest.raises(ConfigurationError, match=message):
        build_channels(settings, Interlock({}))
