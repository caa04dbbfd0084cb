"""``POST /v1/callbacks/{account}``: vendor pushes verified by the adapter, events audited.

The accounts are the real DingTalk and Yonyou adapters wired to their vendor doubles
(in-process transports), whose ``signed_callback`` builds a push exactly as the vendor signs
it; the sandbox account takes no pushes at all.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from interlock import Interlock, get_plugin_manager
from interlock.adapter import AccountContext, InterviewAdapter
from interlock.doubles import make_double, wire_adapter
from interlock.events import CallbackRequest, CallbackResult
from interlock.models import SessionState, Verb
from interlock_gateway.app import create_app
from interlock_gateway.store.tables import AuditRecord
from interlock_sandbox.adapter import SandboxAdapter

from .harness import gateway_settings

ACCOUNTS = {"dingtalk": "dingtalk-hq", "yonyou": "yonyou-group"}


@dataclass
class Push:
    """A gateway whose push-capable accounts record what their adapters answered."""

    client: httpx.AsyncClient
    interlock: Interlock
    replies: list[CallbackResult]
    app: Any
    doubles: dict[str, Any]

    def double(self, vendor: str) -> Any:
        return self.doubles[vendor]

    async def audit(self) -> list[AuditRecord]:
        async with self.app.state.runtime.db.session() as session:
            return list(await session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))

    async def send(self, account: str, pushed: CallbackRequest) -> httpx.Response:
        return await self.client.post(
            f"/v1/callbacks/{account}",
            params=dict(pushed.query),
            headers=dict(pushed.headers),
            content=pushed.body,
        )


def _spy(adapter: InterviewAdapter, replies: list[CallbackResult]) -> None:
    parse: Callable[[CallbackRequest], CallbackResult] = adapter.parse_callback

    def recording(request: CallbackRequest) -> CallbackResult:
        result = parse(request)
        replies.append(result)
        return result

    adapter.parse_callback = recording  # type: ignore[method-assign]


@pytest.fixture
async def push(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Push]:
    plugins = get_plugin_manager()
    replies: list[CallbackResult] = []
    adapters: dict[str, InterviewAdapter] = {"demo": SandboxAdapter(AccountContext(account="demo"))}
    doubles = {}
    for vendor, account in ACCOUNTS.items():
        spec = plugins.adapter(vendor)
        doubles[vendor] = make_double(spec)
        adapters[account] = wire_adapter(spec, doubles[vendor], account=account)
        _spy(adapters[account], replies)
    interlock = Interlock(adapters, plugins=plugins)
    app = create_app(gateway_settings(sqlite_url, str(tmp_path)), interlock=interlock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield Push(client, interlock, replies, app, doubles)
    await interlock.aclose()


@pytest.mark.parametrize("vendor", sorted(ACCOUNTS))
async def test_a_verified_push_is_audited_and_answered_exactly(push: Push, vendor: str) -> None:
    double = push.double(vendor)
    session_id = double.put_session(SessionState.IN_PROGRESS)
    double.world.apply(session_id, Verb.PAUSE)

    response = await push.send(ACCOUNTS[vendor], double.signed_callback(session_id))

    assert response.status_code == 200, response.text
    (result,) = push.replies
    assert response.content == result.reply.body
    assert response.status_code == result.reply.status_code
    assert response.headers["content-type"] == result.reply.content_type
    (record,) = [r for r in await push.audit() if r.action == "callback"]
    body = json.loads(record.record)
    assert (record.account, record.session_id, record.outcome) == (
        ACCOUNTS[vendor],
        session_id,
        "received",
    )
    assert body["state_after"] == "paused"
    assert body["actor"] == {"principal": f"vendor:{vendor}", "role": "vendor", "key_id": None,
                             "ip": "127.0.0.1"}  # fmt: skip
    assert body["details"]["rule"] == "vendor-signature"
    assert body["details"]["event_id"] == result.events[0].event_id


async def test_dingtalk_gets_its_encrypted_success(push: Push) -> None:
    double = push.double("dingtalk")
    session_id = double.put_session(SessionState.IN_PROGRESS)
    response = await push.send("dingtalk-hq", double.signed_callback(session_id))
    owner_key = push.interlock.accounts["dingtalk-hq"].options.owner_key  # type: ignore[attr-defined]
    assert double.pushes.read_reply(response.content, owner_key=owner_key) == "success"


@pytest.mark.parametrize("vendor", sorted(ACCOUNTS))
async def test_a_forged_push_is_refused_and_not_audited(push: Push, vendor: str) -> None:
    double = push.double(vendor)
    session_id = double.put_session(SessionState.IN_PROGRESS)
    before = len(await push.audit())

    forged = double.signed_callback(session_id, secret="not-the-vendors-secret")
    response = await push.send(ACCOUNTS[vendor], forged)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VENDOR.AUTH_FAILED"
    assert "www-authenticate" not in response.headers  # not an API-key challenge
    assert len(await push.audit()) == before
    metrics = (await push.client.get("/metrics")).text
    assert f'interlock_callbacks_total{{account="{ACCOUNTS[vendor]}",outcome="refused"}} 1.0' in (
        metrics
    )


async def test_garbage_is_refused_like_a_forgery(push: Push) -> None:
    response = await push.client.post("/v1/callbacks/dingtalk-hq", content=b"\x00not json")
    assert response.status_code in (400, 401)
    assert response.headers["content-type"] == "application/problem+json"


async def _answer(response: httpx.Response) -> tuple[int, dict[str, Any]]:
    body = response.json()
    body.pop("request_id", None)
    body.pop("instance", None)
    return response.status_code, body


@pytest.mark.parametrize(
    "account",
    ["demo", "nobody", "Not_An-Account!", "x" * 300],
    ids=["takes-no-pushes", "unknown", "not-an-account-name", "too-long"],
)
async def test_unverifiable_pushes_get_the_answer_a_forgery_gets(push: Push, account: str) -> None:
    """Until a signature is checked the caller is anonymous: whether an account exists, or
    takes pushes, is not told (the same status and body as a forged push to a real one)."""
    double = push.double("yonyou")
    session_id = double.put_session(SessionState.SCHEDULED)
    forged = await push.send("yonyou-group", double.signed_callback(session_id, secret="nope"))
    probed = await push.client.post(f"/v1/callbacks/{account}", json={"event": "x"})
    assert await _answer(probed) == await _answer(forged)
    assert (await _answer(probed))[0] == 401
    assert "yonyou" not in probed.text
    assert "dingtalk" not in probed.text


async def test_no_api_key_is_needed_and_one_is_ignored(push: Push) -> None:
    double = push.double("yonyou")
    session_id = double.put_session(SessionState.SCHEDULED)
    pushed = double.signed_callback(session_id)
    pushed = pushed.model_copy(update={"headers": {"authorization": "Bearer ilk_nonsense"}})
    response = await push.send("yonyou-group", pushed)
    assert response.status_code == 200
    assert response.text == "success"


async def test_the_route_is_documented_as_unauthenticated(push: Push) -> None:
    operation = push.app.openapi()["paths"]["/v1/callbacks/{account}"]["post"]
    assert operation["security"] == []
    assert "application/problem+json" in operation["responses"]["401"]["content"]
