"""``VendorDouble``: the base of every vendor simulator.

A double is an async ``httpx.Request -> httpx.Response`` handler with state. Tests mount it
under respx (``double.mount(router)``); ``interlock vendors serve`` serves the very same object
over loopback HTTP (:func:`interlock.doubles.asgi_app`). The base owns what is the same for every
vendor — the seeded world, fault injection, latency, request and mutation accounting — and a
subclass owns the vendor's conventions: routes, auth, envelopes, error codes, throttling.
"""

from __future__ import annotations

import abc
import asyncio
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from interlock.doubles._world import World
from interlock.models import SessionState

if TYPE_CHECKING:
    import respx

__all__ = ["DoubleSettings", "Fault", "FaultPlan", "QpsWindow", "RecordedRequest", "VendorDouble"]


@dataclass(frozen=True, kw_only=True)
class DoubleSettings:
    """How to build a double: the seed, the size of its world, its speed and its limits.

    :param qps: the vendor's per-API limit; ``None`` uses the vendor's documented default.
    """

    seed: int = 7
    sessions: int = 48
    latency_ms: float = 0.0
    qps: float | None = None


class Fault(StrEnum):
    """Failures a double can be told to produce (vendor-shaped where the vendor has a shape)."""

    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    TIMEOUT_BEFORE_SEND = "timeout_before_send"
    TIMEOUT_AFTER_SEND = "timeout_after_send"
    CONNECTION_RESET = "connection_reset"
    MALFORMED_BODY = "malformed_body"
    ERROR_IN_200 = "error_in_200"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a fault name, not a password


@dataclass
class FaultPlan:
    """``fault`` for the next ``times`` matching requests (``only_mutations`` narrows them),
    after letting the first ``after`` matching requests through untouched."""

    fault: Fault
    times: int = 1
    only_mutations: bool = False
    retry_after: float | None = None
    after: int = 0


@dataclass(frozen=True)
class RecordedRequest:
    """What the double saw: enough for invariants, never the body's secrets in a repr."""

    method: str
    path: str
    api: str
    mutation: bool
    at: float
    timeout: dict[str, Any] | None = field(default=None)


class QpsWindow:
    """A per-key sliding one-second window: the vendor's own throttle."""

    def __init__(self, limit: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - 1.0:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


_THROTTLED = "interlock.double.throttled"


class VendorDouble(abc.ABC):
    """Base class of vendor doubles. Subclasses implement the vendor's HTTP conventions."""

    vendor: ClassVar[str]
    default_base_url: ClassVar[str]
    default_qps: ClassVar[float] = 20.0
    unmapped_vendor_state: ClassVar[str] = "ARCHIVED_BY_VENDOR"
    """A state value this vendor may send that no mapping table knows."""

    def __init__(self, settings: DoubleSettings | None = None) -> None:
        self.settings = settings or DoubleSettings()
        self.base_url = self.default_base_url
        self.world = World(seed=self.settings.seed, size=self.settings.sessions, new_id=self.new_id)
        self.faults: list[FaultPlan] = []
        self.requests: list[RecordedRequest] = []
        self.token_requests = 0
        self.throttle_rejections = 0
        self.accepted_at: list[tuple[float, str]] = []  # (monotonic time, api) of served calls
        self.qps = self.settings.qps or self.default_qps
        self._rng = random.Random(self.settings.seed + 1)

    # -- what a subclass provides -----------------------------------------------------------

    @abc.abstractmethod
    def new_id(self, rng: random.Random) -> str:
        """A fresh id in the vendor's format."""

    @abc.abstractmethod
    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        """Serve one request the way the vendor would (auth, routing, envelope, throttle)."""

    @abc.abstractmethod
    def render_fault(self, plan: FaultPlan, request: httpx.Request) -> httpx.Response:
        """The vendor's own response for an injected HTTP-level fault."""

    @abc.abstractmethod
    def adapter_options(self, base_url: str) -> dict[str, Any]:
        """Account options that make the adapter talk to this double at ``base_url``."""

    @abc.abstractmethod
    def expire_tokens(self) -> None:
        """Make every issued access token expired (the next call gets the vendor's signal)."""

    def api_of(self, request: httpx.Request) -> str:
        """The API group of a request (the vendor's throttling key)."""
        return request.url.path

    def is_mutation(self, request: httpx.Request) -> bool:
        return request.method not in ("GET", "HEAD")

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials this double accepts: they must never appear in logs or errors."""
        return ()

    # -- scenario helpers (used by the contract kit) -----------------------------------------

    def put_session(self, state: SessionState) -> str:
        """Create a session in ``state`` and return its vendor id."""
        return self.world.add(state).id

    def put_unmapped_session(self) -> str:
        """Create a session whose vendor state is :attr:`unmapped_vendor_state`."""
        session = self.world.add(SessionState.IN_PROGRESS)
        session.vendor_state_override = self.unmapped_vendor_state
        return session.id

    def missing_session_id(self) -> str:
        return self.world.missing_id()

    def inject(
        self,
        fault: Fault,
        *,
        times: int = 1,
        only_mutations: bool = False,
        retry_after: float | None = None,
        after: int = 0,
    ) -> FaultPlan:
        """Fail the next ``times`` matching requests with ``fault`` (the first ``after``
        matching requests pass), e.g. a token that expires in the middle of a batch."""
        plan = FaultPlan(fault, times, only_mutations, retry_after, after)
        self.faults.append(plan)
        return plan

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def mutation_counts(self) -> Counter[str]:
        return self.world.mutation_counts

    def max_calls_in_any_second(self, api: str | None = None) -> int:
        """The most calls served in any sliding one-second window (optionally for one API)."""
        times = sorted(t for t, a in self.accepted_at if api is None or a == api)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    # -- the handler ------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request``: record it, apply latency and faults, then dispatch."""
        mutation = self.is_mutation(request)
        api = self.api_of(request)
        timeout = request.extensions.get("timeout")
        self.requests.append(
            RecordedRequest(
                request.method,
                request.url.path,
                api,
                mutation,
                time.monotonic(),
                dict(timeout) if isinstance(timeout, dict) else None,
            )
        )
        if self.settings.latency_ms:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        plan = self._take_fault(mutation)
        if plan is not None:
            if plan.fault is Fault.TIMEOUT_BEFORE_SEND:
                raise httpx.ConnectTimeout("injected: connect timeout", request=request)
            if plan.fault not in (Fault.TIMEOUT_AFTER_SEND, Fault.CONNECTION_RESET):
                return self.render_fault(plan, request)
        response = await self.dispatch(request)
        if not response.extensions.get(_THROTTLED):
            self.accepted_at.append((time.monotonic(), api))
        if plan is not None and plan.fault is Fault.TIMEOUT_AFTER_SEND:
            raise httpx.ReadTimeout(
                "injected: read timeout after the vendor acted", request=request
            )
        if plan is not None and plan.fault is Fault.CONNECTION_RESET:
            raise httpx.RemoteProtocolError("injected: connection reset by peer", request=request)
        return response

    def throttled(self, response: httpx.Response) -> httpx.Response:
        """Mark ``response`` as the vendor's throttle answer (counted, not 'served')."""
        self.throttle_rejections += 1
        response.extensions[_THROTTLED] = True
        return response

    def _take_fault(self, mutation: bool) -> FaultPlan | None:
        for plan in self.faults:
            if plan.times > 0 and (mutation or not plan.only_mutations):
                if plan.after > 0:
                    plan.after -= 1
                    continue
                plan.times -= 1
                if plan.fault is Fault.TOKEN_EXPIRED:
                    self.expire_tokens()
                    return None  # the vendor's own expired-token answer follows naturally
                return plan
        return None

    def mount(self, router: respx.Router, base_url: str | None = None) -> None:
        """Route every request for this double's host through :meth:`handle`."""
        router.route(url__startswith=base_url or self.base_url).mock(side_effect=self.handle)
