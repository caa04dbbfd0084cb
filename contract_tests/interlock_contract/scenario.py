"""``Scenario``: puts a vendor double into a state, using only the ``VendorDouble`` base API.

Every double inherits what the scenario needs (``put_session``, ``missing_session_id``,
``put_unmapped_session``, ``inject``, ``expire_tokens``), so an adapter normally provides its
double and nothing else; a double with extra states may subclass :class:`Scenario` and return
it from the ``scenario`` fixture.

It also reads the vendor's truth back for the invariants: the state a session really has at the
vendor, how often it was mutated, which requests were sent and what the vendor answered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from interlock.doubles import (
    Fault,
    FaultPlan,
    RecordedRequest,
    VendorDouble,
    VendorQuery,
    WorldSession,
)
from interlock.http import AmbiguousSignal, ThrottleSignal
from interlock.models import SessionState

__all__ = ["Exchange", "Scenario", "VendorTraffic"]

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@dataclass
class Exchange:
    """One request the double served and what it answered (or the transport error it raised)."""

    request: httpx.Request
    response: httpx.Response | None = None
    error: BaseException | None = None

    @property
    def retry_after(self) -> float | None:
        """The ``Retry-After`` header of the answer, in seconds, when there was one."""
        if self.response is None:
            return None
        value = self.response.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


@dataclass
class VendorTraffic:
    """Everything that went over the mocked wire to the double, in order."""

    exchanges: list[Exchange] = field(default_factory=list)

    def recording(self, handler: Handler) -> Handler:
        """Wrap a route's handler so that each exchange is recorded."""

        async def record(request: httpx.Request) -> httpx.Response:
            exchange = Exchange(request)
            self.exchanges.append(exchange)
            try:
                exchange.response = await handler(request)
            except BaseException as error:
                exchange.error = error
                raise
            return exchange.response

        return record


class Scenario:
    """Sets a double up for one check and reads back what really happened at the vendor.

    :param double: the adapter's vendor double (already mounted on the mocked network).
    :param traffic: the recorded exchanges (the kit's ``vendor_mock`` fixture provides it).
    """

    def __init__(self, double: VendorDouble, traffic: VendorTraffic | None = None) -> None:
        self.double = double
        self.traffic = traffic or VendorTraffic()

    def __repr__(self) -> str:
        return f"<Scenario double={type(self.double).__name__}>"

    # -- sessions ----------------------------------------------------------------------------

    def session_exists(self, state: SessionState = SessionState.IN_PROGRESS) -> str:
        """A new session in ``state``; returns its vendor id."""
        return self.double.put_session(state)

    def sessions_exist(
        self, count: int, state: SessionState = SessionState.IN_PROGRESS
    ) -> list[str]:
        """``count`` new sessions in ``state``."""
        return [self.double.put_session(state) for _ in range(count)]

    def session_missing(self) -> str:
        """An id in the vendor's format that no session has."""
        return self.double.missing_session_id()

    def session_with_optional_fields_missing(self, state: SessionState) -> str:
        """A session without phone, batch number, position level, department or owners."""
        return self.double.put_sparse_session(state)

    def session_in_unmapped_state(self) -> str:
        """A session whose vendor state no mapping knows (the adapter must say ``unknown``)."""
        return self.double.put_unmapped_session()

    # -- faults ------------------------------------------------------------------------------

    def fault(
        self,
        fault: Fault,
        *,
        times: int = 1,
        only_mutations: bool = False,
        retry_after: float | None = None,
        after: int = 0,
        **match: Any,
    ) -> FaultPlan:
        """Inject ``fault`` into the next ``times`` matching requests (after ``after`` pass);
        ``match`` takes the other :class:`~interlock.doubles.FaultPlan` fields."""
        return self.double.inject(
            fault,
            times=times,
            only_mutations=only_mutations,
            retry_after=retry_after,
            after=after,
            **match,
        )

    def fault_on_request(self, fault: Fault, number: int, **match: Any) -> FaultPlan:
        """``fault`` on the ``number``-th request from now (1 is the next one), once."""
        return self.fault(fault, after=number - 1, **match)

    def timeout_before_acting(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """A read timeout after sending, but the vendor never acted (ambiguous, unchanged)."""
        return self.fault(Fault.TIMEOUT_BEFORE_ACTING, times=times, only_mutations=only_mutations)

    def reset_before_acting(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """The connection drops after sending, before the vendor acted (ambiguous, unchanged)."""
        return self.fault(Fault.RESET_BEFORE_ACTING, times=times, only_mutations=only_mutations)

    def token_requests_fail(self, fault: Fault = Fault.SERVER_ERROR, *, times: int = 10) -> None:
        """The vendor's token endpoints fail ``times`` times (the next token fetch fails)."""
        self.fault(fault, times=times, on_token_requests=True)

    def vendor_throttles(
        self, signal: ThrottleSignal, *, wait_s: float, window: bool, only_mutations: bool = True
    ) -> FaultPlan:
        """The vendor's own throttle answer, announcing ``wait_s`` where it announces waits;
        with ``window`` it keeps answering so until ``wait_s`` passed on the double's clock."""
        headers = {signal.wait_header: f"{wait_s:g}"} if signal.wait_header else {}
        return self.fault(
            Fault.VENDOR_ANSWER,
            only_mutations=only_mutations,
            answer=lambda: signal.response(**headers),
            throttle=True,
            window_s=wait_s if window else None,
        )

    def vendor_is_unsure(self, signal: AmbiguousSignal, *, acted: bool) -> FaultPlan:
        """The vendor's own "outcome unknown" answer to the next mutation, after acting on it
        (``acted``) or without acting."""
        return self.fault(
            Fault.VENDOR_ANSWER, only_mutations=True, answer=signal.response, acted=acted
        )

    def changes_before_the_write(
        self,
        moves: dict[str, SessionState],
        *,
        deleted: Iterable[str] = (),
        past_deadline: Iterable[str] = (),
        only_mutations: bool = True,
    ) -> FaultPlan:
        """Just before the next mutating request is served, someone else moves sessions at the
        vendor (a recruiter in its console, the candidate finishing), deletes some, or lets
        paused ones pass their resume deadline: a read-then-write race."""
        gone, expired = list(deleted), list(past_deadline)

        def move() -> None:
            world = self.double.world
            for session_id, state in moves.items():
                world.move(session_id, state)
            for session_id in gone:
                world.delete(session_id)
            for session_id in expired:
                world.get(session_id).resume_deadline = world.clock() - timedelta(minutes=1)

        return self.double.race(move, only_mutations=only_mutations)

    def server_error(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """The vendor's own 5xx / "system busy" answer."""
        return self.fault(Fault.SERVER_ERROR, times=times, only_mutations=only_mutations)

    def rate_limited(
        self, retry_after: float | None = None, *, times: int = 1, only_mutations: bool = False
    ) -> FaultPlan:
        """The vendor's own throttle signal (with ``Retry-After`` where the vendor sends it)."""
        return self.fault(
            Fault.RATE_LIMITED, times=times, only_mutations=only_mutations, retry_after=retry_after
        )

    def timeout_before_send(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """A connect timeout: the request never reached the vendor."""
        return self.fault(Fault.TIMEOUT_BEFORE_SEND, times=times, only_mutations=only_mutations)

    def timeout_after_send(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """A read timeout after the vendor acted: the outcome is ambiguous to the adapter."""
        return self.fault(Fault.TIMEOUT_AFTER_SEND, times=times, only_mutations=only_mutations)

    def connection_reset(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """The connection drops after the vendor acted (ambiguous, like a read timeout)."""
        return self.fault(Fault.CONNECTION_RESET, times=times, only_mutations=only_mutations)

    def malformed_body(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """An unparseable answer (the vendor did not act)."""
        return self.fault(Fault.MALFORMED_BODY, times=times, only_mutations=only_mutations)

    def error_in_200(self, *, times: int = 1, only_mutations: bool = False) -> FaultPlan:
        """An error inside an HTTP 200 body, in the vendor's style (the vendor did not act)."""
        return self.fault(Fault.ERROR_IN_200, times=times, only_mutations=only_mutations)

    def token_expired_once(self) -> None:
        """Expire every access token now: the next call meets the vendor's expiry signal."""
        self.double.expire_tokens()

    def token_expires_after(self, requests: int, *, only_mutations: bool = False) -> FaultPlan:
        """Expire every token when the request after the next ``requests`` arrives."""
        return self.fault(
            Fault.TOKEN_EXPIRED, times=1, only_mutations=only_mutations, after=requests
        )

    def clear_faults(self) -> None:
        self.double.clear_faults()

    # -- the vendor's truth ------------------------------------------------------------------

    def vendor_moves(self, session_id: str, state: SessionState) -> None:
        """Someone other than the adapter moves the session to ``state`` at the vendor."""
        self.double.world.move(session_id, state)

    def truth(self, session_id: str) -> WorldSession:
        """The session as the vendor stores it (raw personal data included)."""
        return self.double.world.get(session_id)

    @property
    def queries(self) -> list[VendorQuery]:
        """The listings the double served, with the filters it evaluated itself."""
        return self.double.queries

    def state_of(self, session_id: str) -> SessionState:
        """The state the session really has at the vendor."""
        return self.double.world.get(session_id).state

    def mutations_of(self, session_id: str) -> int:
        """How many times the vendor really changed the session's state."""
        return self.double.mutation_counts[session_id]

    def raw_candidate(self, session_id: str) -> tuple[str, str | None]:
        """The candidate's unmasked name and phone as the vendor stores them."""
        session = self.double.world.get(session_id)
        return session.candidate_name, session.candidate_phone

    def world_ids(self) -> set[str]:
        return set(self.double.world.sessions)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.double.requests

    @property
    def token_requests(self) -> int:
        return self.double.token_requests

    def secrets(self) -> tuple[str, ...]:
        """The credentials and tokens the double knows (they must never leak): its ``secrets``
        and every token it registered through ``issue_token``."""
        return tuple(dict.fromkeys([*self.double.secrets, *self.double.issued_tokens]))

    @contextlib.contextmanager
    def watch(self) -> Iterator[Window]:
        """Observe the requests and token fetches made inside the ``with`` block."""
        window = Window(self, len(self.double.requests), len(self.traffic.exchanges))
        window._first_query = len(self.double.queries)
        window.token_requests_before = self.double.token_requests
        try:
            yield window
        finally:
            window.close()


class Window:
    """The requests, exchanges and token fetches of one ``with scenario.watch()`` block."""

    def __init__(self, scenario: Scenario, first_request: int, first_exchange: int) -> None:
        self._scenario = scenario
        self._first_request = first_request
        self._first_exchange = first_exchange
        self._last_request: int | None = None
        self._last_exchange: int | None = None
        self._first_query = 0
        self._last_query: int | None = None
        self.token_requests_before = 0
        self._token_requests_after: int | None = None

    @property
    def queries(self) -> list[VendorQuery]:
        """The listings the double served inside the block."""
        return self._scenario.double.queries[self._first_query : self._last_query]

    def close(self) -> None:
        self._last_request = len(self._scenario.double.requests)
        self._last_exchange = len(self._scenario.traffic.exchanges)
        self._last_query = len(self._scenario.double.queries)
        self._token_requests_after = self._scenario.double.token_requests

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._scenario.double.requests[self._first_request : self._last_request]

    @property
    def mutating_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.mutation]

    @property
    def requests_after_last_write(self) -> list[RecordedRequest]:
        """What the adapter sent after its last mutating request (its read-backs), tokens
        left out; every request when it wrote nothing."""
        requests = self.requests
        last_write = max((n for n, r in enumerate(requests) if r.mutation), default=-1)
        return [r for r in requests[last_write + 1 :] if not r.token]

    @property
    def exchanges(self) -> list[Exchange]:
        return self._scenario.traffic.exchanges[self._first_exchange : self._last_exchange]

    @property
    def token_requests(self) -> int:
        after = self._token_requests_after
        if after is None:
            after = self._scenario.double.token_requests
        return after - self.token_requests_before

    def describe(self) -> str:
        """The requests of the window, one per line (for assertion messages)."""
        lines = [f"{r.method} {r.path} (api={r.api}, mutation={r.mutation})" for r in self.requests]
        return "\n".join(lines) or "(no requests)"
