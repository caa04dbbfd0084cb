"""``GET /v1/sessions`` and the batch filter search as a recruiter types: a full name, a title
in any case, a batch number, a date alone, a time without a zone read in ``tz`` (or the
gateway's ``time_zone``). Expected sessions come from the sandbox double's world."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.api.harness import ACCOUNT, Harness
from interlock.doubles._world import WorldSession

SHANGHAI = ZoneInfo("Asia/Shanghai")
REASON = {"code": "process_change"}


def world(harness: Harness) -> list[WorldSession]:
    return list(harness.double().world.sessions.values())


def where(harness: Harness, keep: Callable[[WorldSession], bool]) -> set[str]:
    return {s.id for s in world(harness) if keep(s)}


async def listed(harness: Harness, **params: Any) -> set[str]:
    """Every session id of the demo account the admin finds with ``params``."""
    found: list[str] = []
    query: dict[str, Any] = {"account": ACCOUNT, "page_size": 200, **params}
    while True:
        response = await harness.client.get(
            "/v1/sessions", params=query, headers=harness.headers("admin")
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found += [s["name"].rsplit("/", 1)[1] for s in body["sessions"]]
        if not body.get("next_page_token"):
            return set(found)
        query["page_token"] = body["next_page_token"]


def local_day(harness: Harness, index: int) -> date:
    return world(harness)[index].scheduled_at.astimezone(SHANGHAI).date()


def on_local_day(day: date) -> Callable[[WorldSession], bool]:
    return lambda s: s.scheduled_at.astimezone(SHANGHAI).date() == day


async def test_a_full_name_finds_the_candidate(harness: Harness) -> None:
    expected = where(harness, lambda s: s.candidate_name == "欧阳娜娜")
    assert expected
    assert await listed(harness, candidate="欧阳娜娜") == expected
    assert await listed(harness, candidate="欧阳 娜娜") == expected  # spaces do not matter
    assert await listed(harness, candidate="娜娜") == set()  # a part of it finds nothing


async def test_a_title_in_any_case_finds_the_position(harness: Harness) -> None:
    expected = where(harness, lambda s: s.position.title == "Backend Engineer")
    assert expected
    assert await listed(harness, position="backend engineer") == expected
    assert await listed(harness, position=harness.position_id("Backend Engineer")) == expected


async def test_a_batch_number_finds_its_sessions(harness: Harness) -> None:
    batch_no = world(harness)[0].batch_no
    expected = where(harness, lambda s: s.batch_no == batch_no)
    assert 0 < len(expected) < len(world(harness))
    assert await listed(harness, batch_no=batch_no) == expected


async def test_a_date_alone_is_the_whole_day_in_tz(harness: Harness) -> None:
    day = local_day(harness, 30)
    expected = where(harness, on_local_day(day))
    assert 0 < len(expected) < len(world(harness))
    text = day.isoformat()
    found = await listed(harness, start_from=text, start_to=text, tz="Asia/Shanghai")
    assert found == expected


async def test_a_time_without_a_zone_is_read_in_tz(harness: Harness) -> None:
    instant = world(harness)[20].scheduled_at
    wall_clock = instant.astimezone(SHANGHAI).replace(tzinfo=None).isoformat()
    expected = where(harness, lambda s: s.scheduled_at < instant)
    assert await listed(harness, start_to=wall_clock, tz="Asia/Shanghai") == expected


async def test_without_tz_and_without_a_setting_dates_are_utc(harness: Harness) -> None:
    day = world(harness)[30].scheduled_at.date()  # the UTC day
    expected = where(harness, lambda s: s.scheduled_at.date() == day)
    text = day.isoformat()
    assert await listed(harness, start_from=text, start_to=text) == expected


async def test_without_tz_the_gateway_time_zone_applies(shanghai_harness: Harness) -> None:
    harness = shanghai_harness
    day = local_day(harness, 30)
    text = day.isoformat()
    assert await listed(harness, start_from=text, start_to=text) == where(
        harness, on_local_day(day)
    )
    # An explicit tz still wins over the setting.
    utc = where(harness, lambda s: s.scheduled_at.date() == day)
    assert utc != where(harness, on_local_day(day))
    assert await listed(harness, start_from=text, start_to=text, tz="UTC") == utc


async def test_an_aware_time_ignores_tz(harness: Harness) -> None:
    instant = world(harness)[20].scheduled_at
    expected = where(harness, lambda s: s.scheduled_at >= instant)
    found = await listed(harness, start_from=instant.isoformat(), tz="Asia/Shanghai")
    assert found == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"tz": "Mars/Olympus_Mons"}, "query.tz", id="unknown-zone"),
        pytest.param({"tz": "../../etc/passwd"}, "query.tz", id="zone-path"),
        pytest.param({"start_from": "next tuesday"}, "query.start_from", id="not-a-date"),
        pytest.param({"start_to": "9999-12-31"}, "query.start_to", id="past-the-last-day"),
        pytest.param({"start_from": "1969-12-31"}, "query.start_from", id="before-1970"),
    ],
)
async def test_bad_search_bounds_are_422_naming_the_field(
    harness: Harness, params: dict[str, str], field: str
) -> None:
    response = await harness.client.get(
        "/v1/sessions", params=params, headers=harness.headers("admin")
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "REQUEST.VALIDATION"
    assert field in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_a_preview_by_title_and_local_day_counts_those_sessions(harness: Harness) -> None:
    day = local_day(harness, 30)
    expected = where(
        harness, lambda s: on_local_day(day)(s) and s.position.title == "Sales Director"
    )
    filter_ = {
        "account": ACCOUNT,
        "position": "sales director",
        "start_from": day.isoformat(),
        "start_to": day.isoformat(),
        "tz": "Asia/Shanghai",
    }
    body = {"action": "pause", "filter": filter_, "reason": REASON}
    response = await harness.post("/v1/previews", "admin", body)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(expected) > 0


@pytest.mark.parametrize(
    ("filter_", "field"),
    [
        pytest.param({"tz": "Nowhere/City"}, "body.filter.tz", id="unknown-zone"),
        pytest.param({"start_to": "9999-12-31"}, "body.filter.start_to", id="past-the-last-day"),
        pytest.param({"start_from": "soon"}, "body.filter.start_from", id="not-a-date"),
    ],
)
async def test_bad_batch_filter_bounds_are_422_naming_the_field(
    harness: Harness, filter_: dict[str, str], field: str
) -> None:
    body = {"action": "pause", "filter": filter_, "reason": REASON}
    for path in ("/v1/previews", "/v1/batches"):
        response = await harness.post(path, "admin", body, str(uuid.uuid4()))
        assert response.status_code == 422, response.text
        assert field in response.json()["detail"]
