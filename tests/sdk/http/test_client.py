"""VendorClient through a real ``httpx.AsyncClient`` with respx in front of the network.

Every vendor answer here comes from a respx route, so route call counts are the number of
requests that actually left the client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel

from interlock.errors import (
    InterlockError,
    VendorAuthFailed,
    VendorPermissionDenied,
    VendorProtocolError,
    VendorRateLimited,
    VendorTimeout,
    VendorTokenExpired,
    VendorUnavailable,
)
from interlock.http import RetryBudget, RetryPolicy, Token, TokenCache, VendorClient, VendorReply

BASE = "https://vendor.test"
APP_SECRET = "app-secret-5f1e2d9c"
ITEMS = "/items"
PAUSE = "/sessions/s1/pause"
TOKEN_EXPIRED = 40014
NO_PERMISSION = 60011


class Item(BaseModel):
    id: str
    state: str


def interpret(response: httpx.Response) -> Any:
    """A small vendor convention: errors in the status line *and* in HTTP 200 bodies."""
    if response.status_code >= 500:
        raise VendorUnavailable(f"HTTP {response.status_code}")
    if response.status_code == 429:
        raise VendorRateLimited("throttled", retry_after=float(response.headers["Retry-After"]))
    body = response.json()
    if body["errcode"] == TOKEN_EXPIRED:
        raise VendorTokenExpired("access token expired")
    if body["errcode"] == NO_PERMISSION:
        raise VendorPermissionDenied(body["errmsg"], required_scopes=("interview.write",))
    return body["data"]


def read_item(response: httpx.Response) -> Item:
    body = response.json()
    if body.get("item", {}) is None:  # an AttributeError on a list body
        raise ValueError("item is null")
    return Item.model_validate(body["item"])


def ok(data: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json={"errcode": 0, "data": data}, headers=headers)


def bearer(request: httpx.Request, token: str) -> None:
    request.headers["Authorization"] = f"Bearer {token}"


class TokenVendor:
    """Just enough of a vendor: issues numbered tokens and accepts only the newest one."""

    def __init__(self, lifetime_s: float = 7200.0) -> None:
        self.lifetime_s = lifetime_s
        self.issued = 0
        self.reject_next = 0  # the next N business calls get the expired-token signal

    async def issue_token(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # a slow token endpoint: concurrent callers pile up behind it
        self.issued += 1
        return ok({"access_token": f"tok-{self.issued}", "expires_in": self.lifetime_s})

    def list_items(self, request: httpx.Request) -> httpx.Response:
        if self.reject_next or request.headers["Authorization"] != f"Bearer tok-{self.issued}":
            self.reject_next = max(0, self.reject_next - 1)
            return httpx.Response(200, json={"errcode": TOKEN_EXPIRED, "errmsg": "expired"})
        return ok({"token": request.headers["Authorization"]})


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_mocked=True, assert_all_called=True) as mock:
        yield mock


@pytest.fixture
async def make_client(sleep: Any) -> AsyncIterator[Callable[..., VendorClient]]:
    clients: list[VendorClient] = []

    def make(**overrides: Any) -> VendorClient:
        options: dict[str, Any] = {
            "account": "acme",
            "base_url": BASE,
            "interpret": interpret,
            "retry": RetryPolicy(sleep=sleep, rng=random.Random(7)),
            "request_id_header": "x-request-id",
            "timeout_s": 3.0,
        }
        options.update(overrides)
        client = VendorClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def vendor() -> TokenVendor:
    return TokenVendor()


@pytest.fixture
def token_route(router: respx.MockRouter, vendor: TokenVendor) -> respx.Route:
    return router.post("/gettoken").mock(side_effect=vendor.issue_token)


@pytest.fixture
def authed_client(
    make_client: Callable[..., VendorClient], clock: Any, token_route: respx.Route
) -> VendorClient:
    """A client whose token fetch is itself an (unauthenticated) call through the client."""
    client: VendorClient

    async def fetch() -> Token:
        reply = await client.request(
            "POST", "/gettoken", api="auth.token", authenticated=False, mutating=False
        )
        return Token.expiring_in(reply.data["access_token"], reply.data["expires_in"], clock=clock)

    client = make_client(tokens=TokenCache(fetch, clock=clock), apply_token=bearer)
    return client


# -- tokens ---------------------------------------------------------------------------------


async def test_fifty_concurrent_calls_after_expiry_make_one_token_request(
    router: respx.MockRouter,
    authed_client: VendorClient,
    vendor: TokenVendor,
    token_route: respx.Route,
    clock: Any,
) -> None:
    items = router.get(ITEMS).mock(side_effect=vendor.list_items)
    await authed_client.request("GET", ITEMS, api="items.list")
    assert token_route.call_count == 1

    clock.advance(vendor.lifetime_s)  # the cached token is now past its expiry
    replies = await asyncio.gather(
        *(authed_client.request("GET", ITEMS, api="items.list") for _ in range(50))
    )

    assert token_route.call_count == 2  # the first token, then exactly one refresh
    assert items.call_count == 51  # no call was rejected and replayed
    assert {reply.data["token"] for reply in replies} == {"Bearer tok-2"}


async def test_expired_token_signal_refreshes_once_and_replays(
    router: respx.MockRouter,
    authed_client: VendorClient,
    vendor: TokenVendor,
    token_route: respx.Route,
) -> None:
    items = router.get(ITEMS).mock(side_effect=vendor.list_items)
    vendor.reject_next = 1

    reply = await authed_client.request("GET", ITEMS, api="items.list")

    assert reply.data == {"token": "Bearer tok-2"}
    assert token_route.call_count == 2
    assert items.call_count == 2
    assert [c.request.headers["Authorization"] for c in items.calls] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


@pytest.mark.parametrize("rejections", [2, 50], ids=["twice", "always"])
async def test_second_consecutive_expiry_is_auth_failure_not_a_loop(
    router: respx.MockRouter,
    authed_client: VendorClient,
    vendor: TokenVendor,
    token_route: respx.Route,
    sleep: Any,
    rejections: int,
) -> None:
    items = router.get(ITEMS).mock(side_effect=vendor.list_items)
    vendor.reject_next = rejections

    with pytest.raises(VendorAuthFailed) as caught:
        await authed_client.request("GET", ITEMS, api="items.list")

    assert caught.value.code == "VENDOR.AUTH_FAILED"
    assert not caught.value.retryable
    assert token_route.call_count == 2
    assert items.call_count == 2
    assert sleep.waits == []


async def test_expired_token_signal_on_unauthenticated_call_is_auth_failure(
    router: respx.MockRouter, make_client: Callable[..., VendorClient]
) -> None:
    router.get(ITEMS).respond(json={"errcode": TOKEN_EXPIRED, "errmsg": "expired"})

    with pytest.raises(VendorAuthFailed) as caught:
        await make_client().request("GET", ITEMS, api="items.list")

    assert type(caught.value) is VendorAuthFailed


def test_tokens_and_apply_token_go_together() -> None:
    async def fetch() -> Token:
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="go together"):
        VendorClient(account="acme", base_url=BASE, interpret=interpret, tokens=TokenCache(fetch))


# -- retries --------------------------------------------------------------------------------


async def test_server_errors_stop_after_three_attempts(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], sleep: Any
) -> None:
    route = router.get(ITEMS).respond(503)

    with pytest.raises(VendorUnavailable):
        await make_client().request("GET", ITEMS, api="items.list")

    assert route.call_count == 3
    assert len(sleep.waits) == 2


async def test_server_error_then_success_returns_the_success(
    router: respx.MockRouter, make_client: Callable[..., VendorClient]
) -> None:
    route = router.get(ITEMS).mock(
        side_effect=[httpx.Response(502), ok([1], **{"x-request-id": "r-2"})]
    )

    reply = await make_client().request("GET", ITEMS, api="items.list")

    assert reply == VendorReply(data=[1], request_id="r-2", status_code=200)
    assert route.call_count == 2


async def test_non_retryable_error_is_tried_once(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], sleep: Any
) -> None:
    route = router.post(PAUSE).respond(json={"errcode": NO_PERMISSION, "errmsg": "no grant"})

    with pytest.raises(VendorPermissionDenied) as caught:
        await make_client().request("POST", PAUSE, api="sessions.pause")

    assert caught.value.required_scopes == ("interview.write",)
    assert route.call_count == 1
    assert sleep.waits == []


async def test_retry_after_is_honoured(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], sleep: Any
) -> None:
    route = router.get(ITEMS).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), ok("fine")]
    )

    reply = await make_client().request("GET", ITEMS, api="items.list")

    assert reply.data == "fine"
    assert route.call_count == 2
    [wait] = sleep.waits
    assert 7.0 <= wait <= 7.25  # the vendor's number plus at most a little spreading jitter


async def test_retry_after_beyond_the_maximum_is_not_retried(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], sleep: Any
) -> None:
    route = router.get(ITEMS).respond(429, headers={"Retry-After": "120"})
    client = make_client(retry=RetryPolicy(max_retry_after_s=30.0, sleep=sleep))

    with pytest.raises(VendorRateLimited) as caught:
        await client.request("GET", ITEMS, api="items.list")

    assert caught.value.retry_after == 120.0
    assert route.call_count == 1
    assert sleep.waits == []


async def test_retry_budget_stops_a_retry_storm(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], sleep: Any
) -> None:
    route = router.get(ITEMS).respond(503)
    budget = RetryBudget(ratio=0.1, min_retries=2, window_s=60.0, clock=lambda: 0.0)
    client = make_client(retry=RetryPolicy(budget=budget, sleep=sleep))

    for _ in range(100):
        with pytest.raises(VendorUnavailable):
            await client.request("GET", ITEMS, api="items.list")

    # The budget allows min_retries + ratio * first attempts = 2 + 0.1 * 100 = 12 retries,
    # all of them spent (a retry that never happens must not use the budget up).
    assert route.call_count == 100 + 12
    assert len(sleep.waits) == 12


# -- ambiguous mutations ----------------------------------------------------------------------


class ReadBackProbe:
    """A read-back callable that counts its calls and answers (or fails) as told."""

    def __init__(self, answer: Any = None, error: InterlockError | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls = 0

    async def __call__(self) -> Any:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.answer


AFTER_SEND = [
    pytest.param(httpx.ReadTimeout("read timed out"), id="read-timeout"),
    pytest.param(httpx.WriteTimeout("write timed out"), id="write-timeout"),
    pytest.param(httpx.RemoteProtocolError("connection reset"), id="connection-reset"),
    pytest.param(httpx.ReadError("connection broken"), id="read-error"),
]


@pytest.mark.parametrize("failure", AFTER_SEND)
async def test_timeout_after_send_reads_back_instead_of_resending(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], failure: Exception
) -> None:
    route = router.post(PAUSE).mock(side_effect=failure)
    read_back = ReadBackProbe(answer={"state": "paused"})

    reply = await make_client().request("POST", PAUSE, api="sessions.pause", read_back=read_back)

    assert reply.confirmed_by_read_back
    assert reply.data == {"state": "paused"}
    assert read_back.calls == 1
    assert route.call_count == 1


async def test_read_back_without_evidence_allows_the_resend(
    router: respx.MockRouter, make_client: Callable[..., VendorClient]
) -> None:
    route = router.post(PAUSE).mock(side_effect=[httpx.ReadTimeout("slow"), ok("paused")])
    read_back = ReadBackProbe(answer=None)

    reply = await make_client().request("POST", PAUSE, api="sessions.pause", read_back=read_back)

    assert reply.data == "paused"
    assert not reply.confirmed_by_read_back
    assert read_back.calls == 1
    assert route.call_count == 2


async def test_ambiguous_mutation_without_read_back_is_never_resent(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], sleep: Any
) -> None:
    route = router.post(PAUSE).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(VendorTimeout) as caught:
        await make_client().request("POST", PAUSE, api="sessions.pause")

    assert caught.value.ambiguous
    assert not caught.value.retryable  # so no caller up the stack resends it blind either
    assert caught.value.to_dict()["retryable"] is False
    assert route.call_count == 1
    assert sleep.waits == []


async def test_failed_read_back_leaves_the_outcome_unknown_and_is_not_resent(
    router: respx.MockRouter, make_client: Callable[..., VendorClient]
) -> None:
    route = router.post(PAUSE).mock(side_effect=httpx.ReadTimeout("slow"))
    read_back = ReadBackProbe(error=VendorUnavailable("read failed too"))

    with pytest.raises(VendorTimeout) as caught:
        await make_client().request("POST", PAUSE, api="sessions.pause", read_back=read_back)

    assert caught.value.ambiguous
    assert not caught.value.retryable
    assert "VENDOR.UNAVAILABLE" in str(caught.value)
    assert read_back.calls == 1
    assert route.call_count == 1


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.ConnectTimeout("connect timed out"), id="connect-timeout"),
        pytest.param(httpx.ConnectError("connection refused"), id="connect-error"),
        pytest.param(httpx.PoolTimeout("pool exhausted"), id="pool-timeout"),
    ],
)
async def test_failure_before_send_on_a_mutation_is_retried_normally(
    router: respx.MockRouter, make_client: Callable[..., VendorClient], failure: Exception
) -> None:
    route = router.post(PAUSE).mock(side_effect=[failure, ok("paused")])
    read_back = ReadBackProbe(answer={"state": "paused"})

    reply = await make_client().request("POST", PAUSE, api="sessions.pause", read_back=read_back)

    assert reply.data == "paused"
    assert not reply.confirmed_by_read_back
    assert read_back.calls == 0
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("method", "mutating"),
    [pytest.param("GET", None, id="get"), pytest.param("POST", False, id="post-read")],
)
async def test_timeout_after_send_on_a_read_is_retried(
    router: respx.MockRouter,
    make_client: Callable[..., VendorClient],
    method: str,
    mutating: bool | None,
) -> None:
    route = router.route(method=method, path=ITEMS).mock(
        side_effect=[httpx.ReadTimeout("slow"), ok("items")]
    )

    reply = await make_client().request(method, ITEMS, api="items.list", mutating=mutating)

    assert reply.data == "items"
    assert route.call_count == 2


async def test_timeouts_on_every_attempt_of_a_read_end_as_vendor_timeout(
    router: respx.MockRouter, make_client: Callable[..., VendorClient]
) -> None:
    route = router.get(ITEMS).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(VendorTimeout) as caught:
        await make_client().request("GET", ITEMS, api="items.list")

    assert caught.value.code == "VENDOR.UNAVAILABLE"
    assert route.call_count == 3


# -- timeouts, limits, protocol errors ---------------------------------------------------------


async def test_every_request_carries_a_timeout(
    router: respx.MockRouter,
    authed_client: VendorClient,
    vendor: TokenVendor,
) -> None:
    router.get(ITEMS).mock(side_effect=vendor.list_items)
    router.post(PAUSE).mock(side_effect=[httpx.Response(503), httpx.ReadTimeout("slow")])
    vendor.reject_next = 1

    await authed_client.request("GET", ITEMS, api="items.list")
    await authed_client.request(
        "POST", PAUSE, api="sessions.pause", read_back=ReadBackProbe(answer={"ok": True})
    )

    assert len(router.calls) == 6  # token x2, items x2, pause x2
    for call in router.calls:
        timeout = call.request.extensions.get("timeout")
        assert timeout, call.request
        assert set(timeout) == {"connect", "read", "write", "pool"}
        assert all(value == 3.0 for value in timeout.values()), timeout


class RecordingLimiter:
    def __init__(self) -> None:
        self.keys: list[tuple[str, int]] = []

    async def acquire(self, key: str, cost: int = 1) -> None:
        self.keys.append((key, cost))


async def test_every_send_goes_through_the_rate_limiter(
    router: respx.MockRouter, make_client: Callable[..., VendorClient]
) -> None:
    route = router.get(ITEMS).mock(side_effect=[httpx.Response(503), ok("items")])
    limiter = RecordingLimiter()

    await make_client(limiter=limiter).request("GET", ITEMS, api="items.list")

    assert route.call_count == 2
    assert limiter.keys == [("acme:items.list", 1)] * 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(b"<html>bad gateway</html>", None, id="not-json"),
        pytest.param(b'{"errcode": 0}', "item", id="missing-key"),
        pytest.param(b'{"item": {"id": "s1"}}', "state", id="missing-field"),
        pytest.param(b'{"item": {"id": 5, "state": "x"}}', "id", id="wrong-type"),
        pytest.param(b'{"item": ["s1"]}', None, id="wrong-shape"),
        pytest.param(b'[{"item": {}}]', None, id="list-not-object"),
        pytest.param(b'{"item": null}', None, id="null"),
    ],
)
async def test_malformed_body_is_a_protocol_error_naming_the_field(
    router: respx.MockRouter,
    make_client: Callable[..., VendorClient],
    body: bytes,
    field: str | None,
) -> None:
    route = router.get(ITEMS).respond(200, content=body, headers={"x-request-id": "req-7"})

    with pytest.raises(VendorProtocolError) as caught:
        await make_client().request("GET", ITEMS, api="items.get", interpret=read_item)

    error = caught.value
    assert error.code == "VENDOR.PROTOCOL_ERROR"
    assert error.field == field
    assert error.vendor_request_id == "req-7"
    assert error.account == "acme"
    assert "items.get" in str(error)
    if field is not None:
        assert repr(field) in str(error)
    assert route.call_count == 1  # a response we cannot read is not retried


# -- secrets ------------------------------------------------------------------------------------


async def test_no_secret_in_any_log_record_error_or_repr(
    router: respx.MockRouter,
    make_client: Callable[..., VendorClient],
    clock: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    access_token = "tok-7c1d0e55aa"
    router.get("/gettoken").respond(
        json={"errcode": 0, "data": {"access_token": access_token, "expires_in": 7200}}
    )
    router.get(ITEMS).respond(
        json={"errcode": NO_PERMISSION, "errmsg": f"app {APP_SECRET} may not list items"},
        headers={"x-request-id": "req-42"},
    )

    def leaky_interpret(response: httpx.Response) -> Any:
        body = response.json()
        if body["errcode"] == NO_PERMISSION:
            raise VendorPermissionDenied(
                body["errmsg"],
                hint=f"grant the API to {APP_SECRET}",
                vendor_code=f"{NO_PERMISSION}",
                vendor_message=body["errmsg"],
            )
        return interpret(response)

    def in_query(request: httpx.Request, token: str) -> None:
        request.url = request.url.copy_add_param("access_token", token)

    client: VendorClient

    async def fetch() -> Token:
        reply = await client.request(
            "GET",
            "/gettoken",
            api="auth.token",
            params={"appkey": "acme-app", "appsecret": APP_SECRET},
            authenticated=False,
        )
        return Token.expiring_in(reply.data["access_token"], 7200, clock=clock)

    tokens = TokenCache(fetch, clock=clock)
    client = make_client(
        interpret=leaky_interpret, tokens=tokens, apply_token=in_query, secrets=[APP_SECRET]
    )

    with pytest.raises(VendorPermissionDenied) as caught:
        await client.request("GET", ITEMS, api="items.list")

    error = caught.value
    assert any(
        getattr(record, "vendor_request_id", None) == "req-42" for record in caplog.records
    ), "the call log line carries the vendor request id"
    assert router.calls.last.request.url.params["access_token"] == access_token
    texts = {
        "str(exc)": str(error),
        "repr(exc)": repr(error),
        "to_dict": json.dumps(error.to_dict()),
        "args": repr(error.args),
        "repr(client)": repr(client),
        "repr(tokens)": repr(tokens),
        "repr(token)": repr(Token(value=access_token, expires_at=1.0)),
        "str(token)": str(Token(value=access_token, expires_at=1.0)),
        "caplog.text": caplog.text,
    }
    for record in caplog.records:
        texts[f"{record.name}:{record.getMessage()}"] = record.getMessage()
        for key, value in vars(record).items():
            texts[f"{record.name}.{key}"] = str(value)
    for where, text in texts.items():
        assert APP_SECRET not in text, where
        assert access_token not in text, where
    assert "***" in str(error)  # redacted, not silently dropped


async def test_client_is_an_async_context_manager(router: respx.MockRouter, sleep: Any) -> None:
    router.get(ITEMS).respond(json={"errcode": 0, "data": 1})

    async with VendorClient(
        account="acme", base_url=BASE, interpret=interpret, retry=RetryPolicy(sleep=sleep)
    ) as client:
        assert isinstance(client, VendorClient)
        assert (await client.request("GET", ITEMS, api="items.list")).data == 1
        assert client.calls == 1


async def test_an_injected_transport_is_used_and_responses_know_their_request(
    sleep: Any,
) -> None:
    seen: list[httpx.Request] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errcode": 0, "data": "fine"})

    def strict_interpret(response: httpx.Response) -> Any:
        response.raise_for_status()  # needs response.request, as with httpx.AsyncClient
        assert response.url.path == ITEMS
        return interpret(response)

    async with VendorClient(
        account="acme",
        base_url=BASE + "/",
        interpret=strict_interpret,
        transport=httpx.MockTransport(vendor),
        retry=RetryPolicy(sleep=sleep),
    ) as client:
        reply = await client.request("GET", ITEMS, api="items.list", params={"page": 2})

    assert reply.data == "fine"
    [request] = seen
    assert str(request.url) == f"{BASE}{ITEMS}?page=2"
    assert request.extensions["timeout"]["read"] == 10.0


def test_httpx_url_log_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """Adapters that still use httpx.AsyncClient somewhere get its URL log line redacted."""
    caplog.set_level(logging.INFO, logger="httpx")
    client = VendorClient(account="acme", base_url=BASE, interpret=interpret, secrets=[APP_SECRET])

    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s"',
        "GET",
        httpx.URL(f"{BASE}/gettoken?appkey=k&appsecret={APP_SECRET}&access_token=tok-1&page=2"),
        f"HTTP/1.1 200 OK {APP_SECRET}",
    )

    [record] = caplog.records
    assert APP_SECRET not in record.getMessage()
    assert "tok-1" not in record.getMessage()
    assert "appkey=k" in record.getMessage()
    assert "page=2" in record.getMessage()
    assert record.args == ()
    assert repr(client).startswith("<VendorClient account='acme'")
