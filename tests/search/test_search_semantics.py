"""The reference semantics: how a bound is read in a zone, what the candidate and position
filters match, and ``SessionFilter.search``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from interlock.models import (
    Candidate,
    Position,
    SessionFilter,
    SessionState,
    candidate_matches,
    position_matches,
)
from interlock.timespan import resolve_bound, zone_named

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "zone", "bound", "expected"),
    [
        pytest.param("2026-12-04", SHANGHAI, "from", utc(2026, 12, 3, 16), id="date-from"),
        pytest.param("2026-12-04", SHANGHAI, "to", utc(2026, 12, 4, 16), id="date-to-next-day"),
        pytest.param(date(2026, 12, 4), UTC, "to", utc(2026, 12, 5), id="date-object"),
        pytest.param("2026-12-04T09:30", SHANGHAI, "from", utc(2026, 12, 4, 1, 30), id="naive"),
        pytest.param(
            datetime(2026, 12, 4, 9, 30), SHANGHAI, "to", utc(2026, 12, 4, 1, 30), id="naive-obj"
        ),
        pytest.param(
            "2026-12-04T09:30+08:00", NEW_YORK, "from", utc(2026, 12, 4, 1, 30), id="aware-text"
        ),
        pytest.param("2026-12-04T09:30Z", SHANGHAI, "to", utc(2026, 12, 4, 9, 30), id="zulu"),
        pytest.param(" 2026-12-04 09:30 ", UTC, "from", utc(2026, 12, 4, 9, 30), id="spaced"),
        # 01:30 happens twice in New York on 2026-11-01: the earlier (EDT, -4) reading.
        pytest.param("2026-11-01T01:30", NEW_YORK, "from", utc(2026, 11, 1, 5, 30), id="dst-fold"),
        # The day the clocks go back has 25 hours; its end is the next local midnight.
        pytest.param("2026-11-01", NEW_YORK, "to", utc(2026, 11, 2, 5), id="25-hour-day"),
    ],
)
def test_bounds_are_read_in_the_zone(
    value: str | date, zone: ZoneInfo, bound: str, expected: datetime
) -> None:
    resolved = resolve_bound(value, zone, bound)  # type: ignore[arg-type]
    assert resolved == expected
    assert resolved.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("tomorrow", "is not a date or time", id="words"),
        pytest.param("2026-13-01", "is not a date or time", id="no-such-month"),
        pytest.param("9999-12-31", "out of the range", id="past-the-last-day"),
    ],
)
def test_bad_bounds_raise_value_error(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_bound(value, UTC, "to")


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "", "Asia/Shanghai\n"])
def test_unknown_zones_are_refused_by_name(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone_named(name)


def test_known_zones_are_found() -> None:
    assert zone_named("Asia/Shanghai") == SHANGHAI
    assert zone_named("UTC") == ZoneInfo("UTC")


ZHANG = Candidate(id="c-42", masked_name="张*", full_name="张伟")
LI = Candidate(id="c-7", masked_name="L* W**", full_name="Li Wei")
UNNAMED = Candidate(id="c-8", masked_name="王*")  # an adapter that keeps no full name


@pytest.mark.parametrize(
    ("text", "candidate", "matches"),
    [
        pytest.param("c-42", ZHANG, True, id="id"),
        pytest.param("c-4", ZHANG, False, id="id-prefix"),
        pytest.param("张", ZHANG, True, id="masked-part"),
        pytest.param("张*", ZHANG, True, id="masked-whole"),
        pytest.param("张伟", ZHANG, True, id="full-name"),
        pytest.param("张 伟", ZHANG, True, id="full-name-spaced"),
        pytest.param("伟", ZHANG, False, id="full-name-part"),
        pytest.param("张伟伟", ZHANG, False, id="longer-name"),
        pytest.param("li wei", LI, True, id="latin-other-case"),
        pytest.param("LiWei", LI, True, id="latin-without-space"),
        pytest.param("Ｌｉ Ｗｅｉ", LI, True, id="full-width"),
        pytest.param("Wei", LI, False, id="latin-part"),
        pytest.param("王芳", UNNAMED, False, id="no-full-name-kept"),
        pytest.param("王", UNNAMED, True, id="no-full-name-masked-part"),
    ],
)
def test_candidate_text_matches(text: str, candidate: Candidate, matches: bool) -> None:
    assert candidate_matches(text, candidate) is matches


BACKEND = Position(id="p-1", title="Backend Engineer")


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        pytest.param("p-1", True, id="id"),
        pytest.param("Backend Engineer", True, id="title"),
        pytest.param("backend engineer", True, id="title-lower"),
        pytest.param("  BACKEND   engineer ", True, id="title-spaces"),
        pytest.param("Engineer", False, id="title-part"),
        pytest.param("p-", False, id="id-prefix"),
        pytest.param("BackendEngineer", False, id="words-run-together"),
    ],
)
def test_position_text_matches(text: str, matches: bool) -> None:
    assert position_matches(text, BACKEND) is matches


def test_search_builds_a_filter_from_typed_values() -> None:
    made = SessionFilter.search(
        states=["paused", SessionState.SCHEDULED],
        candidate="张伟",
        position="backend engineer",
        batch_no="B1",
        start_from="2026-12-04",
        start_to=date(2026, 12, 4),
        tz=SHANGHAI,
    )
    assert made == SessionFilter(
        states=frozenset({SessionState.PAUSED, SessionState.SCHEDULED}),
        candidate="张伟",
        position="backend engineer",
        batch_no="B1",
        start_from=utc(2026, 12, 3, 16),
        start_to=utc(2026, 12, 4, 16),
    )


def test_search_reads_in_utc_by_default_and_refuses_unknown_zones() -> None:
    assert SessionFilter.search(start_from="2026-12-04T09:00").start_from == utc(2026, 12, 4, 9)
    with pytest.raises(ValueError, match="unknown time zone"):
        SessionFilter.search(start_from="2026-12-04", tz="Atlantis/Capital")
