"""Canonical JSON: one text per value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest

from interlock_gateway.audit.canonical import canonical_bytes, canonical_json, format_timestamp


class Colour(StrEnum):
    RED = "red"


def test_sorted_compact_utf8() -> None:
    value = {"b": [1, {"z": None, "a": True}], "a": "张三", "c": 1.5}
    assert canonical_json(value) == '{"a":"张三","b":[1,{"a":true,"z":null}],"c":1.5}'
    assert canonical_bytes(value) == canonical_json(value).encode("utf-8")


def test_datetimes_are_utc_with_z_and_microseconds() -> None:
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 1, 2, 11, 4, 5, 6, tzinfo=shanghai)
    assert format_timestamp(moment) == "2026-01-02T03:04:05.000006Z"
    assert canonical_json({"t": moment, "c": Colour.RED}) == (
        '{"c":"red","t":"2026-01-02T03:04:05.000006Z"}'
    )
    assert format_timestamp(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000000Z"


@pytest.mark.parametrize(
    "value",
    [datetime(2026, 1, 1), float("nan"), {1, 2}, object()],
    ids=["naive-datetime", "nan", "set", "object"],
)
def test_refuses_values_without_one_canonical_form(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_json({"v": value})
