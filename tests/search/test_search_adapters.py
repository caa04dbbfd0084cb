"""A recruiter's searches find their sessions on every adapter: each vendor double served over
loopback HTTP, read through the SDK (``Interlock.sessions``), the expected sessions taken from
the double's world (what the vendor stores), never from the adapter under test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from interlock import Interlock, SessionFilter, get_plugin_manager
from interlock.doubles import DoubleSettings, VendorDouble, serve
from interlock.doubles._wiring import make_double, wire_adapter
from interlock.doubles._world import WorldSession

ADAPTERS = ["sandbox", "dingtalk", "beisen", "yonyou"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Served:
    """One adapter's double on loopback and the SDK facade reading it over HTTP."""

    def __init__(self, double: VendorDouble, interlock: Interlock) -> None:
        self.double = double
        self.interlock = interlock

    @property
    def world(self) -> list[WorldSession]:
        return list(self.double.world.sessions.values())

    def where(self, keep: Callable[[WorldSession], bool]) -> set[str]:
        return {s.id for s in self.world if keep(s)}

    async def found(self, session_filter: SessionFilter) -> set[str]:
        listed = [s async for s in self.interlock.sessions(session_filter, page_size=5)]
        ids = [s.ref.session_id for s in listed]
        assert len(ids) == len(set(ids)), "a session was listed twice"
        return set(ids)


@pytest.fixture(params=ADAPTERS)
async def served(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    spec = get_plugin_manager().adapter(request.param)
    # 16 sessions: every seeded name once (10 Chinese, 6 Latin), every position.
    double = make_double(spec, DoubleSettings(seed=5, sessions=16, qps=1000))
    async with serve(double) as url:
        adapter = wire_adapter(spec, double, account="acct", base_url=url)
        try:
            yield Served(double, Interlock({"acct": adapter}))
        finally:
            await adapter.aclose()


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda name: name, id="as-stored"),
        pytest.param(lambda name: " ".join(name), id="spaced-out"),
        pytest.param(lambda name: name.upper(), id="other-case"),
    ],
)
async def test_a_full_name_finds_that_candidate(
    served: Served, typed: Callable[[str], str]
) -> None:
    for name in ("欧阳娜娜", "Anna Müller"):
        expected = served.where(lambda s, name=name: s.candidate_name == name)
        assert len(expected) == 1
        assert await served.found(SessionFilter(candidate=typed(name))) == expected


async def test_a_part_of_a_full_name_finds_nothing_hidden(served: Served) -> None:
    # "娜娜" is in 欧阳娜娜's full name, but the masked name is 欧***: no match without the
    # whole name (a fragment would let a caller recover hidden names).
    assert await served.found(SessionFilter(candidate="娜娜")) == set()


async def test_a_title_finds_the_position_ignoring_case(served: Served) -> None:
    expected = served.where(lambda s: s.position.title == "Backend Engineer")
    assert expected
    assert await served.found(SessionFilter(position="backend engineer")) == expected
    assert await served.found(SessionFilter(position="BACKEND  ENGINEER")) == expected
    assert await served.found(SessionFilter(position="engineer")) == set()  # whole titles only


async def test_a_position_id_still_finds_the_position(served: Served) -> None:
    position = served.world[2].position
    expected = served.where(lambda s: s.position.id == position.id)
    assert await served.found(SessionFilter(position=position.id)) == expected


async def test_a_batch_number_finds_its_sessions(served: Served) -> None:
    batch_no = served.world[1].batch_no
    expected = served.where(lambda s: s.batch_no == batch_no)
    assert 1 < len(expected) < len(served.world)
    assert await served.found(SessionFilter(batch_no=batch_no)) == expected


async def test_a_date_alone_is_that_whole_local_day(served: Served) -> None:
    # The world's 16 hourly sessions can all fall on one Shanghai day (when the run starts
    # between midnight and 08:00 there): one a day earlier keeps the day a real filter.
    served.world[0].scheduled_at -= timedelta(days=1)
    day = served.world[8].scheduled_at.astimezone(SHANGHAI).date()
    expected = served.where(lambda s: s.scheduled_at.astimezone(SHANGHAI).date() == day)
    assert 0 < len(expected) < len(served.world)
    session_filter = SessionFilter.search(start_from=day, start_to=day, tz="Asia/Shanghai")
    assert await served.found(session_filter) == expected


async def test_a_time_without_a_zone_is_read_in_tz(served: Served) -> None:
    instant = served.world[6].scheduled_at
    wall_clock = instant.astimezone(SHANGHAI).replace(tzinfo=None).isoformat()
    expected = served.where(lambda s: s.scheduled_at >= instant)
    session_filter = SessionFilter.search(start_from=wall_clock, tz="Asia/Shanghai")
    assert await served.found(session_filter) == expected
    # The same text read in UTC is eight hours later: eight (hourly) sessions fewer.
    eight_hours_later = served.where(lambda s: s.scheduled_at >= instant + timedelta(hours=8))
    assert len(expected) - len(eight_hours_later) == 8
    as_utc = SessionFilter.search(start_from=wall_clock, tz="UTC")
    assert await served.found(as_utc) == eight_hours_later


async def test_every_search_at_once(served: Served) -> None:
    target = served.world[4]
    local = target.scheduled_at.astimezone(SHANGHAI)
    session_filter = SessionFilter.search(
        candidate=target.candidate_name.lower(),
        position=target.position.title.swapcase(),
        batch_no=target.batch_no,
        start_from=local.date(),
        start_to=datetime.combine(local.date(), local.time()).isoformat(timespec="minutes"),
        tz="Asia/Shanghai",
    )
    # start_to is exclusive: the session scheduled at that very minute is not found ...
    assert await served.found(session_filter) == set()
    later = session_filter.model_copy(update={"start_to": None})
    # ... and without it, the one session with all these properties is.
    assert await served.found(later) == {target.id}
