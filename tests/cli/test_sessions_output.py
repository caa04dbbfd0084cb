"""``sessions list`` for people: names never cut, vendor data never read as markup, times in
the user's zone with the zone named."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from rich.console import Console

from interlock.models import Candidate, Position, Session, SessionRef, SessionState
from interlock_gateway.cli import output

NAME = "accounts/beisen-cn-production/sessions/sbx-d7076ce2ef-0da6233255"


def _session(title: str) -> Session:
    return Session(
        ref=SessionRef(account="beisen-cn-production", session_id="sbx-d7076ce2ef-0da6233255"),
        state=SessionState.IN_PROGRESS,
        vendor_state="interviewing",
        candidate=Candidate(id="c-1", masked_name="张*"),
        position=Position(id="p-1", title=title, level="senior"),
        batch_no="B20261204-01",
        scheduled_at=datetime(2026, 12, 3, 6, 0, tzinfo=UTC),
    )


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    console = Console(width=80, record=True, force_terminal=False)
    monkeypatch.setattr(output, "console", console)
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # the user's zone
    time.tzset()
    yield console
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("width", [80, 160])
def test_names_are_whole_at_any_width(printed: Console, width: int) -> None:
    printed.width = width
    output.print_sessions([_session("Backend Engineer")] * 3)
    text = printed.export_text()
    assert text.count(NAME) == 3
    assert "…" not in text


def test_brackets_in_vendor_data_are_printed_not_interpreted(printed: Console) -> None:
    output.print_sessions([_session("[bold]Ops[/bold] [accounts.NAME]")])
    text = printed.export_text()
    assert "[bold]Ops[/bold]" in text
    assert "[accounts.NAME]" in text


def test_times_in_the_users_zone_with_its_name(printed: Console) -> None:
    printed.width = 160
    output.print_sessions([_session("Backend Engineer")])
    assert "2026-12-03 14:00 CST" in printed.export_text()  # 06:00 UTC
