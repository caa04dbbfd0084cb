"""The VendorDouble base: world, fault injection, throttle accounting, and serving over HTTP.

A tiny fake vendor (below) provides just the conventions the base needs from a subclass.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from interlock.doubles import (
    DoubleSettings,
    ErrorAnswer,
    Fault,
    FaultPlan,
    QpsWindow,
    VendorDouble,
    asgi_app,
    serve,
)
from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import SessionState, Verb


class FakeVendor(VendorDouble):
    """Bearer tokens by generation, ``GET /sessions/{id}``, ``POST /sessions/{id}/{verb}``."""

    vendor = "fake"
    default_base_url = "https://fake-vendor.test"
    default_qps = 50.0

    def __init__(self, settings: DoubleSettings | None = None) -> None:
        super().__init__(settings)
        self.generation = 0
        self.window = QpsWindow(self.qps)

    @property
    def token(self) -> str:
        return f"gen-{self.generation}"

    def new_id(self, rng: random.Random) -> str:
        return f"{rng.randrange(16**8):08x}"

    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        if not self.window.allow(self.api_of(request)):
            return self.throttled(httpx.Response(429, json={"error": "throttled"}))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": "token_expired"})
        match request.url.path.strip("/").split("/"), request.method:
            case ["sessions", session_id], "GET":
                return self._show(session_id)
            case ["sessions", session_id, verb], "POST":
                try:
                    self.world.apply(session_id, Verb(verb))
                except InvalidTransition:
                    return httpx.Response(409, json={"error": "invalid_transition"})
                return self._show(session_id)
        return httpx.Response(404, json={"error": "no_route"})

    def _show(self, session_id: str) -> httpx.Response:
        try:
            session = self.world.get(session_id)
        except SessionNotFound:
            return httpx.Response(404, json={"error": "not_found"})
        return httpx.Response(200, json={"id": session.id, "state": session.state.value})

    def render_fault(self, plan: FaultPlan, request: httpx.Request) -> httpx.Response:
        if plan.fault is Fault.RATE_LIMITED:
            return httpx.Response(429, headers={"Retry-After": f"{plan.retry_after or 1:g}"})
        if plan.fault is Fault.MALFORMED_BODY:
            return httpx.Response(200, content=b"{not json")
        return httpx.Response(503, json={"error": plan.fault.value})

    def adapter_options(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "token": self.token}

    def expire_tokens(self) -> None:
        self.generation += 1


@pytest.fixture
def double() -> FakeVendor:
    return FakeVendor(DoubleSettings(seed=11, sessions=16))


@pytest.fixture
def running(double: FakeVendor) -> str:
    return double.put_session(SessionState.IN_PROGRESS)


def get(double: FakeVendor, session_id: str) -> httpx.Request:
    return httpx.Request(
        "GET",
        f"{double.base_url}/sessions/{session_id}",
        headers={"Authorization": f"Bearer {double.token}"},
        extensions={"timeout": {"connect": 1.0, "read": 2.0, "write": 2.0, "pool": 1.0}},
    )


def pause(double: FakeVendor, session_id: str) -> httpx.Request:
    return httpx.Request(
        "POST",
        f"{double.base_url}/sessions/{session_id}/pause",
        headers={"Authorization": f"Bearer {double.token}"},
    )


# -- world ----------------------------------------------------------------------------------


def test_the_world_is_seeded_and_every_state_appears() -> None:
    first = FakeVendor(DoubleSettings(seed=3, sessions=16))
    second = FakeVendor(DoubleSettings(seed=3, sessions=16))
    other = FakeVendor(DoubleSettings(seed=4, sessions=16))

    assert [(s.id, s.state) for s in first.world.sessions.values()] == [
        (s.id, s.state) for s in second.world.sessions.values()
    ]
    assert list(first.world.sessions) != list(other.world.sessions)
    assert {s.state for s in first.world.sessions.values()} == set(SessionState) - {
        SessionState.UNKNOWN
    }


def test_scenario_helpers(double: FakeVendor) -> None:
    paused = double.put_session(SessionState.PAUSED)
    missing = double.missing_session_id()
    unmapped = double.put_unmapped_session()

    assert double.world.get(paused).state is SessionState.PAUSED
    assert missing not in double.world.sessions
    assert double.world.get(unmapped).vendor_state_override == double.unmapped_vendor_state


# -- handling and fault injection -------------------------------------------------------------


async def test_requests_are_recorded_with_their_timeout(double: FakeVendor, running: str) -> None:
    response = await double.handle(get(double, running))

    assert response.json() == {"id": running, "state": "in_progress"}
    [seen] = double.requests
    assert (seen.method, seen.path, seen.mutation) == ("GET", f"/sessions/{running}", False)
    assert seen.timeout == {"connect": 1.0, "read": 2.0, "write": 2.0, "pool": 1.0}


@pytest.mark.parametrize(
    ("fault", "raised", "applied"),
    [
        pytest.param(Fault.TIMEOUT_BEFORE_SEND, httpx.ConnectTimeout, False, id="before-send"),
        pytest.param(Fault.TIMEOUT_AFTER_SEND, httpx.ReadTimeout, True, id="after-send"),
        pytest.param(Fault.CONNECTION_RESET, httpx.RemoteProtocolError, True, id="reset"),
    ],
)
async def test_transport_faults_apply_the_mutation_only_after_send(
    double: FakeVendor,
    running: str,
    fault: Fault,
    raised: type[Exception],
    applied: bool,
) -> None:
    double.inject(fault)

    with pytest.raises(raised):
        await double.handle(pause(double, running))

    assert double.mutation_counts[running] == (1 if applied else 0)
    expected = SessionState.PAUSED if applied else SessionState.IN_PROGRESS
    assert double.world.get(running).state is expected


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        pytest.param(Fault.SERVER_ERROR, 503, id="server-error"),
        pytest.param(Fault.RATE_LIMITED, 429, id="rate-limited"),
        pytest.param(Fault.MALFORMED_BODY, 200, id="malformed"),
    ],
)
async def test_http_faults_are_rendered_by_the_vendor_and_change_nothing(
    double: FakeVendor, running: str, fault: Fault, status: int
) -> None:
    double.inject(fault, retry_after=3)

    response = await double.handle(pause(double, running))

    assert response.status_code == status
    assert double.mutation_counts[running] == 0
    if fault is Fault.RATE_LIMITED:
        assert response.headers["Retry-After"] == "3"


async def test_a_fault_fires_times_then_stops(double: FakeVendor, running: str) -> None:
    double.inject(Fault.SERVER_ERROR, times=2)

    statuses = [(await double.handle(get(double, running))).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


async def test_only_mutations_lets_reads_through(double: FakeVendor, running: str) -> None:
    plan = double.inject(Fault.TIMEOUT_AFTER_SEND, only_mutations=True)

    assert (await double.handle(get(double, running))).status_code == 200
    assert plan.times == 1
    with pytest.raises(httpx.ReadTimeout):
        await double.handle(pause(double, running))
    assert plan.times == 0


async def test_after_lets_the_first_requests_through(double: FakeVendor, running: str) -> None:
    double.inject(Fault.SERVER_ERROR, after=2)

    statuses = [(await double.handle(get(double, running))).status_code for _ in range(4)]

    assert statuses == [200, 200, 503, 200]


async def test_clear_faults_resets_injection(double: FakeVendor, running: str) -> None:
    double.inject(Fault.SERVER_ERROR, times=5)
    double.clear_faults()

    assert (await double.handle(get(double, running))).status_code == 200
    assert double.faults == []


async def test_token_expired_makes_the_vendor_answer_its_own_way(
    double: FakeVendor, running: str
) -> None:
    request = get(double, running)  # carries the token that is about to expire
    double.inject(Fault.TOKEN_EXPIRED)

    response = await double.handle(request)

    assert response.status_code == 401
    assert response.json() == {"error": "token_expired"}
    assert double.generation == 1
    assert (await double.handle(get(double, running))).status_code == 200


async def test_latency_is_applied(running: str) -> None:
    slow = FakeVendor(DoubleSettings(seed=11, sessions=8, latency_ms=30))
    session_id = slow.put_session(SessionState.PAUSED)

    started = time.monotonic()
    await slow.handle(get(slow, session_id))

    assert time.monotonic() - started >= 0.03


# -- throttling and accounting --------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        pytest.param([], 0, id="none"),
        pytest.param([0.0], 1, id="one"),
        pytest.param([0.0, 0.1, 0.5, 0.99], 4, id="inside-one-second"),
        pytest.param([0.0, 0.5, 1.0, 1.5], 2, id="window-is-half-open"),
        pytest.param([0.0, 2.0, 2.1, 2.2, 3.15, 5.0], 3, id="busiest-later"),
    ],
)
def test_max_calls_in_any_second(double: FakeVendor, times: list[float], expected: int) -> None:
    double.accepted_at.extend((100.0 + t, "q") for t in times)
    double.accepted_at.append((100.3, "other-api"))

    assert double.max_calls_in_any_second("q") == expected
    assert double.max_calls_in_any_second() >= expected


async def test_throttled_answers_are_counted_not_served(running: str) -> None:
    double = FakeVendor(DoubleSettings(seed=11, sessions=8, qps=5))

    statuses = [(await double.handle(get(double, running))).status_code for _ in range(7)]

    assert statuses.count(429) == 2
    assert double.throttle_rejections == 2
    assert double.max_calls_in_any_second() == 5
    assert len(double.requests) == 7


def test_qps_window_slides(clock: Any) -> None:
    window = QpsWindow(2, clock=clock)

    assert window.allow("k")
    assert window.allow("k")
    assert not window.allow("k")
    assert window.allow("other")
    clock.advance(1.0)
    assert window.allow("k")


# -- mounted under respx ----------------------------------------------------------------------


async def test_a_mounted_double_serves_an_httpx_client(double: FakeVendor, running: str) -> None:
    with respx.mock(assert_all_mocked=True, assert_all_called=True) as router:
        double.mount(router)
        async with httpx.AsyncClient(
            base_url=double.base_url,
            headers={"Authorization": f"Bearer {double.token}"},
            timeout=4.0,
        ) as client:
            paused = await client.post(f"/sessions/{running}/pause")
            shown = await client.get(f"/sessions/{running}")

    assert paused.json()["state"] == shown.json()["state"] == "paused"
    assert all(
        r.timeout == dict.fromkeys(("connect", "read", "write", "pool"), 4.0)
        for r in double.requests
    )


# -- served over real HTTP ----------------------------------------------------------------------


@pytest.fixture
async def served(double: FakeVendor) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(double) as base_url,
        httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {double.token}"},
            timeout=2.0,
        ) as client,
    ):
        assert base_url.startswith("http://127.0.0.1:")
        yield client


async def test_served_double_answers_real_http(
    served: httpx.AsyncClient, double: FakeVendor, running: str
) -> None:
    paused = await served.post(f"/sessions/{running}/pause", params={"note": "a b"})
    shown = await served.get(f"/sessions/{running}")
    missing = await served.get(f"/sessions/{double.missing_session_id()}")

    assert paused.status_code == 200
    assert shown.json() == {"id": running, "state": "paused"}
    assert missing.status_code == 404
    assert double.mutation_counts[running] == 1
    first = double.requests[0]
    assert first.path == f"/sessions/{running}/pause"
    assert first.mutation


async def test_served_double_renders_faults_over_http(
    served: httpx.AsyncClient, double: FakeVendor, running: str
) -> None:
    double.inject(Fault.RATE_LIMITED, retry_after=2)

    response = await served.get(f"/sessions/{running}")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"


async def test_served_connection_reset_drops_the_connection_after_acting(
    served: httpx.AsyncClient, double: FakeVendor, running: str
) -> None:
    double.inject(Fault.CONNECTION_RESET)

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await served.post(f"/sessions/{running}/pause")

    assert double.mutation_counts[running] == 1
    assert (await served.get(f"/sessions/{running}")).json()["state"] == "paused"


async def test_served_timeout_hangs_until_the_client_gives_up(
    double: FakeVendor, running: str
) -> None:
    double.inject(Fault.TIMEOUT_AFTER_SEND)
    started = time.monotonic()

    async with serve(double) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(
                f"/sessions/{running}/pause",
                headers={"Authorization": f"Bearer {double.token}"},
                timeout=0.3,
            )

    assert double.mutation_counts[running] == 1
    assert time.monotonic() - started < 3.0  # the server did not wait out its 60 s hang


async def test_asgi_lifespan_is_acknowledged(double: FakeVendor) -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await asgi_app(double)({"type": "lifespan"}, receive, send)

    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_a_plan_can_spare_or_target_token_requests() -> None:
    token = httpx.Request("POST", "https://fake-vendor.test/oauth/token")
    api = httpx.Request("GET", "https://fake-vendor.test/sessions/1")
    spare = FaultPlan(Fault.VENDOR_ANSWER, spare_token_requests=True)
    only = FaultPlan(Fault.VENDOR_ANSWER, on_token_requests=True)
    assert not spare.matches(token, api="token", mutation=True, token=True)
    assert spare.matches(api, api="read", mutation=False, token=False)
    assert only.matches(token, api="token", mutation=True, token=True)
    assert not only.matches(api, api="read", mutation=False, token=False)


def test_a_double_declares_no_error_answers_unless_it_says_so(double: FakeVendor) -> None:
    assert list(double.error_answers(double.put_session(SessionState.PAUSED))) == []
    answer = ErrorAnswer("busy", "try later", "VENDOR.UNAVAILABLE", lambda: httpx.Response(503))
    assert (answer.details, answer.token_request) == ({}, False)
    assert "render" not in repr(answer), "the renderer is not part of an answer's description"
    assert VendorDouble.batch_idempotency is True
