"""Session reads, pagination and filters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import pytest

from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.errors import SessionNotFound
from interlock.models import Session, SessionFilter, SessionState
from interlock_contract.harness import ContractFixtures
from interlock_contract.scenario import Scenario

__all__ = ["NotFoundReadsContract", "PaginationAndFiltersContract", "SessionReadsContract"]

MAPPED_STATES = [s for s in SessionState if s is not SessionState.UNKNOWN]
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
        assert session.state is SessionState.UNKNOWN, (
            f"a vendor state no table knows ({session.vendor_state!r}) was mapped to "
            f"{session.state}; unmapped states must be `unknown`, never a guess"
        )
        listed, _ = list_all(run, adapter, SessionFilter(), page_size=200)
        states = {s.ref.session_id: s.state for s in listed}
        assert states.get(session_id) is SessionState.UNKNOWN, (
            f"list_sessions reports the unmapped session as {states.get(session_id)}, not unknown"
        )

    def test_session_fields_match_the_vendor(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        session_id = scenario.session_exists(SessionState.IN_PROGRESS)
        truth = scenario.double.world.get(session_id)
        session = run(adapter.get_session(session_id))
        assert session.candidate.id == truth.candidate_id, "candidate.id is not the vendor's id"
        assert session.position.id == truth.position.id, "position.id is not the vendor's id"
        if session.batch_no is not None:
            assert session.batch_no == truth.batch_no, "batch_no differs from the vendor's"
        assert session.scheduled_at is not None, "scheduled_at is missing"
        drift = abs(session.scheduled_at - truth.scheduled_at)
        assert drift <= timedelta(seconds=1), (
            f"scheduled_at is {session.scheduled_at.isoformat()} but the vendor has "
            f"{truth.scheduled_at.isoformat()} (off by {drift}): check the vendor's time format "
            "and the account time zone (AccountContext.timezone)"
        )

    def test_personal_data_is_masked(
        self, run: Any, adapter: InterviewAdapter, scenario: Scenario
    ) -> None:
        ids = [scenario.session_exists(SessionState.IN_PROGRESS) for _ in range(3)]
        for session_id in ids:
            name, phone = scenario.raw_candidate(session_id)
            dumped = run(adapter.get_session(session_id)).model_dump_json()
            for raw, what in ((name, "name"), (phone, "phone")):
                assert raw not in dumped, (
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


_FILTER_IDS = [
    "state",
    "candidate-id",
    "candidate-name-fragment",
    "position",
    "batch_no",
    "start_from",
    "start_to",
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
        case _:
            return SessionFilter(
                states=frozenset({SessionState.IN_PROGRESS}), position=pick.position.id
            )
