"""``interlock.client.filters.parse_filter``: the --filter language, quoting and its errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from interlock.client.filters import FILTER_KEYS, parse_filter


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("", {}, id="empty-is-everything"),
        pytest.param("account=dingtalk-hq", {"account": "dingtalk-hq"}, id="account"),
        pytest.param("vendor=beisen", {"vendor": "beisen"}, id="vendor"),
        pytest.param("state=paused", {"states": ["paused"]}, id="one-state"),
        pytest.param(
            "states=in_progress,paused", {"states": ["in_progress", "paused"]}, id="state-list"
        ),
        pytest.param("candidate=张伟", {"candidate": "张伟"}, id="candidate-name"),
        pytest.param("candidate='张 伟'", {"candidate": "张 伟"}, id="single-quoted"),
        pytest.param(
            'position="Backend Engineer"', {"position": "Backend Engineer"}, id="double-quoted"
        ),
        pytest.param(
            "position=Backend\\ Engineer", {"position": "Backend Engineer"}, id="escaped-space"
        ),
        pytest.param("batch_no=B20261204-01", {"batch_no": "B20261204-01"}, id="batch-number"),
        pytest.param("start_from=2026-12-04", {"start_from": "2026-12-04"}, id="date-alone"),
        pytest.param(
            "start_to=2026-12-04T09:30", {"start_to": "2026-12-04T09:30"}, id="naive-time"
        ),
        pytest.param(
            "start_to='2026-12-04 09:30:00+08:00'",
            {"start_to": "2026-12-04 09:30:00+08:00"},
            id="aware-time-with-space",
        ),
        pytest.param("tz=Asia/Shanghai", {"tz": "Asia/Shanghai"}, id="zone"),
        pytest.param(
            "  state=scheduled   position='sales director'  tz=UTC ",
            {"states": ["scheduled"], "position": "sales director", "tz": "UTC"},
            id="several-with-extra-spaces",
        ),
        pytest.param("candidate=a=b", {"candidate": "a=b"}, id="equals-in-value"),
    ],
)
def test_expressions_give_the_api_filter(expression: str, expected: dict[str, Any]) -> None:
    assert parse_filter(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("position=Backend Engineer", "word 2 (not shown", id="unquoted"),
        pytest.param("state = paused", "word 1 'state' is not KEY=", id="spaces-around-equals"),
        pytest.param('position="Backend Engineer', "unbalanced quote", id="open-double-quote"),
        pytest.param("candidate='张伟", "unbalanced quote", id="open-single-quote"),
        pytest.param("colour=red", "unknown filter key 'colour'", id="unknown-key"),
        pytest.param("candidate=", "candidate= needs a value", id="empty-value"),
        pytest.param("state=paused state=scheduled", "given twice", id="repeated-key"),
        pytest.param("state=paused states=scheduled", "given twice", id="state-and-states"),
        pytest.param("state=sleeping", "unknown state 'sleeping'", id="unknown-state"),
        pytest.param("tz=Mars/Olympus", "unknown time zone 'Mars/Olympus'", id="unknown-zone"),
        pytest.param("start_from=tomorrow", "start_from: 'tomorrow' is not", id="not-a-date"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_filter(expression)


def test_an_unknown_key_lists_every_allowed_key() -> None:
    with pytest.raises(ValueError, match="unknown filter key") as caught:
        parse_filter("name=张伟")
    for key in FILTER_KEYS:
        assert key in str(caught.value)
    assert set(FILTER_KEYS) == {
        "account", "vendor", "state", "states", "candidate", "position", "batch_no",
        "start_from", "start_to", "tz",
    }  # fmt: skip


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param("candidate=Li Wei", id="unquoted-latin-name"),
        pytest.param("candidate=张 伟", id="unquoted-chinese-name"),
        pytest.param("张伟=x", id="name-as-key"),
        pytest.param("Wei=x", id="latin-name-as-key"),
        pytest.param("state=Wei", id="name-as-state"),
    ],
)
def test_errors_do_not_echo_what_may_be_a_name(expression: str) -> None:
    # Errors end up in terminals and logs: a name typed in the wrong place stays out of them.
    with pytest.raises(ValueError, match="not shown") as caught:
        parse_filter(expression)
    for part in ("Wei", "伟"):
        assert part not in str(caught.value)
