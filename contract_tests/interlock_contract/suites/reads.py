"""Session reads, pagination and filters."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import pytest

from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import VirtualClock, WorldSession
from interlock.errors import InterlockError, SessionNotFound
from interlock.models import FilterField, Session, SessionFilter, SessionState
from interlock.privacy import mask_name, mask_phone
from interlock_contract.checks import A_DAY_S, assert_well_told, attempt
from interlock_contract.harness import ContractFixtures
from interlock_contract.scenario import Scenario

__all__ = ["NotFoundReadsContract", "PaginationAndFiltersContract", "SessionReadsContract"]

MAPPED_STATES = [s for s in SessionState if s is not SessionState.UNKNOWN]

FIELDS: dict[str, Callable[[Session], Any]] = {
    "candidate.id": lambda s: s.candidate.id,
    "candidate.masked_name": lambda s: s.candidate.masked_name,
    "candidate.full_name": lambda s: s.candidate.full_name,
    "candidate.masked_phone": lambda s: s.candidate.masked_phone,
    "position.id": lambda s: s.position.id,
    "position.title": lambda s: s.position.title,
    "position.level": lambda s: s.position.level,
    "position.department": lambda s: s.position.department,
    "position.owner_ids": lambda s: sorted(s.position.owner_ids),
    "batch_no": lambda s: s.batch_no,
    "scheduled_at": lambda s: s.scheduled_at,
    "started_at": lambda s: s.started_at,
    "progress": lambda s: s.progress,
    "resume_deadline": lambda s: s.resume_deadline,
    "state": lambda s: s.state,
}
"""How to read each neutral field of a session (the kit compares them all)."""

TRUTH: dict[str, Callable[[WorldSession], Any]] = {
    "candidate.id": lambda w: w.candidate_id,
    "candidate.masked_name": lambda w: mask_name(w.candidate_name),
    "candidate.full_name": lambda w: w.candidate_name,
    "candidate.masked_phone": lambda w: (
        mask_phone(w.candidate_phone) if w.candidate_phone else None
    ),
    "position.id": lambda w: w.position.id,
    "position.title": lambda w: w.position.title,
    "position.level": lambda w: w.position.level,
    "position.department": lambda w: w.position.department,
    "position.owner_ids": lambda w: sorted(w.position.owners),
    "batch_no": lambda w: w.batch_no,
    "scheduled_at": lambda w: w.scheduled_at,
    "started_at": lambda w: w.started_at,
    "progress": lambda w: w.progress,
    "resume_deadline": lambda w: w.resume_deadline,
    "state": lambda w: w.state,
}
"""The same field as the vendor's world has it."""

_HINTS = {
    "position.owner_ids": ": ownership decides who may act on the session; read it from the "
    "vendor's own owner field",
    "scheduled_at": ": check the vendor's time format and the account's time zone "
    "(AccountContext.timezone)",
    "started_at": ": check the vendor's time format and the account's time zone",
    "resume_deadline": ": check the vendor's time format and the account's time zone",
    "candidate.masked_name": ": mask with interlock.privacy.mask_name",
    "candidate.masked_phone": ": mask with interlock.privacy.mask_phone",
    "candidate.full_name": ": keep the unmasked name in Candidate.full_name (memory only, for "
    "search)",
}
_TIME_TOLERANCE = timedelta(seconds=1)  # vendors keep whole seconds or milliseconds
_PROGRESS_TOLERANCE = 0.0005  # vendors keep whole percents; the world's progress has two digits
_SPARSE_STATES = (SessionState.SCHEDULED, SessionState.IN_PROGRESS, SessionState.PAUSED)


def _same(got: Any, expected: Any) -> bool:
    if isinstance(got, datetime) and isinstance(expected, datetime):
        return abs(got - expected) <= _TIME_TOLERANCE
    if isinstance(got, float) and isinstance(expected, float):
        return abs(got - expected) <= _PROGRESS_TOLERANCE
    return bool(got == expected)


_HALF_A_SECOND = timedelta(milliseconds=500)

FOREIGN_ID = "no.such~session-0"
"""A session id in no vendor's format (SessionRef allows it)."""

PAGE_SIZE = 7  # small and prime: a 48-session world needs 7 pages, the last one partial


def list_all(
    run: Any,
    adapter: InterviewAdapter,
    session_filter: SessionFilter,
    *,
    page_size: int = PAGE_SIZE,
    world_size: int = 1000,
) -> tuple[list[Session], list[tuple[Session, ...]]]:
    """Every session of a listing, following page tokens (bounded, so a loop cannot hang)."""
    sessions: list[Session] = []
    pages: list[tuple[Session, ...]] = []
    token: str | None = None
    for _ in range(world_size + 2):
        page = run(adapter.list_sessions(session_filter, page_size=page_size, page_token=token))
        pages.append(page.sessions)
        sessions.extend(page.sessions)
        token = page.next_page_token
        if token is None:
            return sessions, pages
    raise AssertionError(
        f"listing did not end after {len(pages)} pages: next_page_token is never None"
    )


class SessionReadsContract(ContractFixtures):
    """``get_session`` and ``list_sessions`` return faithful, masked, neutral sessions."""

    contract_concern: ClassVar[str] = "session reads"

    @pytest.mark.parametrize("state", MAPPED_STATES, ids=str)
    def test_get_session_maps_the_vendor_state(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, state: SessionState
    ) -> None:
        session_id = scenario.session_exists(state)
        session = run(adapter.get_session(session_id))
        assert session.ref == adapter.ref(session_id), f"wrong ref {session.ref}"
        assert session.state is state, (
            f"vendor state {session.vendor_state!r} was mapped to {session.state}, expected "
            f"{state}: fix the state table in _mapping.py"
        )
        assert session.vendor_state, "Session.vendor_state must carry the vendor's own value"

    def test_unmapped_vendor_state_is_unknown(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        session_id = scenario.session_in_unmapped_state()
        session = run(adapter.get_session(session_id))
        planted = scenario.double.unmapped_vendor_state
        assert session.vendor_state == planted or session.state is SessionState.UNKNOWN, (
            f"the double was told to show the vendor state {planted!r}, but the adapter read "
            f"{session.vendor_state!r}: the double ignores WorldSession.vendor_state_override "
            "— render `session.vendor_state_override or <your status>` wherever the double "
            "writes a session's status (the double is wrong here, not the adapter's state table)"
        )
        assert session.state is SessionState.UNKNOWN, (
            f"a vendor state no table knows ({session.vendor_state!r}) was mapped to "
            f"{session.state}; unmapped states must be `unknown`, never a guess"
        )
        listed, _ = list_all(run, adapter, SessionFilter(), page_size=200)
        states = {s.ref.session_id: s.state for s in listed}
        assert states.get(session_id) is SessionState.UNKNOWN, (
            f"list_sessions reports the unmapped session as {states.get(session_id)}, not unknown"
        )

    @pytest.mark.parametrize("field", list(FIELDS))
    def test_every_field_matches_the_vendor(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, field: str
    ) -> None:
        """Every neutral field of every session, listed and read one by one, is what the vendor
        stores (ownership is what the gateway's permissions rest on; times must carry the right
        zone)."""
        ids = [scenario.session_exists(state) for state in MAPPED_STATES]
        listed, _ = list_all(run, adapter, SessionFilter(), page_size=50)
        read = [run(adapter.get_session(i)) for i in ids]
        for how, sessions in (("list_sessions", listed), ("get_session", read)):
            for session in sessions:
                truth = scenario.truth(session.ref.session_id)
                got, expected = FIELDS[field](session), TRUTH[field](truth)
                assert _same(got, expected), (
                    f"{how}: {field} of {session.ref.session_id} ({truth.state}) is {got!r}, "
                    f"but the vendor has {expected!r}{_HINTS.get(field, '')}"
                )

    def test_a_change_of_owners_reaches_a_later_read(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, virtual_clock: VirtualClock
    ) -> None:
        """Ownership is what the gateway's permissions rest on: when the vendor gives a
        position other owners, a read a day later names them, whatever the adapter caches
        (time caches on ``AccountContext.monotonic``)."""
        session_id = scenario.session_exists()
        run(adapter.get_session(session_id))
        world = scenario.double.world
        position = scenario.truth(session_id).position
        others = next(p.owners for p in world.positions if p.owners and p.owners != position.owners)
        world.hand_over(position.id, others)
        virtual_clock.advance(A_DAY_S)
        owners = sorted(run(adapter.get_session(session_id)).position.owner_ids)
        assert owners == sorted(others), (
            f"the vendor gave position {position.id} the owners {sorted(others)}; a day later "
            f"the adapter still reads {owners}: expire what it caches on "
            "AccountContext.monotonic"
        )

    @pytest.mark.parametrize("field", list(FIELDS))
    def test_missing_optional_fields_stay_missing(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, field: str
    ) -> None:
        """A session without the vendor's optional fields (no phone, batch number, position
        level, department or owners — what each vendor can leave out: ``put_sparse_session``)
        is read as it is: nothing guessed, nothing borrowed."""
        ids = [scenario.session_with_optional_fields_missing(s) for s in _SPARSE_STATES]
        listed, _ = list_all(run, adapter, SessionFilter(), page_size=50)
        by_id = {s.ref.session_id: s for s in listed}
        for session_id in ids:
            truth = scenario.truth(session_id)
            expected = TRUTH[field](truth)
            assert session_id in by_id, f"list_sessions left out {session_id} ({truth.state})"
            for how, session in (
                ("list_sessions", by_id[session_id]),
                ("get_session", run(adapter.get_session(session_id))),
            ):
                got = FIELDS[field](session)
                assert _same(got, expected), (
                    f"{how}: {field} of {session_id} ({truth.state}, a session the vendor "
                    f"holds few optional fields of) is {got!r}, but the vendor has "
                    f"{expected!r}{_HINTS.get(field, '')}"
                )

    def test_vendor_data_is_what_the_vendor_sent(
        self,
        run: Any,
        adapter: InterviewAdapter,
        scenario: Scenario,
    ) -> None:
        """``vendor_data`` passes the vendor's extras through as the double sent them."""
        ids = [scenario.session_exists(state) for state in MAPPED_STATES]
        ids.append(scenario.session_with_optional_fields_missing(SessionState.IN_PROGRESS))
        if scenario.double.vendor_data(scenario.truth(ids[0])) is None:
            pytest.skip("the double does not say what vendor_data holds (VendorDouble.vendor_data)")
        listed, _ = list_all(run, adapter, SessionFilter(), page_size=50)
        by_id = {s.ref.session_id: s for s in listed}
        for session_id in ids:
            expected = dict(scenario.double.vendor_data(scenario.truth(session_id)) or {})
            for how, session in (
                ("list_sessions", by_id[session_id]),
                ("get_session", run(adapter.get_session(session_id))),
            ):
                assert dict(session.vendor_data) == expected, (
                    f"{how}: vendor_data of {session_id} is {dict(session.vendor_data)!r}, but "
                    f"the vendor sent {expected!r}"
                )

    def test_personal_data_is_masked(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        ids = [scenario.session_exists(SessionState.IN_PROGRESS) for _ in range(3)]
        for session_id in ids:
            name, phone = scenario.raw_candidate(session_id)
            dumped = run(adapter.get_session(session_id)).model_dump_json()
            for raw, what in ((name, "name"), (phone, "phone")):
                assert raw is None or raw not in dumped, (
                    f"the candidate's raw {what} leaves the adapter; mask it with "
                    f"interlock.privacy.mask_{what}"
                )

    def test_list_reports_each_state_like_get(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        listed, _ = list_all(run, adapter, SessionFilter(), page_size=50)
        for session in listed[:12]:
            single = run(adapter.get_session(session.ref.session_id))
            assert single.state is session.state, (
                f"{session.ref}: list says {session.state}, get says {single.state}"
            )
            assert single.state is scenario.state_of(session.ref.session_id) or (
                single.state is SessionState.UNKNOWN
            )


class NotFoundReadsContract(ContractFixtures):
    """A session that does not exist is ``SESSION.NOT_FOUND``."""

    contract_concern: ClassVar[str] = "not found"

    def test_get_missing_session_is_not_found(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        missing = scenario.session_missing()
        with pytest.raises(SessionNotFound) as caught:
            run(adapter.get_session(missing))
        assert caught.value.code == "SESSION.NOT_FOUND"
        assert_well_told(caught.value, "a read of a missing session")

    def test_an_id_in_no_format_of_the_vendors_is_not_found(
        self, run: Any, adapter: InterviewAdapter
    ) -> None:
        """An id the vendor could never have issued (a typo, another vendor's id) names no
        session: ``SESSION.NOT_FOUND``, as for an id of the vendor's format that is not there."""
        with pytest.raises(SessionNotFound) as caught:
            run(adapter.get_session(FOREIGN_ID))
        assert_well_told(caught.value, f"a read of {FOREIGN_ID!r}")


_FILTER_IDS = [
    "state",
    "candidate-id",
    "candidate-name-fragment",
    "position",
    "batch_no",
    "start_from",
    "start_to",
    "start_to-within-a-second",
    "start_from-within-a-second",
    "empty-time-range",
    "state-and-position",
]


class PaginationAndFiltersContract(ContractFixtures):
    """Paging returns each session once; every filter agrees with ``SessionFilter.matches``."""

    contract_concern: ClassVar[str] = "pagination & filters"

    def test_pages_return_each_session_once(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        world = scenario.world_ids()
        sessions, pages = list_all(run, adapter, SessionFilter(), world_size=len(world))
        ids = [s.ref.session_id for s in sessions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        assert not duplicates, f"sessions listed twice across pages: {duplicates[:5]}"
        assert set(ids) == world, (
            f"listing misses {len(world - set(ids))} and invents {len(set(ids) - world)} sessions"
        )
        for number, page in enumerate(pages, 1):
            assert len(page) <= PAGE_SIZE, f"page {number} has {len(page)} > page_size sessions"
            assert page, (
                f"page {number} of {len(pages)} is empty: the adapter handed out a page token "
                "past the last page (return next_page_token=None on the last page)"
            )

    def test_a_page_token_it_never_handed_out_is_the_callers_mistake(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        scenario: Scenario,
    ) -> None:
        """A page token cut short, lengthened, made up or with a digit zeroed is refused as the
        caller's invalid request with a hint (``invalid_page_token``; where the vendor refuses
        it, ``vendor_refuses_page_token``) — not blamed on the vendor, never a crash — unless the
        vendor reads it as a page after all."""
        scenario.sessions_exist(4, SessionState.IN_PROGRESS)
        token = run(adapter.list_sessions(SessionFilter(), page_size=2)).next_page_token
        self.require(request, token is not None, "two sessions fill the whole listing")
        assert token is not None
        zeroed = [token[:n] + "0" + token[n + 1 :] for n, c in enumerate(token) if c.isdigit()]
        for bad in {token + "x", "x" + token, token[:-1], "not-a-page-token!", *zeroed} - {token}:
            outcome = attempt(
                run, adapter.list_sessions(SessionFilter(), page_size=2, page_token=bad)
            )
            if outcome.error is None:
                continue  # the vendor read it as a page
            assert outcome.code == "INTERLOCK.INVALID_REQUEST", (
                f"page_token={bad!r} (this account handed out {token!r}) {outcome.describe()}; "
                "it is the caller's mistake: raise interlock.adapter.invalid_page_token (or "
                "wrap the call in vendor_refuses_page_token with the vendor's refusal code)"
            )
            assert outcome.error.hint, f"page_token={bad!r}: the refusal gives no hint"

    def test_a_garbled_field_is_named(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        scenario: Scenario,
    ) -> None:
        """A record with a field in a shape the vendor never documents (``garbled_fields``: a
        time that is not one) is the vendor's protocol error naming that field — what support
        asks the vendor about — never a crash, nor a session quietly missing the value."""
        garbled = scenario.double.garbled_fields
        self.require(request, bool(garbled), "the double garbles no field")
        for name, value in garbled.items():
            session_id = scenario.session_exists(SessionState.PAUSED)  # every field is set
            scenario.truth(session_id).garbled[name] = value
            outcome = attempt(run, adapter.get_session(session_id))
            where = f"a record whose {name} is {value!r}"
            assert outcome.error is not None, f"{where} was read as a session"
            assert outcome.code == "VENDOR.PROTOCOL_ERROR", f"{where}: {outcome.describe()}"
            named = str(outcome.error.details.get("field") or "")
            assert name in re.split(r"[.\[\]]", named), (
                f"{where}: the protocol error names field {named!r}; name the vendor's field "
                f"(VendorProtocolError(..., field={name!r}))"
            )

    def test_a_garbled_page_is_named(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        scenario: Scenario,
    ) -> None:
        """A page that breaks the vendor's documented paging (``garbled_page_fields``: a page
        that is not the last, without the next page's token) is the vendor's protocol error
        naming that field — never a listing that quietly ends early, losing every later
        session."""
        garbled = scenario.double.garbled_page_fields
        self.require(request, bool(garbled), "the double garbles no page field")
        scenario.session_exists()  # a world of two sessions at least: the first page is not last
        for name, value in garbled.items():
            scenario.double.garbled_page[name] = value
            try:
                outcome = attempt(run, adapter.list_sessions(SessionFilter(), page_size=1))
            finally:
                scenario.double.garbled_page.clear()
            where = f"a page that is not the last whose {name} is {value!r}"
            assert outcome.error is not None, f"{where} was taken for a page"
            assert outcome.code == "VENDOR.PROTOCOL_ERROR", f"{where}: {outcome.describe()}"
            if scenario.double.request_id_header is not None:
                assert outcome.error.details.get("vendor_request_id"), (
                    f"{where}: the protocol error names no request id; pass the page's "
                    "(reply.request_id), so support can look the answer up"
                )
            named = str(outcome.error.details.get("field") or "")
            assert name in re.split(r"[.\[\]]", named), (
                f"{where}: the protocol error names field {named!r}; name the vendor's field "
                f"(VendorProtocolError(..., field={name!r}))"
            )

    @pytest.mark.parametrize("page_size", [1, 10_000])
    def test_page_sizes_at_the_edges(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario, page_size: int
    ) -> None:
        """A caller may ask for one session a page, or for more than the vendor ever serves in
        one: the adapter clamps to the vendor's range instead of failing, and a page never
        holds more than asked for."""
        world = scenario.world_ids()
        try:
            first = run(adapter.list_sessions(SessionFilter(), page_size=page_size))
        except InterlockError as error:
            pytest.fail(
                f"list_sessions(page_size={page_size}) raised {error.code}: {error}; clamp the "
                "page size to the vendor's range (at least 1, at most its maximum)",
                pytrace=False,
            )
        assert 1 <= len(first.sessions) <= page_size, (
            f"page_size={page_size} gave a page of {len(first.sessions)} sessions; clamp the "
            "page size to the vendor's range (at least 1, at most its maximum)"
        )
        if page_size == 1:
            return
        sessions, _ = list_all(run, adapter, SessionFilter(), page_size=page_size)
        ids = [s.ref.session_id for s in sessions]
        assert sorted(ids) == sorted(world), (
            f"listing with page_size={page_size} returned {len(ids)} of {len(world)} sessions"
        )

    def test_a_page_holds_fifty_at_most_by_default(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        """Called without ``page_size``, ``list_sessions`` keeps the base class's default of
        50: a direct caller of the adapter counts on pages of that size at most."""
        default = inspect.signature(InterviewAdapter.list_sessions).parameters["page_size"].default
        while len(scenario.world_ids()) <= default:
            scenario.session_exists()
        page = run(adapter.list_sessions(SessionFilter()))
        assert 1 <= len(page.sessions) <= default, (
            f"list_sessions(filter) with no page_size gave a page of {len(page.sessions)} "
            f"sessions; keep InterviewAdapter.list_sessions' default, page_size={default}"
        )

    @pytest.mark.parametrize("which", _FILTER_IDS)
    def test_filter_agrees_with_the_reference(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        which: str,
    ) -> None:
        everything, _ = list_all(run, adapter, SessionFilter(), page_size=50)
        session_filter = _filter_for(which, everything)
        expected = {s.ref.session_id for s in everything if session_filter.matches(s)}
        got, _ = list_all(run, adapter, session_filter)
        got_ids = [s.ref.session_id for s in got]
        server_side = session_filter.active_fields() & capabilities.server_side_filters
        where = f"server-side ({', '.join(sorted(server_side))})" if server_side else "client-side"
        assert len(got_ids) == len(set(got_ids)), f"{which} filter lists sessions twice"
        assert set(got_ids) == expected, (
            f"the {which} filter ({where}) returned {len(set(got_ids) - expected)} sessions "
            f"that do not match and missed {len(expected - set(got_ids))} that do; a filter "
            "declared in capabilities.server_side_filters must mean exactly what "
            "SessionFilter.matches means, otherwise apply it client-side"
        )

    @pytest.mark.parametrize("which", _FILTER_IDS)
    def test_server_side_filters_reach_the_vendor(
        self,
        request: pytest.FixtureRequest,
        run: Any,
        adapter: InterviewAdapter,
        capabilities: Capabilities,
        scenario: Scenario,
        which: str,
    ) -> None:
        everything, _ = list_all(run, adapter, SessionFilter(), page_size=50)
        session_filter = _filter_for(which, everything)
        declared = session_filter.active_fields() & capabilities.server_side_filters
        self.require(request, bool(declared), f"filters: {which} is applied client-side")
        by_id = {s.ref.session_id: s for s in everything}
        with scenario.watch() as watched:
            list_all(run, adapter, session_filter)
        start, end = session_filter.start_from, session_filter.start_to
        if not watched.queries and start is not None and end is not None and start >= end:
            return  # an empty range: knowing the answer without asking the vendor is right
        assert watched.queries, (
            "the double recorded no listing: call VendorDouble.record_query(filters, ids) in its "
            "list endpoint, so that the kit sees declared server-side filters reach the vendor"
        )
        fields = ", ".join(sorted(declared))
        vendor_side = _only(session_filter, declared)
        for query in watched.queries:
            missing = sorted(declared - set(query.filters))
            assert not missing, (
                f"{', '.join(missing)} is declared in server_side_filters but the {which} listing "
                "never sent it to the vendor: send it, or filter client-side and stop declaring it"
            )
            for field in declared:
                sent, wanted = query.filters[field], _filter_value(session_filter, field)
                assert _same(sent, wanted), (
                    f"the vendor was asked for {field}={sent!r}, the filter says {wanted!r}"
                )
            wrong = [i for i in query.returned if i in by_id and not vendor_side.matches(by_id[i])]
            assert not wrong, (
                f"the vendor returned {len(wrong)} sessions that do not match the declared "
                f"server-side filter ({fields}): the vendor's meaning of it is not "
                "SessionFilter.matches"
            )


_FILTER_ATTRIBUTE = {
    FilterField.STATE: "states",
    FilterField.CANDIDATE: "candidate",
    FilterField.POSITION: "position",
    FilterField.BATCH_NO: "batch_no",
    FilterField.START_FROM: "start_from",
    FilterField.START_TO: "start_to",
}


def _filter_value(session_filter: SessionFilter, field: FilterField) -> Any:
    return getattr(session_filter, _FILTER_ATTRIBUTE[field])


def _only(session_filter: SessionFilter, fields: frozenset[FilterField]) -> SessionFilter:
    """The part of ``session_filter`` made of ``fields``."""
    return SessionFilter(**{_FILTER_ATTRIBUTE[f]: _filter_value(session_filter, f) for f in fields})


def _filter_for(which: str, everything: list[Session]) -> SessionFilter:
    known = [s for s in everything if s.state is not SessionState.UNKNOWN]
    assert len(known) >= 8, "the double's world is too small for the filter checks"
    starts = sorted(s.scheduled_at for s in known if s.scheduled_at is not None)
    middle = starts[len(starts) // 2] if starts else None
    pick = known[3]
    match which:
        case "state":
            return SessionFilter(states=frozenset({SessionState.PAUSED, SessionState.SCHEDULED}))
        case "candidate-id":
            return SessionFilter(candidate=pick.candidate.id)
        case "candidate-name-fragment":
            return SessionFilter(candidate=pick.candidate.masked_name[:1])
        case "position":
            return SessionFilter(position=pick.position.id)
        case "batch_no":
            return SessionFilter(batch_no=pick.batch_no or "-")
        case "start_from":
            return SessionFilter(start_from=middle)
        case "start_to":
            return SessionFilter(start_to=middle)
        case "start_to-within-a-second":  # a vendor with whole seconds must round the end up
            return SessionFilter(start_to=middle and middle + _HALF_A_SECOND)
        case "start_from-within-a-second":
            return SessionFilter(start_from=middle and middle - _HALF_A_SECOND)
        case "empty-time-range":  # [t, t): nothing, and no vendor error
            return SessionFilter(start_from=middle, start_to=middle)
        case _:
            return SessionFilter(
                states=frozenset({SessionState.IN_PROGRESS}), position=pick.position.id
            )
