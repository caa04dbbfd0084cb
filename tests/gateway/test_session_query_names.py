"""The console's "candidate name" box: the whole full name the adapter holds in memory finds
that candidate only — not everyone who shares the mask — and the mask decides only for an
adapter that keeps no full name."""

from __future__ import annotations

from interlock.models import Candidate, Position, Session, SessionRef, SessionState
from interlock_gateway.operations.sessions import SessionQuery


def _session(full_name: str | None, masked: str) -> Session:
    return Session(
        ref=SessionRef(account="demo", session_id="s-1"),
        state=SessionState.IN_PROGRESS,
        vendor_state="running",
        candidate=Candidate(id="c-1", masked_name=masked, full_name=full_name),
        position=Position(id="p-1", title="Backend Engineer"),
    )


def test_the_whole_full_name_finds_that_candidate_only() -> None:
    query = SessionQuery(candidate_name="张 伟")
    assert query.matches(_session("张伟", "张*"))
    assert not query.matches(_session("张三", "张*"))  # same mask, another person
    assert not SessionQuery(candidate_name="伟").matches(_session("张伟", "张*"))  # a hidden part


def test_without_a_full_name_the_mask_decides() -> None:
    assert SessionQuery(candidate_name="张伟").matches(_session(None, "张*"))
    assert not SessionQuery(candidate_name="李伟").matches(_session(None, "张*"))
