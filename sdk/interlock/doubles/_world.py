"""A seeded, neutral world of interview sessions that every vendor double renders its own way.

The doubles share it so that demo data looks alike on every vendor and so that the state
machine is the neutral one (:mod:`interlock.transitions`) everywhere.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import SessionState, Verb, utc_now
from interlock.transitions import Transition, plan_transition

__all__ = ["World", "WorldPosition", "WorldSession", "reason_text"]

CHINESE_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄磊", "周杰", "欧阳娜娜")
LATIN_NAMES = ("Li Wei", "Emma Chen", "John Smith", "Anna Müller", "Wang Fang", "Lucas Martin")
DEPARTMENTS = ("rnd", "sales", "hr", "finance")
_POSITIONS = (
    ("Backend Engineer", "senior", "rnd"),
    ("Frontend Engineer", "junior", "rnd"),
    ("Sales Representative", "junior", "sales"),
    ("Sales Director", "executive", "sales"),
    ("HR Business Partner", "senior", "hr"),
    ("Chief Financial Officer", "executive", "finance"),
)
_SEED_STATES = (
    SessionState.SCHEDULED,
    SessionState.IN_PROGRESS,
    SessionState.IN_PROGRESS,
    SessionState.PAUSED,
    SessionState.COMPLETED,
    SessionState.TERMINATED,
    SessionState.REVOKED,
    SessionState.EXPIRED,
)


def reason_text(*parts: object) -> str | None:
    """A reason as a vendor records it from its fields (code, note...): the non-empty ones."""
    text = " / ".join(str(p) for p in parts if p not in (None, ""))
    return text or None


@dataclass(frozen=True)
class WorldPosition:
    id: str
    title: str
    level: str | None
    department: str | None
    owners: tuple[str, ...]
    """Who owns the position (empty: the vendor names none, e.g. the job was deleted)."""


@dataclass
class WorldSession:
    """One session as the vendor stores it: real (unmasked) personal data lives only here."""

    id: str
    state: SessionState
    candidate_id: str
    candidate_name: str
    candidate_phone: str | None
    position: WorldPosition
    batch_no: str | None
    scheduled_at: datetime
    started_at: datetime | None = None
    progress: float = 0.0
    resume_deadline: datetime | None = None
    previous_state: SessionState | None = None
    updated_at: datetime = field(default_factory=utc_now)
    vendor_state_override: str | None = None
    """A raw vendor state the adapter's mapping does not know (to prove it says ``unknown``)."""
    last_reason: str | None = None
    """The reason the vendor recorded with the last change, as it keeps it (code and note in
    its own fields or one text): what a labour dispute reads at the vendor."""
    garbled: dict[str, Any] = field(default_factory=dict)
    """Raw values the double sends in place of the record's own (vendor field name → value):
    a field in a shape the vendor never documents, which the adapter must name."""


class World:
    """The sessions of one vendor tenant, seeded deterministically.

    :param seed: the same seed gives the same candidates, positions, ids and states.
    :param size: how many sessions to create (every state appears once size ≥ 8).
    :param new_id: the vendor's id format (numeric strings, GUIDs, ...).
    """

    def __init__(
        self,
        *,
        seed: int,
        size: int,
        new_id: Callable[[random.Random], str],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.seed = seed
        self.size = size
        self.rng = random.Random(seed)
        self.clock = clock
        self._new_id = new_id
        self.sessions: dict[str, WorldSession] = {}
        self.mutation_counts: Counter[str] = Counter()
        """Changes made through :meth:`apply` and :meth:`restore`: the adapter's doing."""
        self.outside_changes: Counter[str] = Counter()
        """Changes made through :meth:`move`: someone else's doing (a person, another tool)."""
        self.positions = tuple(
            WorldPosition(
                id=self._new_id(self.rng),
                title=title,
                level=level,
                department=dept,
                owners=(f"user{i + 1:02d}", "hr-admin"),
            )
            for i, (title, level, dept) in enumerate(_POSITIONS)
        )
        self._base = clock().replace(minute=0, second=0, microsecond=0)
        for i in range(size):
            self.add(_SEED_STATES[i % len(_SEED_STATES)], index=i)

    def add(
        self, state: SessionState, *, index: int | None = None, sparse: bool = False
    ) -> WorldSession:
        """Create a session in ``state`` (used by seeding and by test scenarios).

        :param sparse: the vendor holds none of the optional fields: no phone, no batch number,
            and a position of its own without level, department or owners (what a vendor sends
            for a candidate who gave no number, or a job deleted since).
        """
        i = len(self.sessions) if index is None else index
        names = CHINESE_NAMES + LATIN_NAMES
        scheduled = self._base + timedelta(hours=i - 24)
        running = state not in (SessionState.SCHEDULED, SessionState.REVOKED)
        session = WorldSession(
            id=self._new_id(self.rng),
            state=state,
            candidate_id=self._new_id(self.rng),
            candidate_name=names[i % len(names)],
            candidate_phone=f"13{self.rng.randrange(10**9):09d}",
            position=self.positions[i % len(self.positions)],
            batch_no=f"B{self._base:%Y%m%d}-{i % 5 + 1:02d}",
            scheduled_at=scheduled,
            started_at=scheduled + timedelta(minutes=5) if running else None,
            progress=round(self.rng.random(), 2) if running else 0.0,
            resume_deadline=self.clock() + timedelta(hours=24)
            if state is SessionState.PAUSED
            else None,
        )
        if sparse:
            session.candidate_phone = None
            session.batch_no = None
            session.position = WorldPosition(
                id=self._new_id(self.rng),
                title=session.position.title,
                level=None,
                department=None,
                owners=(),
            )
        self.sessions[session.id] = session
        return session

    def get(self, session_id: str) -> WorldSession:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise SessionNotFound(f"session {session_id!r} does not exist") from None

    def missing_id(self) -> str:
        """An id in the vendor's format that no session has."""
        while True:
            candidate = self._new_id(random.Random(self.rng.random()))
            if candidate not in self.sessions:
                return candidate

    def apply(
        self,
        session_id: str,
        verb: Verb,
        *,
        resume_deadline: datetime | None = None,
        reason: str | None = None,
    ) -> Transition:
        """Carry out ``verb``; a same-state verb changes nothing and is not counted.
        ``reason`` is recorded with the change (:attr:`WorldSession.last_reason`).

        :raises SessionNotFound: no session has this id.
        :raises InvalidTransition: the session's state does not accept ``verb`` (the neutral
            state machine), or a resume comes after the pause's resume deadline.
        """
        session = self.get(session_id)
        transition = plan_transition(session.state, verb)
        if transition.already_in_state:
            return transition
        now = self.clock()
        if verb is Verb.PAUSE:
            session.resume_deadline = resume_deadline or now + timedelta(hours=24)
        elif verb is Verb.RESUME:
            if session.resume_deadline is not None and session.resume_deadline <= now:
                raise InvalidTransition(
                    "cannot resume: the pause passed its resume deadline",
                    from_state=str(session.state),
                    verb=str(verb),
                )
            session.resume_deadline = None
        if session.started_at is None and verb is Verb.RESUME:
            session.started_at = now
        session.previous_state = session.state
        session.state = transition.target
        session.updated_at = now
        session.last_reason = reason
        self.mutation_counts[session_id] += 1
        return transition

    def restore(
        self, session_id: str, state: SessionState, *, reason: str | None = None
    ) -> Transition:
        """Return a terminated/revoked session to ``state`` (native restore)."""
        session = self.get(session_id)
        if session.state is state:
            return Transition(state, state)
        if session.state not in (SessionState.TERMINATED, SessionState.REVOKED):
            raise InvalidTransition(
                f"cannot restore a session that is {session.state}; only terminated or revoked",
                from_state=str(session.state),
                verb="restore",
            )
        transition = Transition(session.state, state)
        session.state = state
        session.updated_at = self.clock()
        session.last_reason = reason
        self.mutation_counts[session_id] += 1
        return transition

    def move(self, session_id: str, state: SessionState) -> None:
        """Someone other than the adapter moves the session to ``state`` (a recruiter in the
        vendor's console, the candidate finishing): counted in :attr:`outside_changes`."""
        session = self.get(session_id)
        session.previous_state = session.state
        session.state = state
        session.updated_at = self.clock()
        if state is not SessionState.PAUSED:
            session.resume_deadline = None
        elif session.resume_deadline is None:
            session.resume_deadline = self.clock() + timedelta(hours=24)
        self.outside_changes[session_id] += 1

    def hand_over(self, position_id: str, owners: tuple[str, ...]) -> None:
        """Someone gives the position other owners at the vendor (a recruiter leaving): every
        session of the position has them from now on."""
        handed = {p.id: replace(p, owners=owners) for p in self.positions if p.id == position_id}
        self.positions = tuple(handed.get(p.id, p) for p in self.positions)
        for session in self.sessions.values():
            if session.position.id in handed:
                session.position = handed[session.position.id]

    def delete(self, session_id: str) -> None:
        """Someone deletes the session at the vendor (it is not found from now on)."""
        del self.sessions[session_id]
        self.outside_changes[session_id] += 1

    def snapshot(self) -> dict[str, WorldSession]:
        return {k: replace(v) for k, v in self.sessions.items()}
