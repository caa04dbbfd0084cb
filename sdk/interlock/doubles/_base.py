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
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import httpx

from interlock.doubles._clock import Clock
from interlock.doubles._faults import Fault, FaultPlan, Race
from interlock.doubles._limits import busiest_window
from interlock.doubles._persist import load_world, save_world
from interlock.doubles._world import World, WorldSession
from interlock.models import FilterField, SessionState

if TYPE_CHECKING:
    import respx

__all__ = ["DoubleSettings", "ErrorAnswer", "RecordedRequest", "VendorDouble", "VendorQuery"]

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class DoubleSettings:
    """How to build a double: the seed, the size of its world, its speed and its limits.

    :param qps: the vendor's per-API limit; ``None`` uses the vendor's documented default.
    :param state_file: keep the world in this file between runs (loaded when the double is
        built, saved after every change); ``None`` keeps it in memory only.
    """

    seed: int = 7
    sessions: int = 48
    latency_ms: float = 0.0
    qps: float | None = None
    state_file: Path | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """What the double saw: enough for invariants, never the body's secrets in a repr."""

    method: str
    path: str
    api: str
    mutation: bool
    at: float
    timeout: dict[str, Any] | None = field(default=None)
    token: bool = False


@dataclass(frozen=True)
class VendorQuery:
    """One listing the double served: the filters it evaluated itself (as neutral fields and
    values) and the ids it returned. Doubles record it with :meth:`VendorDouble.record_query`."""

    filters: Mapping[FilterField, Any]
    returned: tuple[str, ...]


@dataclass(frozen=True)
class ErrorAnswer:
    """One error answer of the vendor's, as the double renders it (see
    :meth:`VendorDouble.error_answers`), and what an operator must be able to read off the
    neutral error it becomes.

    :param vendor_code: the vendor's code for it, as the vendor writes it (the body's code; for
        a vendor whose gateway says it only in the status line, the status); the neutral error
        must carry it as ``vendor_code``. ``None`` for an answer without one (a body that is not
        JSON, an envelope without its code): the neutral error must then carry none either.
    :param message: the vendor's own text, which the neutral error's message must contain
        (empty when the vendor sent none: the message must then contain the vendor's code).
    :param means: the neutral error code the vendor's documentation gives it
        (``VENDOR.UNAVAILABLE``, ``VENDOR.RATE_LIMITED``, ``SESSION.NOT_FOUND``...).
    :param render: builds the answer, with a fresh request id where the vendor sends one.
    :param details: what else the neutral error must carry (``InterlockError.to_dict()`` keys):
        for a ``VENDOR.PROTOCOL_ERROR`` the ``field`` that is wrong (an envelope key, ``"body"``
        for a body that is not JSON, ``"path"`` for an API the vendor does not serve,
        ``"request"`` when the vendor refused our parameters, ``"status"`` for a status no
        documentation explains); the ``required_scopes`` a refusal names; the ``retry_after``
        the vendor documents; a ``vendor_request_id`` sent only in the body.
    :param token_request: the answer is the token endpoint's, to the token request the read
        needs (the kit expires the access token first), not the API's.
    :param hinted: the vendor's documentation says what the operator must do about it (check
        the credentials, add an IP to an allow-list, grant an API, wait for a quota): the
        neutral error must carry a hint.
    """

    vendor_code: str | None
    message: str
    means: str
    render: Callable[[], httpx.Response] = field(repr=False)
    details: Mapping[str, Any] = field(default_factory=dict)
    token_request: bool = False
    hinted: bool = False


_THROTTLED = "interlock.double.throttled"


class VendorDouble(abc.ABC):
    """Base class of vendor doubles. Subclasses implement the vendor's HTTP conventions."""

    vendor: ClassVar[str]
    default_base_url: ClassVar[str]
    default_qps: ClassVar[float] = 20.0
    unmapped_vendor_state: ClassVar[str] = "ARCHIVED_BY_VENDOR"
    """A state value this vendor may send that no mapping table knows."""
    garbled_fields: ClassVar[Mapping[str, Any]] = {}
    """Fields of a session record (by the vendor's name) and a value of a shape the vendor never
    documents (a time that is not one): the kit puts each in a record and checks that the read
    fails as a protocol error naming that field. None by default (the kit then skips it)."""
    garbled_page_fields: ClassVar[Mapping[str, Any]] = {}
    """Fields of a listing's page (by the vendor's name) and a value that breaks the paging the
    vendor documents (a page that is not the last, without the next page's token): the kit
    sends each in a page and checks that the listing fails as a protocol error naming that
    field — never a listing that quietly ends early. None by default (the kit then skips it)."""
    request_id_header: ClassVar[str | None] = None
    """The response header carrying the vendor's request id (None: the vendor sends none); the
    kit checks that errors and results name it, which is what support asks for."""
    batch_idempotency: ClassVar[bool] = True
    """Whether the vendor's batch call takes an idempotency token and replays its answer to a
    repeated one (the kit then checks that a replayed batch key changes nothing)."""
    leaves_items_out: ClassVar[bool] = False
    """Whether the double honours :attr:`left_out` in its batch answers (the kit then checks
    what an adapter makes of an item the vendor's answer does not mention)."""
    records_reasons: ClassVar[bool] = False
    """Whether the double records the reason each change carried (``World.apply(reason=...)``,
    :attr:`WorldSession.last_reason`): the kit then checks that the operator's reason code and
    note reach the vendor's record."""
    unsure_batch_endings: ClassVar[tuple[str, ...]] = ()
    """How the vendor's asynchronous batch may end without saying what it did (Beisen: a job
    that ends ``Overtime`` yet still runs, one still ``Running`` when the caller stops waiting).
    The kit makes a batch end each way (:meth:`end_next_batch`) and checks that no item is
    claimed without proof and none is resent."""
    unsure_batch_fields: ClassVar[Mapping[str, str]] = {}
    """For the :attr:`unsure_batch_endings` whose record makes no sense (a state never
    documented, a result missing or miscounted): the vendor's field the protocol error must
    name, by ending. An ending not listed is not checked for its field."""
    token_paths: ClassVar[frozenset[str]] = frozenset()
    """Paths of the vendor's token endpoints: the base counts requests to them
    (:attr:`token_requests`) and the contract kit can make them fail."""

    def __init__(self, settings: DoubleSettings | None = None) -> None:
        self.settings = settings or DoubleSettings()
        self.base_url = self.default_base_url
        self._clock: Clock = time.monotonic
        self.world = World(seed=self.settings.seed, size=self.settings.sessions, new_id=self.new_id)
        if self.settings.state_file is not None:
            load_world(self.world, self.settings.state_file, vendor=self.vendor)
        self.faults: list[FaultPlan] = []
        self.requests: list[RecordedRequest] = []
        self.queries: list[VendorQuery] = []
        self.issued_tokens: list[str] = []
        self.token_requests = 0
        self.throttle_rejections = 0
        self.accepted_at: list[tuple[float, str]] = []  # (double's clock, api) of served calls
        self.qps = self.settings.qps or self.default_qps
        self.left_out: set[str] = set()
        self.garbled_page: dict[str, Any] = {}
        """Raw page-level values the listings send in place of their own (see
        :attr:`garbled_page_fields`)."""
        """Ids the next batch answers do not mention, though the vendor acted on them."""
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

    def other_adapter_options(self, base_url: str) -> Mapping[str, Mapping[str, Any]]:
        """Other ways an account may be set up at this vendor, by name (an ISV app beside an
        internal one, another sign-in grant): the contract kit reads, changes a session and
        renews a token under each. None by default."""
        return {}

    def unusable_adapter_options(self, base_url: str) -> Mapping[str, Mapping[str, Any]]:
        """Account options the options model accepts but the vendor never would, by name (a
        secret of the wrong shape for the vendor's crypto): the contract kit checks that the
        adapter refuses each when it is built — a ``ConfigurationError`` that names the fix —
        rather than at the first push. None by default."""
        return {}

    @abc.abstractmethod
    def expire_tokens(self) -> None:
        """Make every issued access token expired (the next call gets the vendor's signal)."""

    def error_answers(self, session_id: str) -> Sequence[ErrorAnswer]:
        """The error answers the vendor may give a read of ``session_id`` (an existing session,
        for answers that are its payload gone wrong): its documented 4xx
        refusals, 5xx and errors inside an HTTP 200, codes it may add tomorrow, and malformed
        answers. The contract kit serves each to the adapter and checks that the vendor's code,
        message and request id reach the operator. None by default (the kit then skips that
        check)."""
        return ()

    def api_of(self, request: httpx.Request) -> str:
        """The API group of a request (the vendor's throttling key)."""
        return request.url.path

    def is_mutation(self, request: httpx.Request) -> bool:
        return request.method not in ("GET", "HEAD")

    def is_token_request(self, request: httpx.Request) -> bool:
        """Whether ``request`` asks the vendor for an access token (see :attr:`token_paths`)."""
        return request.url.path in self.token_paths

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in logs or errors: the credentials this double accepts (add
        them in a subclass: ``return (APP_SECRET, *super().secrets)``) and every token it
        issued through :meth:`issue_token`."""
        return tuple(self.issued_tokens)

    # -- helpers for a subclass ------------------------------------------------------------

    def monotonic(self) -> float:
        """The double's clock (real time, or virtual time under the contract kit). Throttle
        windows and token lifetimes must read this, never ``time.monotonic`` directly."""
        return self._clock()

    def use_clock(self, clock: Clock) -> None:
        """Run on ``clock`` from now on (the kit's :class:`~interlock.doubles.VirtualClock`)."""
        self._clock = clock

    def issue_token(self, value: str) -> str:
        """Register an access (or refresh) token the double hands out: it becomes a secret."""
        if value not in self.issued_tokens:
            self.issued_tokens.append(value)
        return value

    def shuffled(self, items: Sequence[T]) -> list[T]:
        """``items`` in a seeded random order: batch answers of a vendor that documents no order
        come back like this, so an adapter matching results by position is caught."""
        mixed = list(items)
        self._rng.shuffle(mixed)
        return mixed

    def record_query(self, filters: Mapping[FilterField, Any], returned: Iterable[str]) -> None:
        """Record a listing: the filters the vendor evaluated (neutral field → neutral value:
        a frozenset of states, an id, a batch number, an aware datetime) and the ids returned.
        The kit checks that declared server-side filters really reach the vendor."""
        self.queries.append(VendorQuery(dict(filters), tuple(returned)))

    # -- scenario helpers (used by the contract kit) -----------------------------------------

    def put_session(self, state: SessionState) -> str:
        """Create a session in ``state`` and return its vendor id."""
        return self.world.add(state).id

    def put_sparse_session(self, state: SessionState) -> str:
        """Create a session in ``state`` whose optional fields the vendor does not hold (see
        ``World.add(sparse=True)``); a subclass adds what that means at its vendor (DingTalk:
        the position's job was deleted, so its owners cannot be read)."""
        return self.world.add(state, sparse=True).id

    def end_next_batch(self, ending: str) -> None:
        """Make the next batch the vendor accepts end ``ending`` (one of
        :attr:`unsure_batch_endings`)."""
        raise NotImplementedError(f"{type(self).__name__} declares no unsure batch endings")

    def vendor_data(self, session: WorldSession) -> Mapping[str, Any] | None:
        """What the neutral session's ``vendor_data`` must hold for ``session``: the vendor's
        extras the adapter passes through, as the double renders them. ``None`` (the default)
        leaves ``vendor_data`` unchecked."""
        return None

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
        **match: Any,
    ) -> FaultPlan:
        """Fail the next ``times`` matching requests with ``fault`` (the first ``after``
        matching requests pass), e.g. a token that expires in the middle of a batch. ``match``
        takes the other fields of :class:`FaultPlan` (``route``, ``window_s``, ``answer``...)."""
        plan = FaultPlan(fault, times, only_mutations, retry_after, after, **match)
        self.faults.append(plan)
        return plan

    def race(self, change: Race, **match: Any) -> FaultPlan:
        """Apply ``change`` at the vendor just before the next matching request is served."""
        return self.inject(Fault.RACE, race=change, **match)

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def mutation_counts(self) -> Counter[str]:
        return self.world.mutation_counts

    def max_calls_in_any_second(self, api: str | None = None) -> int:
        """The most calls served in any sliding one-second window (optionally for one API)."""
        times = [t for t, a in self.accepted_at if api is None or a == api]
        return busiest_window(times, calendar=False)

    # -- the handler ------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request``: record it, apply latency and faults, then dispatch."""
        mutation = self.is_mutation(request)
        api = self.api_of(request)
        token = self.is_token_request(request)
        timeout = request.extensions.get("timeout")
        self.requests.append(
            RecordedRequest(
                request.method,
                request.url.path,
                api,
                mutation,
                self.monotonic(),
                dict(timeout) if isinstance(timeout, dict) else None,
                token,
            )
        )
        if token:
            self.token_requests += 1
        if self.settings.latency_ms:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        plan = self._take_fault(request, api=api, mutation=mutation, token=token)
        changes = self.world.mutation_counts.total()
        try:
            if plan is None:
                return await self._answer(request, api)
            return await self._faulted(plan, request, api)
        finally:
            if self.settings.state_file and self.world.mutation_counts.total() != changes:
                save_world(self.world, self.settings.state_file, vendor=self.vendor)

    async def _answer(self, request: httpx.Request, api: str) -> httpx.Response:
        response = await self.dispatch(request)
        if not response.extensions.get(_THROTTLED):
            self.accepted_at.append((self.monotonic(), api))
        return response

    async def _faulted(self, plan: FaultPlan, request: httpx.Request, api: str) -> httpx.Response:
        fault = plan.fault
        before_acting: dict[Fault, type[httpx.TransportError]] = {
            Fault.TIMEOUT_BEFORE_SEND: httpx.ConnectTimeout,
            Fault.TIMEOUT_BEFORE_ACTING: httpx.ReadTimeout,
            Fault.RESET_BEFORE_ACTING: httpx.RemoteProtocolError,
        }
        if fault in before_acting:
            raise before_acting[fault](f"injected: {fault}", request=request)
        if fault is Fault.RACE:
            assert plan.race is not None, "a RACE plan needs race="
            plan.race()
            return await self._answer(request, api)
        if fault is Fault.VENDOR_ANSWER:
            assert plan.answer is not None, "a VENDOR_ANSWER plan needs answer="
            if plan.acted:
                await self._answer(request, api)
            answer = plan.answer()
            return self.throttled(answer) if plan.throttle else answer
        if fault not in (Fault.TIMEOUT_AFTER_SEND, Fault.CONNECTION_RESET):
            return self.render_fault(plan, request)
        await self._answer(request, api)
        if fault is Fault.TIMEOUT_AFTER_SEND:
            raise httpx.ReadTimeout(
                "injected: read timeout after the vendor acted", request=request
            )
        raise httpx.RemoteProtocolError("injected: connection reset by peer", request=request)

    def throttled(self, response: httpx.Response) -> httpx.Response:
        """Mark ``response`` as the vendor's throttle answer (counted, not 'served')."""
        self.throttle_rejections += 1
        response.extensions[_THROTTLED] = True
        return response

    def _take_fault(
        self, request: httpx.Request, *, api: str, mutation: bool, token: bool
    ) -> FaultPlan | None:
        now = self.monotonic()
        for plan in self.faults:
            if not plan.live(now):
                continue
            if not plan.matches(request, api=api, mutation=mutation, token=token):
                continue
            if not plan.take(now):
                continue
            if plan.fault is Fault.TOKEN_EXPIRED:
                self.expire_tokens()
                return None  # the vendor's own expired-token answer follows naturally
            return plan
        return None

    def mount(self, router: respx.Router, base_url: str | None = None) -> None:
        """Route every request for this double's host through :meth:`handle`."""
        router.route(url__startswith=base_url or self.base_url).mock(side_effect=self.handle)
